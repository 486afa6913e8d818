"""Escalation decisions are chained per escalation; a direct UPDATE of a decision is found by verify."""
from __future__ import annotations

import json

import pytest
from flask_babel import force_locale
from sqlalchemy import select, text

from canteen.audit.verify import verify
from canteen.audit.words import Names, break_words
from canteen.chain.links import link_hash
from canteen.chain.models import GENESIS, ChainLink
from canteen.offences.escalations import approve, reject
from tests.offences.conftest import confirm, utc


@pytest.fixture
def zhang(add_diner):
    return add_diner("1001", "张三", "办公室")


def _links(ctx, escalation):
    ctx.expire_all()
    return ctx.scalars(select(ChainLink).where(ChainLink.stream == f"escalation:{escalation.id}")
                       .order_by(ChainLink.seq)).all()


def _breaks(ctx, kind="escalation_action"):
    ctx.expire_all()
    return [item for item in verify(ctx).breaks if item["kind"] == kind]


def test_each_line_of_an_escalation_is_chained_with_the_decision_it_left(ctx, settings, people, zhang,
                                                                         add_event):
    confirm(ctx, settings, people["reviewer"], add_event(utc(2024, 3, 4)), "1001")
    exposure = confirm(ctx, settings, people["reviewer"], add_event(utc(2024, 3, 6)), "1001")
    approve(ctx, settings, people["discipline"], exposure.id, "证据清楚", now=utc(2024, 3, 7))
    ctx.commit()
    links = _links(ctx, exposure)
    records = [json.loads(link.content) for link in links]
    assert [(item["record"]["action"], item["state"]["status"]) for item in records] == [
        ("created", "pending_approval"), ("approved", "approved")]
    assert records[1]["record"]["by"] == people["discipline"].id
    assert records[1]["state"]["decision_note"] == "证据清楚"
    assert links[0].prev_hash == GENESIS and links[1].prev_hash == links[0].hash
    assert all(link.hash == link_hash(link) for link in links)
    assert _breaks(ctx) == []


def test_a_direct_update_of_a_decision_is_found_and_named(ctx, settings, people, zhang, add_event):
    confirm(ctx, settings, people["reviewer"], add_event(utc(2024, 3, 4)), "1001")
    exposure = confirm(ctx, settings, people["reviewer"], add_event(utc(2024, 3, 6)), "1001")
    reject(ctx, settings, people["discipline"], exposure.id, "画面不清", now=utc(2024, 3, 7))
    ctx.commit()
    # Rejected turned into approved, by someone else, straight in the database.
    ctx.execute(text("UPDATE escalation SET status = 'approved', decided_by_id = :who WHERE id = :id"),
                {"who": people["admin"].id, "id": exposure.id})
    [finding] = _breaks(ctx)
    assert finding["problem"] == "mirror"
    assert {item["field"]: (item["chained"], item["now"]) for item in finding["fields"]} == {
        "status": ("rejected", "approved"), "decided_by_id": (people["discipline"].id, people["admin"].id)}
    with force_locale("en"):
        words = break_words(Names(ctx, settings), finding)
    assert words.where == "Escalation · 张三 · Public exposure · history line 2"
    assert words.what == ("the current value differs from the newest revision: decided by: discipline in the "
                          "newest revision, admin now; status: rejected in the newest revision, approved now")
    ctx.rollback()
    # Rewriting the history line itself is found as a changed record.
    ctx.execute(text("UPDATE escalation_action SET note = '证据清楚' "
                     "WHERE escalation_id = :id AND action = 'rejected'"), {"id": exposure.id})
    [finding] = _breaks(ctx)
    assert finding["problem"] == "changed"
    assert finding["fields"] == [{"field": "note", "chained": "画面不清", "now": "证据清楚"}]
