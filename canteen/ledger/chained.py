"""The ledger's chains: one stream per canteen and month, holding its weighings' and diner counts' revisions
and the month's signatures (prepared, closed, reopened).

What is hashed is the history: each revision's values, who, when and why, and the entry or count it belongs
to (canteen, day, meal, stream). Left out on purpose: the current-value columns of ``waste_entry`` (weight,
note, void, dish) and ``diner_count.count``, which only mirror the newest revision (``canteen verify``
compares them with it instead), and the entry's ``client_id``, a device's retry key, not ledger content.
"""
from __future__ import annotations

from datetime import date
from typing import Any

from flask_babel import get_locale
from flask_babel import gettext as _
from sqlalchemy import Select, select
from sqlalchemy.orm import Session, joinedload

from canteen.chain.links import ChainedKind, Head, LinkFacts, append, head, locked_head
from canteen.core.errors import Conflict
from canteen.core.timeutil import month_start
from canteen.ledger.models import DinerCountRevision, LedgerMonthSignoff, WasteEntryRevision
from canteen.reference.models import Canteen


def ledger_stream(canteen_id: int, month: date) -> str:
    """The stream of one canteen's month of ledger."""
    return f"ledger:{canteen_id}:{month:%Y-%m}"


def canteen_name(canteen: Canteen | None) -> str:
    """A canteen's name in the current language."""
    if canteen is None:
        return "?"
    return canteen.name_en if str(get_locale()).startswith("en") else canteen.name_zh


def _refuse_closed(session: Session, canteen_id: int | None, month: date | None,
                   current: Head | None) -> None:
    """A closed month takes no change until someone reopens it (checked under the stream's lock)."""
    if current is None or current.kind != "month_closed":
        return
    # Named in the refusal, so the manager knows whom to ask to reopen it.
    signoff = session.get(LedgerMonthSignoff, current.record_id)
    canteen = session.get(Canteen, canteen_id)
    closer = signoff.actor.name if signoff else "?"
    raise Conflict(_("the ledger of %(canteen)s for %(month)s was closed by %(name)s; it must be reopened "
                     "(with a reason) before it can change", canteen=canteen_name(canteen),
                     month=month.strftime("%Y-%m") if month else "?", name=closer),
                   {"month": _("month closed")})


def _refuse_when_closed(session: Session, facts: LinkFacts, current: Head | None) -> None:
    _refuse_closed(session, facts.canteen_id, facts.month, current)


def _waste_facts(revision: WasteEntryRevision) -> LinkFacts:
    entry = revision.entry
    # The month of the weighing's day, not of the writing: a correction in August belongs to July's ledger.
    month = month_start(entry.day)
    return LinkFacts(
        stream=ledger_stream(entry.canteen_id, month), canteen_id=entry.canteen_id, month=month,
        actor_id=revision.created_by_id, at=revision.created_at,
        record={"entry": entry.id, "canteen": entry.canteen_id, "day": entry.day, "meal": entry.meal_id,
                "stream": entry.stream_id, "source": entry.source, "number": revision.number,
                "weight_g": revision.weight_g, "dish": revision.dish_id, "note": revision.note,
                "voided": revision.voided, "reason": revision.reason, "by": revision.created_by_id,
                "at": revision.created_at})


def _diner_facts(revision: DinerCountRevision) -> LinkFacts:
    row = revision.diner_count
    month = month_start(row.day)
    return LinkFacts(
        stream=ledger_stream(row.canteen_id, month), canteen_id=row.canteen_id, month=month,
        actor_id=revision.created_by_id, at=revision.created_at,
        record={"diner_count": row.id, "canteen": row.canteen_id, "day": row.day, "meal": row.meal_id,
                "number": revision.number, "count": revision.count, "source": revision.source,
                "reason": revision.reason, "by": revision.created_by_id, "at": revision.created_at})


def _signoff_facts(signoff: LedgerMonthSignoff) -> LinkFacts:
    return LinkFacts(
        stream=ledger_stream(signoff.canteen_id, signoff.month), canteen_id=signoff.canteen_id,
        month=signoff.month, actor_id=signoff.actor_id, at=signoff.at,
        record={"canteen": signoff.canteen_id, "month": signoff.month, "action": signoff.action,
                "by": signoff.actor_id, "at": signoff.at, "head": signoff.head_hash, "reason": signoff.reason,
                "prepared_by": signoff.prepared_by_id, "prepared_at": signoff.prepared_at})


def _signoffs(action: str) -> Select[Any]:
    return select(LedgerMonthSignoff).where(LedgerMonthSignoff.action == action)


# Weighings and counts queue on their month's lock: independent writers (scales, the daily page) must all get
# in; only a closed month turns them away.
WASTE_REVISION = ChainedKind(
    "waste_revision", WasteEntryRevision, _waste_facts,
    lambda: select(WasteEntryRevision).options(joinedload(WasteEntryRevision.entry)),
    serialised=True, guard=_refuse_when_closed)
DINER_REVISION = ChainedKind(
    "diner_revision", DinerCountRevision, _diner_facts,
    lambda: select(DinerCountRevision).options(joinedload(DinerCountRevision.diner_count)),
    serialised=True, guard=_refuse_when_closed)
# The signatures check the month's state themselves, under the same lock, before they are written.
MONTH_PREPARED = ChainedKind("month_prepared", LedgerMonthSignoff, _signoff_facts,
                             lambda: _signoffs("prepared"), serialised=True)
MONTH_CLOSED = ChainedKind("month_closed", LedgerMonthSignoff, _signoff_facts,
                           lambda: _signoffs("closed"), serialised=True)
MONTH_REOPENED = ChainedKind("month_reopened", LedgerMonthSignoff, _signoff_facts,
                             lambda: _signoffs("reopened"), serialised=True)
SIGNOFF_KINDS = {"prepared": MONTH_PREPARED, "closed": MONTH_CLOSED, "reopened": MONTH_REOPENED}
KINDS = (WASTE_REVISION, DINER_REVISION, MONTH_PREPARED, MONTH_CLOSED, MONTH_REOPENED)


def hold_month(session: Session, canteen_id: int, day: date, refuse_closed: bool = True) -> None:
    """Before writing to a canteen's month: queue on its chain's lock, and refuse a closed month (409).

    Taken before the first row is written, so a writer waiting on another's unique key (a cell, a count)
    never holds the lock that other writer waits for: no deadlock, and a closed month costs no work.
    ``refuse_closed=False`` only locks: the write may turn out to change nothing (and appending refuses it).
    """
    month = month_start(day)
    current = month_head(session, canteen_id, month, lock=True)
    if refuse_closed:
        _refuse_closed(session, canteen_id, month, current)


def link_waste_revision(session: Session, revision: WasteEntryRevision) -> None:
    """Chain a weighing's new revision into its month (409 when the month is closed)."""
    append(session, WASTE_REVISION, revision)


def link_diner_revision(session: Session, revision: DinerCountRevision) -> None:
    """Chain a diner count's new revision into its month (409 when the month is closed)."""
    append(session, DINER_REVISION, revision)


def month_head(session: Session, canteen_id: int, month: date, lock: bool = False) -> Head | None:
    """The newest link of a canteen's month; with ``lock``, nobody else appends until the commit."""
    stream = ledger_stream(canteen_id, month)
    return locked_head(session, stream) if lock else head(session, stream)
