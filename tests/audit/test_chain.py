"""The ledger's hash chain: computed when a revision is written, and every kind of tampering found by verify
with the row named in words."""
from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import date

import pytest
from flask_babel import force_locale
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from canteen.audit.verify import run_check
from canteen.audit.words import Names, break_words
from canteen.chain.links import append_after, head, link_hash
from canteen.chain.models import GENESIS, ChainLink
from canteen.config import AppConfig
from canteen.core.errors import Conflict
from canteen.ledger.chained import WASTE_REVISION, ledger_stream
from canteen.ledger.entries import correct_entry, void_entry
from canteen.ledger.models import WasteEntry, WasteEntryRevision
from canteen.reference.models import Canteen, Meal, Stream
from tests.audit.conftest import FIRST, People, fresh_verify, links_of, problems


def _zonghe(session: Session) -> Canteen:
    return session.scalars(select(Canteen).where(Canteen.code == "zonghe")).one()


def _in_words(session: Session, settings: AppConfig, finding: dict) -> str:
    with force_locale("en"):
        words = break_words(Names(session, settings), finding)
        return f"{words.where}: {words.what}"


def test_each_revision_is_chained_to_the_one_before_in_its_month(ctx: Session, settings: AppConfig,
                                                                 people: People, weigh: Callable,
                                                                 count_diners: Callable) -> None:
    entry = weigh("2021-07-05", "lunch", "plate", "12.5")
    correct_entry(ctx, settings, people["manager"], entry.id, weight="10", unit="kg",
                  reason="scale not zeroed")
    ctx.commit()
    count_diners("2021-07-05", "lunch", 300)
    links = links_of(ctx, ledger_stream(_zonghe(ctx).id, FIRST))
    assert [(link.seq, link.kind) for link in links] == [(1, "waste_revision"), (2, "waste_revision"),
                                                         (3, "diner_revision")]
    assert links[0].prev_hash == GENESIS
    assert [link.prev_hash for link in links[1:]] == [link.hash for link in links[:-1]]
    first, correction = (json.loads(link.content)["record"] for link in links[:2])
    assert (first["weight_g"], first["number"], first["reason"]) == (12500, 1, None)
    assert (correction["weight_g"], correction["number"]) == (10000, 2)
    assert correction["reason"] == "scale not zeroed"
    assert {link.actor_id for link in links} == {people["manager"].id}
    # The hash is SHA-256 over the canonical JSON of the link, as documented (not merely what the code says).
    link = links[1]
    payload = {"v": 1, "stream": link.stream, "seq": 2, "kind": "waste_revision", "record": link.record_id,
               "prev": links[0].hash, "canteen": link.canteen_id, "month": "2021-07-01",
               "actor": people["manager"].id, "at": link.at.isoformat(), "sealed": False,
               "content": json.loads(link.content)}
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert link.hash == hashlib.sha256(canonical.encode()).hexdigest() == link_hash(link)
    assert fresh_verify(ctx).breaks == []


def test_each_canteen_month_is_its_own_stream(ctx: Session, weigh: Callable) -> None:
    weigh("2021-07-31", "dinner", "prep", 3)
    weigh("2021-08-01", "breakfast", "prep", 4)
    weigh("2021-08-01", "breakfast", "prep", 2, canteen="badajie")
    streams = ctx.execute(select(ChainLink.stream, ChainLink.seq).order_by(ChainLink.stream)).all()
    assert sorted(seq for _stream, seq in streams) == [1, 1, 1]
    assert len({stream for stream, _seq in streams}) == 3


def test_a_direct_update_of_a_stored_weight_is_found_and_named(ctx: Session, settings: AppConfig,
                                                               weigh: Callable) -> None:
    entry = weigh("2021-07-05", "lunch", "plate", "12.5")
    weigh("2021-07-05", "lunch", "prep", 4)
    # No revision: only the current value changes, as an UPDATE in a database console would.
    ctx.execute(text("UPDATE waste_entry SET weight_g = 99999 WHERE id = :id"), {"id": entry.id})
    findings = fresh_verify(ctx)
    assert problems(findings) == [("mirror", "waste_revision")]
    [finding] = findings.breaks
    assert finding["fields"] == [{"field": "weight_g", "chained": 12500, "now": 99999}]
    assert _in_words(ctx, settings, finding) == (
        "Integrated Office Area Canteen · 2021-07 · 2021-07-05 · Lunch · Plate waste · revision 1: the "
        "current value differs from the newest revision: weight: 12.500 kg in the newest revision, 99.999 kg "
        "now")


def test_an_updated_revision_value_is_found_at_its_revision(ctx: Session, settings: AppConfig, people: People,
                                                            weigh: Callable) -> None:
    entry = weigh("2021-07-06", "dinner", "unsold", 8)
    correct_entry(ctx, settings, people["manager"], entry.id, weight="7", unit="kg", reason="re-weighed")
    ctx.commit()
    # Rewrite history consistently: the revision and the current value both say 5 kg.
    ctx.execute(text("UPDATE waste_entry_revision SET weight_g = 5000 WHERE entry_id = :id AND number = 2"),
                {"id": entry.id})
    ctx.execute(text("UPDATE waste_entry SET weight_g = 5000 WHERE id = :id"), {"id": entry.id})
    findings = fresh_verify(ctx)
    assert problems(findings) == [("changed", "waste_revision")]
    [finding] = findings.breaks
    assert finding["where"]["number"] == 2 and finding["where"]["seq"] == 2
    assert finding["fields"] == [{"field": "weight_g", "chained": 7000, "now": 5000}]
    assert _in_words(ctx, settings, finding).endswith(
        "Dinner · Unsold cooked food · revision 2: the stored values differ from what was chained: "
        "weight: 7.000 kg when chained, 5.000 kg now")


