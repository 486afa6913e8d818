"""Appending to a chain and hashing a link; each feature describes its own records with a ChainedKind.

A link's hash is SHA-256 over the canonical JSON (sorted keys, no spaces, UTF-8) of: the stream, the link's
number in it, the kind and id of the record, the previous link's hash, the canteen, month, actor and time,
and the record's content. Recomputing it from the stored rows and comparing is what ``canteen verify`` does.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from typing import Any, Callable

from flask_babel import gettext as _
from sqlalchemy import Select, select, text
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from canteen.chain.models import GENESIS, ChainLink
from canteen.core.errors import Conflict

# The format of the hashed payload; a future change of the serialisation bumps it, old links keep theirs.
FORMAT = 1
# The first half of the PostgreSQL advisory-lock key, so chain locks never collide with other locks.
_LOCK_SPACE = 0x43484149


@dataclass(frozen=True)
class LinkFacts:
    """What a record contributes to its stream's chain.

    ``record`` can be recomputed from the stored rows at any time; ``state`` is a snapshot of current-value
    columns the record's owner mirrors (an escalation's status), checked only against the stream's head.
    """

    stream: str
    canteen_id: int | None
    month: date | None
    actor_id: int | None
    at: datetime
    record: dict[str, Any]
    state: dict[str, Any] | None = None


@dataclass(frozen=True)
class Head:
    """The newest link of a stream."""

    seq: int
    hash: str
    kind: str
    record_id: int


Guard = Callable[[Session, LinkFacts, "Head | None"], None]


@dataclass(frozen=True)
class ChainedKind:
    """A kind of chained record: its model, how to describe one, and how to load them all for checking.

    ``serialised`` streams take a lock before reading their head, so independent writers queue instead of
    failing (a kitchen's scales post at once); other streams are one record's history, where two writers
    at once are two people deciding the same thing, and the loser gets a 409.
    """

    kind: str
    model: type[Any]
    facts: Callable[[Any], LinkFacts]
    query: Callable[[], Select[Any]]
    serialised: bool = False
    guard: Guard | None = field(default=None, compare=False)


def plain(value: Any) -> Any:
    """A value as JSON can hold it: datetimes as UTC ISO text, dates as ISO text, containers recursively."""
    if isinstance(value, datetime):
        # Normalised to UTC: the same instant must serialise the same however it was handed in.
        return value.astimezone(timezone.utc).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(key): plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(item) for item in value]
    return value


def canonical(value: Any) -> str:
    """The one serialisation that is hashed: sorted keys, no insignificant spaces, non-ASCII kept."""
    return json.dumps(plain(value), sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def content_of(facts: LinkFacts) -> str:
    """The canonical text of a record's content as a link stores it."""
    return canonical({"record": facts.record, "state": facts.state})


def link_hash(link: ChainLink) -> str:
    """The hash a link must carry, computed from its own columns and content."""
    payload = plain({
        "v": FORMAT, "stream": link.stream, "seq": link.seq, "kind": link.kind, "record": link.record_id,
        "prev": link.prev_hash, "canteen": link.canteen_id, "month": link.month, "actor": link.actor_id,
        "at": link.at, "sealed": bool(link.sealed)})
    # The content is JSON already: parsed, it needs no second pass through plain() (half of a check's time).
    payload["content"] = json.loads(link.content)
    serialised = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(serialised.encode("utf-8")).hexdigest()


def lock_stream(session: Session, stream: str) -> None:
    """Queue behind any other transaction appending to ``stream`` (PostgreSQL; SQLite locks at BEGIN)."""
    # SQLite transactions start with BEGIN IMMEDIATE (canteen.db): writers are already one at a time.
    if session.get_bind().dialect.name != "postgresql":
        return
    try:
        # Advisory locks are database-wide: the schema is part of the key, so services (or test workers)
        # sharing one database in different schemas never queue behind, or deadlock with, each other.
        key = "SELECT pg_advisory_xact_lock(:space, hashtext(current_schema() || ':' || :stream))"
        session.execute(text(key), {"space": _LOCK_SPACE, "stream": stream})
    except OperationalError as error:
        # Two transactions each holding a stream the other waits for: PostgreSQL ends one of them.
        if getattr(error.orig, "sqlstate", None) == "40P01":
            raise same_moment_conflict() from error
        raise


def head(session: Session, stream: str) -> Head | None:
    """The newest link of a stream, or None for a stream without links."""
    row = session.execute(select(ChainLink.seq, ChainLink.hash, ChainLink.kind, ChainLink.record_id)
                          .where(ChainLink.stream == stream).order_by(ChainLink.seq.desc()).limit(1)).first()
    return Head(row.seq, row.hash, row.kind, row.record_id) if row else None


def locked_head(session: Session, stream: str) -> Head | None:
    """The head of a stream read after taking its lock: nobody else appends until this transaction ends."""
    lock_stream(session, stream)
    return head(session, stream)


def same_moment_conflict() -> Conflict:
    return Conflict(_("someone else changed the same history at the same moment; nothing was saved, "
                      "please try again"), {"history": _("changed at the same moment")})


def build_link(kind: str, record_id: int, facts: LinkFacts, after: Head | None,
               sealed: bool = False) -> ChainLink:
    """A link for a record placed right after ``after`` (None: the first of its stream), hash computed."""
    link = ChainLink(stream=facts.stream, seq=after.seq + 1 if after else 1, kind=kind, record_id=record_id,
                     canteen_id=facts.canteen_id, month=facts.month, actor_id=facts.actor_id, at=facts.at,
                     prev_hash=after.hash if after else GENESIS, content=content_of(facts), sealed=sealed)
    link.hash = link_hash(link)
    return link


def append(session: Session, kind: ChainedKind, record: Any) -> ChainLink:
    """Chain a record just written (in the caller's transaction): lock if serialised, check, append."""
    # The record's id and column defaults exist only once it is flushed.
    session.flush()
    facts = kind.facts(record)
    current = locked_head(session, facts.stream) if kind.serialised else head(session, facts.stream)
    if kind.guard is not None:
        kind.guard(session, facts, current)
    return append_after(session, kind, record, current, facts=facts)


def append_after(session: Session, kind: ChainedKind, record: Any, after: Head | None, *,
                 facts: LinkFacts | None = None, sealed: bool = False) -> ChainLink:
    """Append a record's link right after ``after``; Conflict when another link took that place first."""
    session.flush()
    link = build_link(kind.kind, record.id, facts or kind.facts(record), after, sealed)
    session.add(link)
    try:
        session.flush()
    except IntegrityError as error:
        # The unique (stream, seq): another transaction appended after the same head and committed first.
        # The caller's transaction is lost with it; the entry point rolls back and answers 409.
        raise same_moment_conflict() from error
    return link
