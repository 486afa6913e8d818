"""The pages' forms: deciding, correcting, approving, appealing, editing diners; evidence served privately."""
from __future__ import annotations

import io
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import select

from canteen.camera_events.models import CameraEvent
from canteen.diners.models import Diner
from canteen.offences.models import Appeal, Escalation
from canteen.camera_events.models import EventReview
from tests.offences.conftest import confirm, current_step, evidence


def recent(days: float) -> datetime:
    return datetime.now(timezone.utc) - timedelta(days=days)


@pytest.fixture
def zhang(add_diner):
    return add_diner("1001", "张三", "办公室")


def test_decide_then_the_next_pending_event_opens(client, login, ctx, people, zhang, add_event):
    older, newer = add_event(recent(0.3)), add_event(recent(0.2))
    login(people["reviewer"])
    page = client.get("/review/").get_data(as_text=True)
    assert page.index(newer.uuid) < page.index(older.uuid), "newest first"
    response = client.post(f"/review/events/{newer.uuid}/decide",
                           data={"decision": "confirmed", "card_no": "1001", "note": "整盘"})
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/review/events/{older.uuid}")
    response = client.post(f"/review/events/{older.uuid}/decide", data={"decision": "dismissed"})
    assert response.status_code == 303 and response.headers["Location"].endswith("/review/")
    ctx.expire_all()
    assert [row.decision for row in ctx.scalars(select(EventReview).order_by(EventReview.id))] == [
        "confirmed", "dismissed"]


def test_a_bad_decision_shows_the_field_and_keeps_the_input(client, login, ctx, people, zhang, add_event,
                                                            counts):
    event = add_event(recent(0.2))
    login(people["reviewer"])
    before = counts()
    response = client.post(f"/review/events/{event.uuid}/decide",
                           data={"decision": "confirmed", "card_no": "9999", "note": "我的备注"})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'id="error-card_no"' in page and 'value="9999"' in page and "我的备注" in page
    assert counts() == before
    twice = client.post(f"/review/events/{event.uuid}/decide", data={"decision": "dismissed"})
    assert twice.status_code == 303
    again = client.post(f"/review/events/{event.uuid}/decide", data={"decision": "unidentified"})
    assert again.status_code == 409


def test_correction_form_keeps_both_revisions(client, login, ctx, settings, people, zhang, add_event):
    event = add_event(recent(1))
    confirm(ctx, settings, people["reviewer"], event, "1001", now=recent(0.9))
    login(people["reviewer2"])
    missing = client.post(f"/review/events/{event.uuid}/correct", data={"decision": "dismissed"})
    assert missing.status_code == 422 and 'id="error-reason"' in missing.get_data(as_text=True)
    done = client.post(f"/review/events/{event.uuid}/correct",
                       data={"decision": "dismissed", "reason": "只是汤"})
    assert done.status_code == 303
    page = client.get(f"/review/events/{event.uuid}").get_data(as_text=True)
    assert page.count('class="review-row') == 2 and "只是汤" in page


def test_evidence_is_served_privately_and_only_what_exists(client, login, app, ctx, people, add_event):
    event = add_event(recent(0.2))
    login(people["reviewer"])
    response = client.get(f"/review/media/{event.uuid}/snapshot")
    assert response.status_code == 200 and response.data == evidence()["snapshot"]
    assert response.headers["Cache-Control"] == "private, no-store"
    response.close()
    clip = client.get(f"/review/media/{event.uuid}/clip")
    assert clip.mimetype == "video/webm"
    clip.close()
    for kind in ("thumbnail", "..", "snapshot.jpg"):
        assert client.get(f"/review/media/{event.uuid}/{kind}").status_code == 404
    ctx.get(CameraEvent, event.id).media_deleted_at = recent(0)
    ctx.commit()
    assert client.get(f"/review/media/{event.uuid}/snapshot").status_code == 404
    # Evidence lives in the instance folder, never under the static folder that anyone may fetch.
    assert not any(Path(app.static_folder).rglob("*.jpg"))