def test_a_deleted_revision_and_a_deleted_link_are_found(ctx: Session, settings: AppConfig, people: People,
                                                         weigh: Callable) -> None:
    entry = weigh("2021-07-07", "lunch", "plate", 9)
    void_entry(ctx, people["manager"], entry.id, "weighed twice")
    ctx.commit()
    weigh("2021-07-07", "lunch", "prep", 2)
    revision = ctx.scalars(select(WasteEntryRevision).where(WasteEntryRevision.entry_id == entry.id,
                                                            WasteEntryRevision.number == 2)).one()
    # The void is deleted: the entry still says void, its chain link still names the revision.
    ctx.execute(text("DELETE FROM waste_entry_revision WHERE id = :id"), {"id": revision.id})
    findings = fresh_verify(ctx)
    assert problems(findings) == [("mirror", "waste_revision"), ("missing", "waste_revision")]
    missing = next(item for item in findings.breaks if item["problem"] == "missing")
    assert _in_words(ctx, settings, missing) == (
        "Integrated Office Area Canteen · 2021-07 · 2021-07-07 · Lunch · Plate waste · revision 2: the "
        "record was deleted; its chain link remains")
    ctx.rollback()
    # Deleting the middle link instead leaves a gap the next link cannot bridge.
    stream = ledger_stream(_zonghe(ctx).id, FIRST)
    ctx.execute(text("DELETE FROM chain_link WHERE stream = :stream AND seq = 2"), {"stream": stream})
    findings = fresh_verify(ctx)
    assert ("gap", "waste_revision") in problems(findings)
    gap = next(item for item in findings.breaks if item["problem"] == "gap")
    assert (gap["first"], gap["last"]) == (2, 2)
    assert "links 2 to 2 of this history are missing" in _in_words(ctx, settings, gap)


def test_an_edited_link_and_a_record_written_around_the_service_are_found(
        ctx: Session, settings: AppConfig, people: People, weigh: Callable) -> None:
    entry = weigh("2021-07-08", "breakfast", "prep", 3)
    link = ctx.scalars(select(ChainLink).where(ChainLink.record_id == entry.revisions[0].id,
                                               ChainLink.kind == "waste_revision")).one()
    ctx.execute(text("UPDATE chain_link SET actor_id = :other WHERE id = :id"),
                {"other": people["admin"].id, "id": link.id})
    # A weighing inserted with its revision but no link (not through the service).
    meal = ctx.scalars(select(Meal).where(Meal.code == "lunch")).one()
    stream = ctx.scalars(select(Stream).where(Stream.code == "prep")).one()
    sneaked = WasteEntry(canteen_id=_zonghe(ctx).id, day=date(2021, 7, 8), meal=meal, stream=stream,
                         weight_g=1000, source="web", created_by_id=people["manager"].id)
    sneaked.revisions.append(WasteEntryRevision(number=1, weight_g=1000, created_by_id=people["manager"].id))
    ctx.add(sneaked)
    ctx.commit()
    findings = fresh_verify(ctx)
    assert problems(findings) == [("hash", "waste_revision"), ("unchained", "waste_revision")]
    texts = [_in_words(ctx, settings, item) for item in findings.breaks]
    assert any("Breakfast · Prep trimmings · revision 1: the chain link itself was altered" in item
               for item in texts)
    assert any("Lunch · Prep trimmings · revision 1: the record is not in the chain" in item
               for item in texts)


def test_a_cut_off_tail_is_found_against_the_previous_check(ctx: Session, weigh: Callable) -> None:
    weigh("2021-07-09", "lunch", "plate", 6)
    entry = weigh("2021-07-09", "lunch", "prep", 2)
    first, _findings = run_check(ctx, "cli")
    assert first.ok
    # The newest weighing, its revision and its link all removed: consistent, except with the last check.
    ctx.execute(text("DELETE FROM chain_link WHERE kind = 'waste_revision' AND record_id = :id"),
                {"id": entry.revisions[0].id})
    ctx.execute(text("DELETE FROM waste_entry_revision WHERE entry_id = :id"), {"id": entry.id})
    ctx.execute(text("DELETE FROM waste_entry WHERE id = :id"), {"id": entry.id})
    ctx.expire_all()
    second, findings = run_check(ctx, "cli")
    assert not second.ok and problems(findings) == [("rewritten", None)]
    assert findings.breaks[0]["where"]["seq"] == 2


def test_two_writers_after_the_same_head_cannot_both_append(ctx: Session, people: People,
                                                            weigh: Callable) -> None:
    weigh("2021-07-10", "lunch", "plate", 6)
    stream = ledger_stream(_zonghe(ctx).id, FIRST)
    stale = head(ctx, stream)
    weigh("2021-07-10", "lunch", "prep", 2)
    # A second writer that read the head before the first one appended: its place is taken.
    meal = ctx.scalars(select(Meal).where(Meal.code == "dinner")).one()
    kind = ctx.scalars(select(Stream).where(Stream.code == "prep")).one()
    late = WasteEntry(canteen_id=_zonghe(ctx).id, day=date(2021, 7, 10), meal=meal, stream=kind,
                      weight_g=1000, source="api", created_by_id=people["manager"].id)
    late.revisions.append(WasteEntryRevision(number=1, weight_g=1000, created_by_id=people["manager"].id))
    ctx.add(late)
    with pytest.raises(Conflict) as refused:
        append_after(ctx, WASTE_REVISION, late.revisions[0], stale)
    assert refused.value.status == 409
    ctx.rollback()
    assert [link.seq for link in links_of(ctx, stream)] == [1, 2]
    assert ctx.scalar(select(WasteEntry).where(WasteEntry.source == "api")) is None
    assert fresh_verify(ctx).breaks == []
