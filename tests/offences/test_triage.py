"""Triage of the review queue: lasting changes first, a change filter, bulk dismissal, auto-close by the
system."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from canteen.auth.models import User
from canteen.camera_events.models import CameraEvent, EventReview
from canteen.camera_events.storage import media_root
from canteen.core.errors import Forbidden, InvalidInput
from canteen.offences.retention import run_retention
from canteen.review.services import QueueFilter, correct_review, list_events, review_event
from canteen.review.triage import close_unchanged_events, confidence_level, dismiss_unchanged
from reports.jobs import JobContext, close_unchanged_events as close_job
from tests.offences.conftest import settings_with, utc
from tests.web.helpers import csrf_token_from


@pytest.fixture
def visits(add_event):
    """Six pending visits: three that changed the bin (two confidences), three that did not."""
    return {
        "change_high_old": add_event(utc(2024, 3, 4, 4, 0), scene_changed=True, confidence=0.9),
        "change_mid_new": add_event(utc(2024, 3, 4, 4, 30), scene_changed=True, confidence=0.6),
        "change_mid_old": add_event(utc(2024, 3, 4, 4, 10), scene_changed=True, confidence=0.6),
        "none_new": add_event(utc(2024, 3, 4, 4, 50), scene_changed=False, confidence=0.2, with_clip=False),
        "none_old": add_event(utc(2024, 3, 4, 4, 5), scene_changed=False, confidence=0.2, with_clip=False),
        "none_badajie": add_event(utc(2024, 3, 4, 4, 20), canteen="badajie", scene_changed=False,
                                  confidence=0.1, with_clip=False),
    }


def status_of(ctx, event: CameraEvent) -> str:
    """The event's status as stored now; the read's savepoint is ended at once, before the next request."""
    ctx.expire_all()
    status = ctx.get(CameraEvent, event.id).status
    ctx.commit()
    return status


def _names(visits, events):
    by_id = {event.id: name for name, event in visits.items()}
    return [by_id[event.id] for event in events]


def test_the_queue_lists_lasting_changes_first_then_by_confidence_then_newest(ctx, settings, people,
                                                                              visits):
    events = list_events(ctx, settings, people["reviewer"], QueueFilter())
    assert _names(visits, events) == ["change_high_old", "change_mid_new", "change_mid_old", "none_new",
                                      "none_old", "none_badajie"]
    changed = list_events(ctx, settings, people["reviewer"], QueueFilter(change="changed"))
    assert _names(visits, changed) == ["change_high_old", "change_mid_new", "change_mid_old"]
    unchanged = list_events(ctx, settings, people["reviewer"],
                            QueueFilter(change="unchanged", canteen="zonghe"))
    assert _names(visits, unchanged) == ["none_new", "none_old"]


def test_confidence_is_said_as_a_level():
    assert [confidence_level(value) for value in (0.0, 0.29, 0.5, 0.74, 0.75, 1.0)] == [
        "low", "low", "medium", "medium", "high", "high"]


def test_the_queue_page_says_change_and_confidence_in_words_and_filters(client, login, people, visits):
    login(people["reviewer"])
    page = client.get("/review/").get_data(as_text=True)
    rows = page.split('id="queue"')[1]
    # The detector's verdict in words, not a percentage.
    assert "桶内有变化" in rows and "桶内无变化" in rows
    assert "高" in rows and "中" in rows and "低" in rows
    assert "90%" not in rows and "0.9" not in rows
    order = [rows.index(visits[name].uuid) for name in ("change_high_old", "change_mid_old", "none_new")]
    assert order == sorted(order)
    # Only unchanged pending visits can be chosen for bulk dismissal.
    assert rows.count('class="bulk-pick"') == 3
    assert f'value="{visits["change_high_old"].uuid}" form="bulk-form"' not in rows
    filtered = client.get("/review/?change=unchanged").get_data(as_text=True).split('id="queue"')[1]
    assert visits["none_new"].uuid in filtered and visits["change_high_old"].uuid not in filtered
    bad = client.get("/review/?change=maybe")
    assert bad.status_code == 200 and "change" in bad.get_data(as_text=True)


def test_the_review_api_filters_and_orders_like_the_queue(api_as, visits):
    reviewer = api_as("reviewer")
    body = reviewer.get("/camera-events?change=unchanged").get_json()
    assert [item["event"]["id"] for item in body["events"]] == [
        visits[name].uuid for name in ("none_new", "none_old", "none_badajie")]
    assert all(item["event"]["scene_changed"] is False for item in body["events"])
    everything = reviewer.get("/camera-events").get_json()["events"]
    assert [item["event"]["scene_changed"] for item in everything] == [True] * 3 + [False] * 3
    refused = reviewer.get("/camera-events?change=maybe")
    assert refused.status_code == 422 and "change" in refused.get_json()["fields"]


def test_bulk_dismissal_is_one_normal_decision_per_visit(ctx, settings, people, visits):
    chosen = [visits["none_new"].uuid, visits["none_old"].uuid.upper(), visits["none_new"].uuid]
    result = dismiss_unchanged(ctx, settings, people["reviewer"], chosen, "空盘放回", now=utc(2024, 3, 4, 6))
    ctx.commit()
    assert sorted(event.id for event in result.dismissed) == sorted(
        [visits["none_new"].id, visits["none_old"].id])
    assert result.already_decided == []
    reviews = ctx.scalars(select(EventReview).order_by(EventReview.event_id)).all()
    assert [(r.number, r.decision, r.created_by_id, r.note, r.reason) for r in reviews] == [
        (1, "dismissed", people["reviewer"].id, "空盘放回", None)] * 2
    assert {ctx.get(CameraEvent, r.event_id).status for r in reviews} == {"dismissed"}
    # A later correction is a second revision, as after any first decision.
    correct_review(ctx, settings, people["reviewer2"], visits["none_new"].uuid,
                   {"decision": "unidentified", "reason": "复看录像，确有倒餐"}, now=utc(2024, 3, 5))
    ctx.commit()
    assert ctx.get(CameraEvent, visits["none_new"].id).status == "unidentified"


def test_bulk_dismissal_reports_visits_decided_meanwhile(ctx, settings, people, visits):
    review_event(ctx, settings, people["reviewer2"], visits["none_old"].uuid, {"decision": "unidentified"})
    ctx.commit()
    result = dismiss_unchanged(ctx, settings, people["reviewer"],
                               [visits["none_old"].uuid, visits["none_new"].uuid])
    ctx.commit()
    assert [event.id for event in result.dismissed] == [visits["none_new"].id]
    assert [event.id for event in result.already_decided] == [visits["none_old"].id]
    assert ctx.get(CameraEvent, visits["none_old"].id).status == "unidentified"


@pytest.mark.parametrize("chosen, reason", [
    ([], "no visit"),
    (["none_new", "change_mid_new"], "a lasting change"),
    (["none_new", "not-a-uuid"], "unknown"),
    (["none_new", "none_badajie"], "out of scope"),
])
def test_bulk_dismissal_refuses_bad_choices_whole(ctx, settings, people, make_user, visits, counts, chosen,
                                                  reason):
    # A reviewer limited to zonghe: badajie's visit is outside their scope.
    reviewer = ctx.get(User, make_user("reviewer", canteens=["zonghe"]).id)
    uuids = [visits[name].uuid if name in visits else name for name in chosen]
    before = counts()
    with pytest.raises(InvalidInput) as error:
        dismiss_unchanged(ctx, settings, reviewer, uuids)
    assert "events" in error.value.fields, reason
    ctx.rollback()
    assert counts() == before
    assert ctx.get(CameraEvent, visits["none_new"].id).status == "pending"


def test_only_reviewers_dismiss(ctx, settings, people, visits):
    with pytest.raises(Forbidden):
        dismiss_unchanged(ctx, settings, people["discipline"], [visits["none_new"].uuid])


def test_bulk_dismissal_form_records_and_says_so(client, login, people, visits, ctx):
    # Read before any request: the test's session must not open a savepoint between the app's.
    uuids = {name: event.uuid for name, event in visits.items()}
    ctx.commit()
    login(people["reviewer"])
    response = client.post("/review/dismiss-unchanged?change=unchanged",
                           data={"event": [uuids["none_new"], uuids["none_old"]], "note": ""})
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/review/?change=unchanged")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "已将 2 次投放记录为" in page
    refused = client.post("/review/dismiss-unchanged", data={"event": [uuids["change_high_old"]]})
    assert refused.status_code == 303
    assert "须逐一复核" in client.get("/review/").get_data(as_text=True)
    assert status_of(ctx, visits["none_new"]) == "dismissed"
    assert status_of(ctx, visits["change_high_old"]) == "pending"


def test_the_bulk_form_needs_its_csrf_token(csrf_app, client, people, visits, ctx):
    token = csrf_token_from(client.get("/login").data)
    client.post("/login", data={"username": "reviewer", "password": "tray-return-2021", "csrf_token": token})
    assert client.get("/review/").status_code == 200
    response = client.post("/review/dismiss-unchanged", data={"event": [visits["none_new"].uuid]})
    assert response.status_code == 400
    assert status_of(ctx, visits["none_new"]) == "pending"


def test_unchanged_visits_are_closed_by_the_system_after_the_configured_time(ctx, settings, people,
                                                                             add_event):
    hours = settings.offences.triage.close_unchanged_after_hours
    now = utc(2024, 3, 10, 4)

    def visit(changed: bool, waited: timedelta):
        return add_event(utc(2024, 3, 1), scene_changed=changed, confidence=0.7 if changed else 0.2,
                         received_at=now - waited)

    waited = visit(False, timedelta(hours=hours, minutes=1))
    # Delivered late from a worker's outbox: the wait counts from arrival, not from the visit.
    late = visit(False, timedelta(hours=1))
    changed = visit(True, timedelta(days=5))
    decided = visit(False, timedelta(days=5))
    review_event(ctx, settings, people["reviewer"], decided.uuid, {"decision": "unidentified"})
    ctx.commit()
    assert close_unchanged_events(ctx, settings, now) == 1
    ctx.commit()
    ctx.expire_all()
    status = {name: ctx.get(CameraEvent, event.id).status for name, event in
              (("waited", waited), ("late", late), ("changed", changed), ("decided", decided))}
    assert status == {"waited": "dismissed", "late": "pending", "changed": "pending",
                      "decided": "unidentified"}
    review = ctx.scalars(select(EventReview).where(EventReview.event_id == waited.id)).one()
    assert (review.number, review.decision, review.created_by_id, review.diner_id) == (
        1, "dismissed", None, None)
    assert str(hours) in review.reason and review.created_at == now
    assert close_unchanged_events(ctx, settings, now) == 0, "closed once"
    # A person may still correct the system's decision, as a second revision.
    correct_review(ctx, settings, people["reviewer"], waited.uuid,
                   {"decision": "unidentified", "reason": "复看：有人倒汤"}, now=now + timedelta(hours=1))
    ctx.commit()
    authors = ctx.scalars(select(EventReview.created_by_id).where(EventReview.event_id == waited.id)
                          .order_by(EventReview.number)).all()
    assert authors == [None, people["reviewer"].id]


def test_closed_visits_keep_their_evidence_for_the_retention_period(app, ctx, settings, add_event):
    now = utc(2024, 3, 10, 4)
    event = add_event(utc(2024, 3, 1), scene_changed=False, confidence=0.2, received_at=utc(2024, 3, 1))
    close_unchanged_events(ctx, settings, now)
    ctx.commit()
    root = media_root(app.instance_path)
    days = settings.offences.retention.dismissed_media_days
    assert run_retention(ctx, settings, root, now + timedelta(days=days - 1)).media_deleted == 0
    assert (root / event.media_dir / "snapshot.jpg").is_file()
    assert run_retention(ctx, settings, root, now + timedelta(days=days, minutes=1)).media_deleted == 1
    assert not (root / event.media_dir).exists()


def test_auto_close_can_be_switched_off_and_the_job_says_so(app, ctx, settings, add_event):
    add_event(utc(2024, 3, 1), scene_changed=False, confidence=0.2, received_at=utc(2024, 3, 1))
    off = settings_with(settings, triage={"close_unchanged_after_hours": 0})
    assert close_unchanged_events(ctx, off, utc(2025, 1, 1)) is None
    original = app.config["SETTINGS"]
    try:
        app.config["SETTINGS"] = off
        with app.app_context():
            outcome = close_job(JobContext(app, utc(2025, 1, 1), utc(2025, 1, 1), 0))
        assert outcome.status == "skipped"
        app.config["SETTINGS"] = original
        with app.app_context():
            outcome = close_job(JobContext(app, utc(2025, 1, 1), utc(2025, 1, 1), 0))
        assert (outcome.status, outcome.result) == (
            "ok", "1 visit(s) without a lasting change closed as not a dump")
    finally:
        app.config["SETTINGS"] = original


def test_the_event_page_says_the_system_closed_it(client, login, ctx, settings, people, add_event):
    event = add_event(utc(2024, 3, 1), scene_changed=False, confidence=0.2, received_at=utc(2024, 3, 1))
    close_unchanged_events(ctx, settings, utc(2024, 3, 10))
    ctx.commit()
    login(people["reviewer"])
    page = client.get(f"/review/events/{event.uuid}").get_data(as_text=True)
    decisions = page.split('id="decisions"')[1]
    assert "系统" in decisions and "由系统关闭" in decisions
    assert "closed by the system" not in decisions
    body = client.get(f"/review/events/{event.uuid}?status=dismissed")
    assert body.status_code == 200
