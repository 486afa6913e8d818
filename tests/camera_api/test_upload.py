"""POST /api/v1/camera-events and /api/v1/camera-heartbeats: validated, idempotent, nothing half-written."""
from __future__ import annotations

import io
import json
import uuid
from pathlib import Path

import pytest
from sqlalchemy import func, select

from canteen.camera_events.models import CameraEvent, CameraStatus
from canteen.extensions import db
from tests.camera_api.conftest import jpeg_bytes, webm_bytes


def event_json(**changes) -> dict:
    """A valid event as the worker sends it."""
    event = {"id": str(uuid.uuid4()), "camera": "tray-zonghe", "canteen": "zonghe",
             "started_at": "2021-08-02T04:10:00Z", "ended_at": "2021-08-02T04:10:06Z", "start_s": 10.0,
             "end_s": 16.0, "peak_activity": 0.2, "activity_integral": 0.8, "scene_changed": True,
             "changed_fraction": 0.04, "confidence": 0.9, "end_reason": "scene_changed",
             "detector_version": "1"}
    event.update(changes)
    return event


def upload(client, token, event, files=None, tmp_path: Path | None = None):
    """Send one multipart upload."""
    if files is None:
        files = {"snapshot": jpeg_bytes(), "snapshot_public": jpeg_bytes(90), "crop_before": jpeg_bytes(60),
                 "crop_after": jpeg_bytes(200)}
        if tmp_path is not None:
            files["clip"] = webm_bytes(tmp_path)
    data = {"event": json.dumps(event)}
    data.update({name: (io.BytesIO(content), f"{name}.bin") for name, content in files.items()})
    return client.post("/api/v1/camera-events", data=data, content_type="multipart/form-data",
                       headers={"Authorization": f"Bearer {token}"})


def count_events(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(CameraEvent))


def test_upload_stores_event_and_files_once(app, client, make_user, make_token, tmp_path):
    token = make_token(make_user("manager"))
    event = event_json()
    first = upload(client, token, event, tmp_path=tmp_path)
    assert first.status_code == 201, first.get_json()
    body = first.get_json()
    assert body["id"] == event["id"] and body["status"] == "pending" and body["scene_changed"] is True
    assert sorted(body["media"]) == ["clip", "crop_after", "crop_before", "snapshot", "snapshot_public"]
    folder = Path(app.instance_path) / "media" / "camera" / "2021" / "08" / event["id"]
    assert sorted(path.name for path in folder.iterdir()) == [
        "clip.webm", "crop_after.jpg", "crop_before.jpg", "snapshot.jpg", "snapshot_public.jpg"]
    again = upload(client, token, event, tmp_path=tmp_path)
    assert again.status_code == 200
    assert again.get_json()["id"] == event["id"]
    assert count_events(app) == 1


@pytest.mark.parametrize("changes, field", [
    ({"id": "not-a-uuid"}, "id"),
    ({"camera": "nowhere"}, "camera"),
    ({"canteen": "badajie"}, "canteen"),
    ({"started_at": "yesterday"}, "started_at"),
    ({"ended_at": "2021-08-02T04:00:00Z"}, "ended_at"),
    ({"confidence": 1.5}, "confidence"),
    ({"changed_fraction": "lots"}, "changed_fraction"),
    ({"scene_changed": "yes"}, "scene_changed"),
    ({"end_reason": "bored"}, "end_reason"),
])
def test_bad_event_fields_are_named_and_nothing_stored(app, client, make_user, make_token, changes, field):
    token = make_token(make_user("manager"))
    response = upload(client, token, event_json(**changes))
    assert response.status_code == 422
    assert field in response.get_json()["fields"]
    assert count_events(app) == 0
    assert not (Path(app.instance_path) / "media").exists()


def test_files_are_checked_by_content_not_name(app, client, make_user, make_token):
    token = make_token(make_user("manager"))
    fake = {"snapshot": b"GIF89a not a jpeg", "snapshot_public": jpeg_bytes(), "clip": jpeg_bytes()}
    response = upload(client, token, event_json(), files=fake)
    assert response.status_code == 422
    assert set(response.get_json()["fields"]) == {"snapshot", "clip"}
    missing = upload(client, token, event_json(), files={"snapshot": jpeg_bytes()})
    assert missing.status_code == 422 and "snapshot_public" in missing.get_json()["fields"]
    assert count_events(app) == 0


def test_upload_needs_a_token_with_the_right_role_and_scope(app, client, make_user, make_token):
    assert upload(client, "cw_wrong", event_json()).status_code == 401
    assert upload(client, make_token(make_user("viewer")), event_json()).status_code == 403
    limited = make_token(make_user("manager", canteens=["badajie"]))
    assert upload(client, limited, event_json()).status_code == 403
    assert count_events(app) == 0


def test_oversized_upload_is_refused(app, client, make_user, make_token):
    token = make_token(make_user("manager"))
    body = b"--x\r\n" + b"0" * (41 << 20)
    response = client.post("/api/v1/camera-events", data=body, content_type="multipart/form-data; boundary=x",
                           headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 413
    assert count_events(app) == 0


def test_heartbeat_records_the_newest_state(app, client, make_user, make_token):
    token = make_token(make_user("manager"))
    headers = {"Authorization": f"Bearer {token}"}
    first = client.post("/api/v1/camera-heartbeats", headers=headers, json={
        "camera": "tray-zonghe", "state": "ok", "last_frame_at": "2021-08-02T04:10:00Z"})
    assert first.status_code == 200
    second = client.post("/api/v1/camera-heartbeats", headers=headers, json={
        "camera": "tray-zonghe", "state": "stalled", "last_frame_at": None, "detail": "read timeout"})
    assert second.status_code == 200
    bad = client.post("/api/v1/camera-heartbeats", headers=headers,
                      json={"camera": "tray-zonghe", "state": "sleepy"})
    assert bad.status_code == 422 and "state" in bad.get_json()["fields"]
    with app.app_context():
        status = db.session.get(CameraStatus, "tray-zonghe")
        assert status.state == "stalled" and status.detail == "read timeout"
        assert status.last_frame_at.isoformat() == "2021-08-02T04:10:00+00:00"
