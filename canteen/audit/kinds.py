"""Every kind of chained record, from the features that own them."""
from __future__ import annotations

from canteen.assessment import chained as assessment_chain
from canteen.chain.links import ChainedKind
from canteen.ledger import chained as ledger_chain
from canteen.offences import chained as offences_chain

ALL_KINDS: tuple[ChainedKind, ...] = ledger_chain.KINDS + assessment_chain.KINDS + offences_chain.KINDS
BY_NAME: dict[str, ChainedKind] = {kind.kind: kind for kind in ALL_KINDS}
