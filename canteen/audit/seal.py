"""Chaining records that have no link yet: rows older than the chain (an upgraded database) and bulk-written
demo data. ``canteen verify --seal-existing`` runs it; it vouches for those rows as they stand now.

Done by a command rather than by the migration on purpose: the serialisation that is hashed belongs to the
code and may evolve, while a migration must stay frozen; and sealing is an operator's deliberate act, recorded
with the check it ran in, since whatever was changed in those rows before sealing can no longer be told.
"""
from __future__ import annotations

import dataclasses
from collections import defaultdict
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from canteen.audit.kinds import ALL_KINDS
from canteen.chain.links import ChainedKind, Head, LinkFacts, build_link, locked_head, same_moment_conflict
from canteen.chain.models import ChainLink

Item = tuple[ChainedKind, Any, LinkFacts]


def _unchained(session: Session) -> dict[str, list[Item]]:
    """Every record without a link, grouped by stream."""
    linked = {(kind, record_id) for kind, record_id in session.execute(
        select(ChainLink.kind, ChainLink.record_id))}
    by_stream: dict[str, list[Item]] = defaultdict(list)
    for kind in ALL_KINDS:
        for record in session.scalars(kind.query().order_by(kind.model.id)):
            if (kind.kind, record.id) not in linked:
                facts = kind.facts(record)
                by_stream[facts.stream].append((kind, record, facts))
    return by_stream


def seal_unchained(session: Session) -> int:
    """Append a link for every record that has none, in the order written; the number sealed. Flushes."""
    order = {kind.kind: index for index, kind in enumerate(ALL_KINDS)}
    links: list[ChainLink] = []
    for stream, items in sorted(_unchained(session).items()):
        # In the order they were written: by time, then kind (a weighing before the day's count), then id.
        items.sort(key=lambda item: (item[2].at, order[item[0].kind], item[1].id))
        current = locked_head(session, stream)
        for position, (kind, record, facts) in enumerate(items):
            # A current-value snapshot is true only of the newest record; older lines' states are unknown.
            if facts.state is not None and position < len(items) - 1:
                facts = dataclasses.replace(facts, state=None)
            link = build_link(kind.kind, record.id, facts, current, sealed=True)
            links.append(link)
            current = Head(link.seq, link.hash, link.kind, link.record_id)
    session.add_all(links)
    try:
        session.flush()
    except IntegrityError as error:
        raise same_moment_conflict() from error
    return len(links)
