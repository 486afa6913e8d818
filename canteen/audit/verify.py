"""``canteen verify``: re-compute every chain from the stored rows and report each break.

A break is kept as structured JSON (what kind of problem, where, which fields) so that the command line, the
audit page and the dashboard can each put it in words in the reader's language. Problems found:

- ``changed``: a chained record's values differ from what was hashed when it was written;
- ``hash``: a link's own columns or content were altered (its hash no longer matches);
- ``relinked`` / ``gap``: a link does not follow its predecessor, or links are missing (deleted);
- ``missing``: the chained record was deleted; ``unchained``: a record has no link (written around the
  services, or older than the chain and never sealed);
- ``mirror`` / ``no_history``: a current-value column (an entry's weight, a count, an escalation's decision)
  differs from its newest revision, or a record has no revision at all (a direct SQL UPDATE or INSERT);
- ``rewritten``: a stream's head recorded by the previous check is gone or has another hash now.
"""
from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from itertools import groupby
from typing import Any, Sequence

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session, aliased

from canteen.audit.kinds import ALL_KINDS, BY_NAME
from canteen.audit.models import ChainCheck
from canteen.audit.seal import seal_unchained
from canteen.chain.links import link_hash, plain
from canteen.chain.models import GENESIS, ChainLink
from canteen.db import utcnow
from canteen.ledger.models import DinerCount, DinerCountRevision, WasteEntry, WasteEntryRevision
from canteen.offences.chained import escalation_state
from canteen.offences.models import Escalation

# What of a record says where it is (the rest of it is values); shown in words, never as raw keys.
WHERE_KEYS = ("canteen", "month", "day", "meal", "stream", "number", "contractor", "assessment", "escalation",
              "diner", "step", "action", "entry", "diner_count")
# Breaks kept per check; the count is always complete.
REPORT_LIMIT = 1000
# Streams checked per round, and record ids per query.
STREAM_BATCH = 200
ID_BATCH = 500


@dataclass
class Findings:
    """What one verification found: counts, breaks, and each stream's head."""

    links: int = 0
    streams: int = 0
    breaks: list[dict[str, Any]] = field(default_factory=list)
    heads: dict[str, list[Any]] = field(default_factory=dict)

    def add(self, problem: str, kind: str | None, where: dict[str, Any], **extra: Any) -> None:
        """Record one break."""
        self.breaks.append({"problem": problem, "kind": kind, "where": where, **extra})


def where_of(kind: str | None, record: dict[str, Any], seq: int | None = None) -> dict[str, Any]:
    """The locating part of a record's content (plain JSON values), with the month as YYYY-MM."""
    where = {key: record[key] for key in WHERE_KEYS if key in record}
    month = where.get("month") or where.get("day")
    if isinstance(month, str):
        where["month"] = month[:7]
    if kind is not None:
        where["kind"] = kind
    if seq is not None:
        where["seq"] = seq
    return where


def stream_where(stream: str) -> dict[str, Any]:
    """Where a stream is, read from its key (for a stream none of whose links is left)."""
    parts = stream.split(":")
    if parts[0] == "ledger" and len(parts) == 3 and parts[1].isdigit():
        return {"canteen": int(parts[1]), "month": parts[2], "kind": "ledger"}
    if parts[0] in ("assessment", "escalation") and len(parts) == 2 and parts[1].isdigit():
        return {parts[0]: int(parts[1]), "kind": parts[0]}
    return {}


def _diff(chained: dict[str, Any], now: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"field": key, "chained": chained.get(key), "now": now.get(key)}
            for key in sorted(set(chained) | set(now)) if chained.get(key) != now.get(key)]


def _content(link: ChainLink) -> dict[str, Any]:
    # A link whose content is not even JSON any more was edited by hand; its hash check reports it.
    try:
        content = json.loads(link.content)
    except ValueError:
        return {}
    return content if isinstance(content, dict) else {}


def _safe_hash(link: ChainLink) -> str | None:
    try:
        return link_hash(link)
    except ValueError:
        return None


def _check_link(link: ChainLink, records: dict[str, dict[int, Any]], findings: Findings) -> None:
    chained = _content(link).get("record") or {}
    where = where_of(link.kind, chained, link.seq)
    # The link against itself: any edit of its columns or content (even a consistent one) changes the hash.
    computed = _safe_hash(link)
    if computed != link.hash:
        findings.add("hash", link.kind, where, stored=link.hash, computed=computed)
    kind = BY_NAME.get(link.kind)
    record = records.get(link.kind, {}).get(link.record_id)
    if kind is None or record is None:
        findings.add("missing", link.kind, where)
        return
    # The record against the link: recomputed with the same function that described it when it was written.
    facts = kind.facts(record)
    now = plain(facts.record)
    if now != chained or facts.stream != link.stream:
        findings.add("changed", link.kind, where, fields=_diff(chained, now))


