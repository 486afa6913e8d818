"""Reviewing events: one first decision, refusals that store nothing, corrections as revisions, the queue."""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from canteen.auth.models import User
from canteen.camera_events.models import CameraEvent
from canteen.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from canteen.camera_events.models import EventReview
from canteen.review.services import QueueFilter, correct_review, list_events, review_event
from tests.offences.conftest import utc


@pytest.fixture
def zhang(add_diner):
    return add_diner("1001", "张三", "办公室")


def test_first_decision_records_who_when_and_note(ctx, settings, people, zhang, add_event):
    event = add_event(utc(2024, 3, 4))
    review = review_event(ctx, settings, people["reviewer"], event.uuid,
                          {"decision": "confirmed", "card_no": " 1001 ", "note": "整盘倒掉"}, now=utc(2024, 3, 4,
                                                                                                  6))
    ctx.commit()
    assert (review.number, review.decision, review.diner_id, review.note) == (1, "confirmed", zhang.id,
                                                                              "整盘倒掉")
    assert review.created_by_id == people["reviewer"].id and review.created_at == utc(2024, 3, 4, 6)
    assert ctx.get(CameraEvent, event.id).status == "confirmed"


@pytest.mark.parametrize("data, field", [
    ({"decision": "confirmed", "card_no": "9999"}, "card_no"),      # unknown diner
    ({"decision": "confirmed"}, "card_no"),                          # nobody named
    ({"decision": "dismissed", "card_no": "1001"}, "card_no"),      # a dismissal names nobody
    ({"decision": "maybe"}, "decision"),
    ({"decision": "dismissed", "note": "x" * 501}, "note"),
    ({"decision": "dismissed", "reason": "why"}, "reason"),
])
def test_bad_decisions_name_the_field_and_store_nothing(ctx, settings, people, zhang, add_event, counts,
                                                        data, field):
    event = add_event(utc(2024, 3, 4))
    before = counts()
    with pytest.raises(InvalidInput) as error:
        review_event(ctx, settings, people["reviewer"], event.uuid, data)
    assert field in error.value.fields
    ctx.rollback()
    assert counts() == before
    assert ctx.get(CameraEvent, event.id).status == "pending"


def test_reviewing_twice_is_refused(ctx, settings, people, zhang, add_event, counts):
    event = add_event(utc(2024, 3, 4))
    review_event(ctx, settings, people["reviewer"], event.uuid, {"decision": "dismissed"})
    ctx.commit()
    before = counts()
    with pytest.raises(Conflict):
        review_event(ctx, settings, people["reviewer2"], event.uuid,
                     {"decision": "confirmed", "card_no": "1001"})
    ctx.rollback()
    assert counts() == before


def test_only_reviewers_in_scope_may_decide(ctx, settings, people, zhang, add_event, make_user):
    event = add_event(utc(2024, 3, 4), canteen="zonghe")
    for role in ("viewer", "contractor", "manager", "discipline"):
        with pytest.raises(Forbidden):
            review_event(ctx, settings, people[role], event.uuid, {"decision": "dismissed"})
    badajie_only = ctx.merge(make_user("reviewer", canteens=["badajie"]))
    with pytest.raises(NotFound):
        review_event(ctx, settings, badajie_only, event.uuid, {"decision": "dismissed"})
    with pytest.raises(NotFound):
        review_event(ctx, settings, people["reviewer"], "8d5c1e2a-0000-4000-8000-000000000000",
                     {"decision": "dismissed"})


def test_a_correction_is_a_new_revision_with_a_reason(ctx, settings, people, zhang, add_event):
    event = add_event(utc(2024, 3, 4))
    with pytest.raises(Conflict):
        correct_review(ctx, settings, people["reviewer"], event.uuid,
                       {"decision": "dismissed", "reason": "r"})
    ctx.rollback()
    review_event(ctx, settings, people["reviewer"], event.uuid, {"decision": "unidentified", "note": "背影"},
                 now=utc(2024, 3, 4, 5))
    with pytest.raises(Conflict):
        correct_review(ctx, settings, people["reviewer2"], event.uuid,
                       {"decision": "unidentified", "note": "背影", "reason": "same"})
    correct_review(ctx, settings, people["reviewer2"], event.uuid,
                   {"decision": "confirmed", "card_no": "1001", "note": "侧脸可辨", "reason": "复看录像认出"},
                   now=utc(2024, 3, 5))
    ctx.commit()
    reviews = ctx.scalars(select(EventReview).where(EventReview.event_id == event.id)
                          .order_by(EventReview.number)).all()
    assert [(item.number, item.decision, item.note, item.reason, item.created_by_id) for item in reviews] == [
        (1, "unidentified", "背影", None, people["reviewer"].id),
        (2, "confirmed", "侧脸可辨", "复看录像认出", people["reviewer2"].id)]
    assert ctx.get(CameraEvent, event.id).status == "confirmed"


def test_queue_is_newest_first_filtered_and_scoped(ctx, settings, people, add_event, make_user):
    old = add_event(utc(2024, 3, 4, 4), canteen="zonghe")
    new = add_event(utc(2024, 3, 5, 4), canteen="zonghe")
    other = add_event(utc(2024, 3, 5, 5), canteen="badajie")
    late = add_event(utc(2024, 3, 4, 17), canteen="zonghe")  # 01:00 on 5 March in Shanghai
    reviewer = people["reviewer"]

    def uuids(wanted: QueueFilter, actor: User = reviewer) -> list[str]:
        return [item.uuid for item in list_events(ctx, settings, actor, wanted)]

    assert uuids(QueueFilter()) == [other.uuid, new.uuid, late.uuid, old.uuid]
    assert uuids(QueueFilter(canteen="zonghe")) == [new.uuid, late.uuid, old.uuid]
    assert uuids(QueueFilter(camera="tray-badajie")) == [other.uuid]
    assert uuids(QueueFilter(day=date(2024, 3, 5))) == [other.uuid, new.uuid, late.uuid]
    assert uuids(QueueFilter(status="dismissed")) == []
    badajie_only = ctx.merge(make_user("reviewer", canteens=["badajie"]))
    assert uuids(QueueFilter(), badajie_only) == [other.uuid]
    with pytest.raises(Forbidden):
        list_events(ctx, settings, people["discipline"], QueueFilter())
