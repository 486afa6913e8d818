"""What the worker says about its public image and its camera: stored, and said in words where people look."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from canteen.camera_events.models import CameraEvent, CameraStatus
from canteen.db import utcnow
from canteen.extensions import db
from canteen.reference.services import canteen_by_code
from tests.camera_api.test_upload import count_events, event_json, upload


@pytest.mark.parametrize("sent, stored", [(True, True), (False, False), (None, False)])
def test_the_public_image_flag_is_stored_and_absent_means_none(app, client, make_user, make_token, sent,
                                                               stored):
    token = make_token(make_user("manager"))
    # A worker older than the flag sent the raw frame as its public copy: no flag, no publishable image.
    event = event_json() if sent is None else event_json(public_image=sent)
    response = upload(client, token, event)
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["public_image"] is stored
    with app.app_context():
        row = db.session.scalar(select(CameraEvent).where(CameraEvent.uuid == event["id"]))
        assert row.public_image is stored


@pytest.mark.parametrize("value", ["yes", 1, None])
def test_a_public_image_flag_that_is_not_a_boolean_is_refused(app, client, make_user, make_token, value):
    token = make_token(make_user("manager"))
    response = upload(client, token, event_json(public_image=value))
    assert response.status_code == 422
    assert "public_image" in response.get_json()["fields"]
    assert count_events(app) == 0


def _beat(client, token, **body):
    return client.post("/api/v1/camera-heartbeats", headers={"Authorization": f"Bearer {token}"}, json=body)


def test_no_signal_is_accepted_and_alerts_in_words(app, client, make_user, make_token, login):
    token = make_token(make_user("manager"))
    stored = _beat(client, token, camera="tray-zonghe", state="no_signal", detail="open timed out")
    assert stored.status_code == 200 and stored.get_json()["state"] == "no_signal"
    assert _beat(client, token, camera="tray-badajie", state="ok",
                 last_frame_at=utcnow().isoformat()).status_code == 200
    assert _beat(client, token, camera="tray-zonghe", state="asleep").status_code == 422

    login(make_user("reviewer"))
    page = client.get("/review/cameras").get_data(as_text=True)
    alert = page.split('id="camera-alert"')[1].split("</div>")[0]
    assert "tray-zonghe" in alert and "tray-badajie" not in alert
    assert "无信号" in alert and "从未" in alert
    row = page.split('data-camera="tray-zonghe"')[1].split("</tr>")[0]
    # The state in words and "never" for the last frame, not the worker's enum or a count of minutes.
    assert "无信号" in row and "从未" in row and "no_signal" not in row.split('data-state=')[0]
    dashboard = client.get("/dashboard").get_data(as_text=True)
    assert 'id="camera-alerts"' in dashboard
    alerts = dashboard.split('id="camera-alerts"')[1].split("</section>")[0]
    assert "tray-zonghe" in alerts and "无信号" in alerts and "tray-badajie" not in alerts


def test_a_long_silent_camera_says_since_when_in_local_time(app, client, make_user, login):
    now = utcnow()
    with app.app_context():
        ids = {code: canteen_by_code(db.session, code).id for code in ("zonghe", "badajie")}
        db.session.add(CameraStatus(camera="tray-zonghe", canteen_id=ids["zonghe"], state="stalled",
                                    last_frame_at=now - timedelta(hours=2, minutes=5), reported_at=now))
        db.session.add(CameraStatus(camera="tray-badajie", canteen_id=ids["badajie"], state="connecting",
                                    last_frame_at=None, reported_at=now))
        db.session.commit()
    login(make_user("admin"))
    page = client.get("/review/cameras").get_data(as_text=True)
    alert = page.split('id="camera-alert"')[1].split("</div>")[0]
    local = (now - timedelta(hours=2, minutes=5)).astimezone(app.config["SETTINGS"].zone)
    assert local.strftime("%Y-%m-%d %H:%M") in alert and "2小时5分钟前" in alert
    assert "画面冻结" in page
    # Connecting for the first time, reported just now: not (yet) an alert.
    assert "tray-badajie" not in alert
    dashboard = client.get("/dashboard").get_data(as_text=True)
    assert "2小时5分钟前" in dashboard.split('id="camera-alerts"')[1]
