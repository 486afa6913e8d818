"""The camera worker's outbox and uploader against the real service: every event arrives exactly once."""
from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path

import pytest
from sqlalchemy import func, select

from camera.detector import DetectedEvent
from camera.events import make_record
from camera.outbox import Outbox
from camera.uploader import Uploader
from canteen.camera_events.models import CameraEvent
from canteen.extensions import db
from tests.camera_api.conftest import jpeg_bytes, webm_bytes
from tests.support import served

# A real server thread commits through its own connections.
pytestmark = pytest.mark.isolated


@pytest.fixture
def service_url(app) -> Iterator[str]:
    """The test app served over HTTP on a free loopback port."""
    with served(app) as url:
        yield url


def queue_event(outbox: Outbox, tmp_path: Path, offset: float) -> str:
    """Save one detected event with real evidence files, as the worker does."""
    detected = DetectedEvent(10.0 + offset, 14.0 + offset, 12.0 + offset, 0.3, 0.9, True, 0.06, 0.85,
                             "scene_changed")
    record = make_record(detected, "tray-zonghe", "zonghe", datetime(2021, 8, 2, 4, 0, tzinfo=timezone.utc))
    outbox.save(record.to_json(), {
        "snapshot": ("snapshot.jpg", jpeg_bytes()),
        "snapshot_public": ("snapshot_public.jpg", jpeg_bytes(80)),
        "crop_before": ("crop_before.jpg", jpeg_bytes(40)), "crop_after": ("crop_after.jpg", jpeg_bytes(210)),
        "clip": ("clip.webm", webm_bytes(tmp_path))})
    return record.id


def stored_ids(app) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(select(CameraEvent.uuid).order_by(CameraEvent.id)))


def test_outbox_delivers_to_the_service_exactly_once(app, service_url, make_user, make_token, tmp_path):
    token = make_token(make_user("manager"))
    outbox = Outbox(tmp_path / "outbox")
    ids = [queue_event(outbox, tmp_path, offset) for offset in (0.0, 30.0)]

    # The service is down: nothing is lost, everything stays queued.
    down = Uploader(outbox, "http://127.0.0.1:9", token, timeout_s=2, retry_initial_s=0.01, retry_max_s=0.02)
    with down.session:
        assert down.drain_once() == (0, True)
    assert len(outbox.items()) == 2

    # A copy of the first event, as if the worker died after the upload but before removing it.
    first = outbox.items()[0]
    backup = tmp_path / "crashed-copy"
    shutil.copytree(first.path, backup)

    up = Uploader(outbox, service_url, token, timeout_s=10, retry_initial_s=0.01, retry_max_s=0.02)
    with up.session:
        assert up.drain_once() == (2, False)
        assert outbox.items() == []
        shutil.copytree(backup, first.path)
        assert up.upload(outbox.items()[0]) == "duplicate"
    assert outbox.items() == []
    assert sorted(stored_ids(app)) == sorted(ids)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(CameraEvent)) == 2
        event = db.session.scalar(select(CameraEvent).where(CameraEvent.uuid == ids[0]))
        assert event.status == "pending" and event.scene_changed and event.canteen.code == "zonghe"
        assert sorted(event.media) == ["clip", "crop_after", "crop_before", "snapshot", "snapshot_public"]
    folder = Path(app.instance_path) / "media" / "camera" / "2021" / "08" / ids[0]
    assert (folder / "clip.webm").read_bytes()[:4] == b"\x1a\x45\xdf\xa3"


def test_a_token_without_upload_rights_keeps_events_queued(app, service_url, make_user, make_token, tmp_path):
    outbox = Outbox(tmp_path / "outbox")
    queue_event(outbox, tmp_path, 0.0)
    viewer = Uploader(outbox, service_url, make_token(make_user("viewer")), timeout_s=10)
    with viewer.session:
        assert viewer.drain_once() == (0, True)
    assert len(outbox.items()) == 1 and stored_ids(app) == []