def test_four_eyes_on_the_approval_page(client, login, ctx, settings, people, zhang, add_event):
    confirm(ctx, settings, people["reviewer"], add_event(recent(3)), "1001", now=recent(2.9))
    exposure = confirm(ctx, settings, people["reviewer"], add_event(recent(2)), "1001", now=recent(1.9))
    login(people["reviewer"])
    page = client.get(f"/offences/escalations/{exposure.id}").get_data(as_text=True)
    assert 'id="four-eyes"' in page and 'id="btn-approve"' not in page
    refused = client.post(f"/offences/escalations/{exposure.id}/approve", data={})
    assert refused.status_code == 403
    client.post("/logout")
    login(people["reviewer2"])
    assert f'data-escalation="{exposure.id}"' in client.get("/offences/approvals").get_data(as_text=True)
    assert 'id="btn-approve"' in client.get(f"/offences/escalations/{exposure.id}").get_data(as_text=True)
    done = client.post(f"/offences/escalations/{exposure.id}/approve", data={"note": "同意"})
    assert done.status_code == 303
    ctx.expire_all()
    assert ctx.get(Escalation, exposure.id).status == "approved"


def test_appeal_forms(client, login, ctx, settings, people, zhang, add_event):
    event = add_event(recent(2))
    warning = confirm(ctx, settings, people["reviewer"], event, "1001", now=recent(1.9))
    login(people["reviewer2"])
    empty = client.post(f"/offences/escalations/{warning.id}/appeal", data={"statement": " "})
    assert empty.status_code == 422
    assert client.post(f"/offences/escalations/{warning.id}/appeal",
                       data={"statement": "不是我"}).status_code == 303
    page = client.get(f"/offences/escalations/{warning.id}").get_data(as_text=True)
    assert 'id="suspended"' in page and 'id="btn-decide-appeal"' in page
    appeal = ctx.scalars(select(Appeal)).one()
    assert client.post(f"/offences/appeals/{appeal.id}/decide",
                       data={"outcome": "upheld", "reason": "证据清楚"}).status_code == 303
    ctx.expire_all()
    assert ctx.get(Appeal, appeal.id).status == "upheld"
    history = client.get("/offences/diners/1001").get_data(as_text=True)
    assert "证据清楚" in history and "不是我" in history


def test_diner_forms(client, login, ctx, people, zhang):
    login(people["admin"])
    bad = client.post("/diners/new", data={"card_no": "x y", "name": ""})
    assert bad.status_code == 422
    assert client.post("/diners/new", data={"card_no": "1002", "name": "李四", "department": "财务科",
                                            "active": "on"}).status_code == 303
    no_reason = client.post(f"/diners/{zhang.id}/edit",
                            data={"name": "张三", "department": "人事科", "active": "on"})
    assert no_reason.status_code == 422
    assert client.post(f"/diners/{zhang.id}/edit", data={"name": "张三", "department": "人事科", "active": "on",
                                                         "reason": "调岗"}).status_code == 303
    page = client.get(f"/diners/{zhang.id}/edit").get_data(as_text=True)
    assert "调岗" in page and "办公室" in page, "the old value stays visible in the revisions"
    upload = client.post("/diners/import",
                         data={"file": (io.BytesIO("卡号,姓名\n1003,\n".encode()), "cards.csv")},
                         content_type="multipart/form-data")
    assert upload.status_code == 422 and 'id="problems"' in upload.get_data(as_text=True)
    ok = client.post("/diners/import", data={"file": (io.BytesIO("卡号,姓名\n1003,王五\n".encode()), "cards.csv")},
                     content_type="multipart/form-data")
    assert ok.status_code == 303
    ctx.expire_all()
    assert sorted(ctx.scalars(select(Diner.card_no))) == ["1001", "1002", "1003"]
    assert "王五" in client.get("/diners/?q=1003").get_data(as_text=True)


def test_warning_page_records_who_gave_it(client, login, ctx, settings, people, zhang, add_event):
    event = add_event(recent(2))
    warning = confirm(ctx, settings, people["reviewer"], event, "1001", now=recent(1.9))
    login(people["reviewer2"])
    moment = recent(1).astimezone(settings.zone).strftime("%Y-%m-%dT%H:%M")
    assert client.post(f"/offences/escalations/{warning.id}/warning",
                       data={"given_at": moment, "note": "当面"}).status_code == 303
    ctx.expire_all()
    stored = current_step(ctx, event)
    assert stored.status == "given" and stored.decided_by_id == people["reviewer2"].id
    page = client.get(f"/offences/escalations/{warning.id}").get_data(as_text=True)
    assert 'id="decided-by"' in page and "当面" in page