def _check_stream(links: Sequence[ChainLink], records: dict[str, dict[int, Any]], findings: Findings) -> None:
    expected, previous = 1, GENESIS
    for link in links:
        # A gap already explains why the next link names a predecessor that is not there: one finding.
        if link.seq != expected:
            where = where_of(link.kind, _content(link).get("record") or {}, link.seq)
            findings.add("gap", link.kind, where, first=expected, last=link.seq - 1)
        elif link.prev_hash != previous:
            where = where_of(link.kind, _content(link).get("record") or {}, link.seq)
            findings.add("relinked", link.kind, where, stored=link.prev_hash, computed=previous)
        _check_link(link, records, findings)
        expected, previous = link.seq + 1, link.hash


def _check_unchained(session: Session, findings: Findings) -> None:
    # An anti-join in SQL: only the records without a link come back.
    for kind in ALL_KINDS:
        linked = select(ChainLink.id).where(ChainLink.kind == kind.kind, ChainLink.record_id == kind.model.id)
        for record in session.scalars(kind.query().where(~linked.exists()).order_by(kind.model.id)):
            findings.add("unchained", kind.kind, where_of(kind.kind, plain(kind.facts(record).record)))


def _check_entries(session: Session, findings: Findings) -> None:
    """Each entry's current weight, note, void and dish against its newest revision (in SQL)."""
    # In SQL rather than through the links: only the mismatches come back, however large the ledger.
    newest = (select(WasteEntryRevision.entry_id, func.max(WasteEntryRevision.number).label("number"))
              .group_by(WasteEntryRevision.entry_id).subquery())
    revision = aliased(WasteEntryRevision)
    rows = session.execute(
        select(WasteEntry, revision)
        .outerjoin(newest, newest.c.entry_id == WasteEntry.id)
        .outerjoin(revision, and_(revision.entry_id == WasteEntry.id, revision.number == newest.c.number))
        .where(or_(revision.id.is_(None), WasteEntry.weight_g != revision.weight_g,
                   WasteEntry.note != revision.note, WasteEntry.voided != revision.voided,
                   WasteEntry.dish_id.is_distinct_from(revision.dish_id)))
        .order_by(WasteEntry.id)).all()
    for entry, newest_revision in rows:
        where = where_of("waste_revision", plain({
            "entry": entry.id, "canteen": entry.canteen_id, "day": entry.day, "meal": entry.meal_id,
            "stream": entry.stream_id}))
        if newest_revision is None:
            findings.add("no_history", "waste_revision", where)
            continue
        where["number"] = newest_revision.number
        values = ("weight_g", "note", "voided")
        chained = {key: getattr(newest_revision, key) for key in values} | {"dish": newest_revision.dish_id}
        now = {key: getattr(entry, key) for key in values} | {"dish": entry.dish_id}
        findings.add("mirror", "waste_revision", where, fields=_diff(chained, now))


def _check_counts(session: Session, findings: Findings) -> None:
    """Each diner count's current value against its newest revision (in SQL)."""
    newest = (select(DinerCountRevision.diner_count_id, func.max(DinerCountRevision.number).label("number"))
              .group_by(DinerCountRevision.diner_count_id).subquery())
    revision = aliased(DinerCountRevision)
    rows = session.execute(
        select(DinerCount, revision)
        .outerjoin(newest, newest.c.diner_count_id == DinerCount.id)
        .outerjoin(revision, and_(revision.diner_count_id == DinerCount.id,
                                  revision.number == newest.c.number))
        .where(or_(revision.id.is_(None), DinerCount.count != revision.count))
        .order_by(DinerCount.id)).all()
    for row, newest_revision in rows:
        where = where_of("diner_revision", plain({
            "diner_count": row.id, "canteen": row.canteen_id, "day": row.day, "meal": row.meal_id}))
        if newest_revision is None:
            findings.add("no_history", "diner_revision", where)
            continue
        where["number"] = newest_revision.number
        findings.add("mirror", "diner_revision", where,
                     fields=[{"field": "count", "chained": newest_revision.count, "now": row.count}])


def _check_escalations(session: Session, heads: dict[str, ChainLink], findings: Findings) -> None:
    """Each escalation's decision columns against the snapshot in its chain's newest link."""
    for escalation in session.scalars(select(Escalation).order_by(Escalation.id)):
        link = heads.get(f"escalation:{escalation.id}")
        if link is None:
            findings.add("no_history", "escalation_action",
                         {"escalation": escalation.id, "diner": escalation.diner_id, "step": escalation.step,
                          "kind": "escalation_action"})
            continue
        # The newest line's snapshot is the decision as it must stand now; older snapshots are history.
        content = _content(link)
        chained_state = content.get("state")
        # Without a snapshot (an unreadable link, already reported as altered) there is nothing to compare.
        if not isinstance(chained_state, dict):
            continue
        now = plain(escalation_state(escalation))
        if now != chained_state:
            where = where_of("escalation_action", content.get("record") or {}, link.seq)
            findings.add("mirror", "escalation_action", where, fields=_diff(chained_state, now))


def _check_rewritten(previous: dict[str, list[Any]], positions: dict[tuple[str, int], ChainLink],
                     since: datetime | None, findings: Findings) -> None:
    # A tail cut off (newest records and links deleted together) or a chain rehashed from some point on is
    # consistent in itself; only a head seen before gives it away.
    for stream, (seq, stored) in sorted(previous.items()):
        link = positions.get((stream, seq))
        if link is None or link.hash != stored:
            where = (where_of(link.kind, _content(link).get("record") or {}, seq) if link is not None
                     else stream_where(stream) | {"seq": seq})
            findings.add("rewritten", link.kind if link is not None else None, where, stored=stored,
                         computed=link.hash if link is not None else None,
                         since=plain(since) if since else None)


def _records_for(session: Session, links: Sequence[ChainLink]) -> dict[str, dict[int, Any]]:
    """The records the links name, by kind and id, loaded in chunks."""
    wanted: dict[str, list[int]] = defaultdict(list)
    for link in links:
        wanted[link.kind].append(link.record_id)
    records: dict[str, dict[int, Any]] = defaultdict(dict)
    for name, ids in wanted.items():
        kind = BY_NAME.get(name)
        if kind is None:
            continue
        for start in range(0, len(ids), ID_BATCH):
            query = kind.query().where(kind.model.id.in_(ids[start:start + ID_BATCH]))
            records[name].update((record.id, record) for record in session.scalars(query))
    return records


def verify(session: Session, previous_heads: dict[str, list[Any]] | None = None,
           since: datetime | None = None) -> Findings:
    """Re-compute every chain and compare every mirror; read-only."""
    findings = Findings()
    previous = previous_heads or {}
    escalation_heads: dict[str, ChainLink] = {}
    streams = session.scalars(select(ChainLink.stream).distinct().order_by(ChainLink.stream)).all()
    # A batch of streams at a time: the session keeps unchanged rows only while they are referenced, so the
    # memory a check needs stays bounded however long the history grows.
    for start in range(0, len(streams), STREAM_BATCH):
        batch = streams[start:start + STREAM_BATCH]
        links = session.scalars(select(ChainLink).where(ChainLink.stream.in_(batch))
                                .order_by(ChainLink.stream, ChainLink.seq)).all()
        records = _records_for(session, links)
        findings.links += len(links)
        for stream, group in groupby(links, key=lambda link: link.stream):
            stream_links = list(group)
            _check_stream(stream_links, records, findings)
            head = stream_links[-1]
            findings.heads[stream] = [head.seq, head.hash]
            if head.kind == "escalation_action":
                escalation_heads[stream] = head
        seen = {stream: previous[stream] for stream in batch if stream in previous}
        _check_rewritten(seen, {(link.stream, link.seq): link for link in links}, since, findings)
    findings.streams = len(findings.heads)
    # Streams the previous check saw and none of whose links is left.
    gone = {stream: head for stream, head in previous.items() if stream not in findings.heads}
    _check_rewritten(gone, {}, since, findings)
    _check_unchained(session, findings)
    _check_entries(session, findings)
    _check_counts(session, findings)
    _check_escalations(session, escalation_heads, findings)
    return findings


def run_check(session: Session, trigger: str, seal: bool = False) -> tuple[ChainCheck, Findings]:
    """Verify (after sealing unchained records if asked) and record the run; flushes, the caller commits."""
    started = utcnow()
    # Sealing first, in the same transaction: the check then vouches for what was just sealed.
    sealed = seal_unchained(session) if seal else 0
    # The newest run, failed or not: after a repair (a restored backup) the next run reports once, then
    # compares with the repaired heads.
    previous = session.scalar(select(ChainCheck).order_by(ChainCheck.id.desc()).limit(1))
    findings = verify(session, json.loads(previous.heads) if previous else None,
                      previous.finished_at if previous else None)
    check = ChainCheck(trigger=trigger, started_at=started, finished_at=utcnow(), ok=not findings.breaks,
                       links=findings.links, streams=findings.streams, breaks=len(findings.breaks),
                       sealed=sealed, report=json.dumps(findings.breaks[:REPORT_LIMIT], ensure_ascii=False),
                       heads=json.dumps(findings.heads, sort_keys=True))
    session.add(check)
    session.flush()
    return check, findings


def breaks_of(check: ChainCheck) -> list[dict[str, Any]]:
    """The stored breaks of a check."""
    try:
        report = json.loads(check.report or "[]")
    except ValueError:
        return []
    return report if isinstance(report, list) else []


def latest_check(session: Session) -> ChainCheck | None:
    """The newest recorded check."""
    return session.scalar(select(ChainCheck).order_by(ChainCheck.finished_at.desc(), ChainCheck.id.desc())
                          .limit(1))
