"""An outbox retry overlapping a slow original: the same camera event uploaded 2-4 times at once."""
from __future__ import annotations

import json
import os
import uuid
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select

from camera.config import CameraSettings
from canteen.auth.models import User
from canteen.camera_events.models import CameraEvent
from canteen.camera_events.storage import file_name, media_root
from canteen.extensions import db
from tests.concurrency.conftest import ROUNDS, Api, race

pytestmark = pytest.mark.isolated


def event_json(event_id: str, **changes: object) -> dict[str, object]:
    """A valid event as the worker sends it."""
    event: dict[str, object] = {
        "id": event_id, "camera": "tray-zonghe", "canteen": "zonghe", "started_at": "2021-08-02T04:10:00Z",
        "ended_at": "2021-08-02T04:10:06Z", "start_s": 10.0, "end_s": 16.0, "peak_activity": 0.2,
        "activity_integral": 0.8, "scene_changed": True, "changed_fraction": 0.04, "confidence": 0.9,
        "end_reason": "scene_changed", "detector_version": "1"}
    event.update(changes)
    return event


def evidence() -> dict[str, bytes]:
    """Files whose first bytes pass the format check; random, so a mix-up of two uploads would show."""
    jpeg = b"\xff\xd8\xff\xe0"
    return {"snapshot": jpeg + os.urandom(20000), "snapshot_public": jpeg + os.urandom(20000),
            "crop_before": jpeg + os.urandom(5000), "crop_after": jpeg + os.urandom(5000),
            "clip": b"\x1a\x45\xdf\xa3" + os.urandom(200000)}


def upload(api: Api, event: dict[str, object], files: dict[str, bytes]) -> int:
    """One multipart upload; the HTTP status."""
    parts = {name: (f"{name}.bin", content) for name, content in files.items()}
    return api.post("/camera-events", data={"event": json.dumps(event)}, files=parts).status_code


@pytest.fixture
def camera_app(app: Flask, settings: object) -> Flask:
    """The isolated app with a camera at zonghe."""
    camera = CameraSettings(id="tray-zonghe", canteen="zonghe", source="rtsp://127.0.0.1:8554/tray")
    app.config["SETTINGS"] = app.config["SETTINGS"].model_copy(update={"cameras": [camera]})
    return app


def test_parallel_uploads_of_one_event_keep_every_file(camera_app: Flask, api_client: Callable[..., Api],
                                                       make_user: Callable[..., User]) -> None:
    api = api_client(make_user("manager"))
    statuses: Counter[int] = Counter()
    not_one_created = 0
    sent: dict[str, dict[str, bytes]] = {}
    for round_no in range(ROUNDS):
        event_id = str(uuid.uuid4())
        # Each upload carries the same event; the first of them to commit decides which files are kept.
        files = evidence()
        sent[event_id] = files
        results = race(*[lambda: upload(api, event_json(event_id), files)] * (2 + round_no % 3))
        statuses.update(results)
        not_one_created += results.count(201) != 1
    root = media_root(camera_app.instance_path)
    with camera_app.app_context():
        events = {row.uuid: row for row in db.session.scalars(select(CameraEvent))}
    # Every acknowledged event has every file it lists, byte for byte as sent.
    incomplete = 0
    for event_id, files in sent.items():
        row = events.get(event_id)
        folder = root / row.media_dir if row else None
        if row is None or not all((folder / file_name(kind)).is_file()
                                  and (folder / file_name(kind)).read_bytes() == files[kind]
                                  for kind in row.media):
            incomplete += 1
    # Nothing else is left on disk: no staging folder, no folder without its row.
    expected = {root / row.media_dir for row in events.values()}
    leftovers = [path for path in root.rglob("*") if path.is_dir() and path not in expected
                 and not any(path in folder.parents for folder in expected)]
    report = (f"statuses {dict(statuses)}; rounds without exactly one 201: {not_one_created}/{ROUNDS}; "
              f"events missing files: {incomplete}/{ROUNDS}; leftover folders: {len(leftovers)}")
    assert set(statuses) <= {200, 201}, report
    assert (not_one_created, incomplete, leftovers) == (0, 0, []), report
    assert len(events) == ROUNDS
    # The same UUID with another body is refused, naming the field, and the stored event keeps its files.
    event_id, files = next(iter(sent.items()))
    response = api.post("/camera-events", data={"event": json.dumps(event_json(event_id, confidence=0.5))},
                        files={name: (name, content) for name, content in files.items()})
    assert response.status_code == 409, response.text
    assert set(response.json()["fields"]) == {"confidence"}
    # A retry missing a file the original had is another body too.
    fewer = {kind: content for kind, content in files.items() if kind != "clip"}
    response = api.post("/camera-events", data={"event": json.dumps(event_json(event_id))},
                        files={name: (name, content) for name, content in fewer.items()})
    assert response.status_code == 409, response.text
    assert set(response.json()["fields"]) == {"clip"}
    assert sorted(path.name for path in (root / "2021" / "08" / event_id).iterdir()) == sorted(
        file_name(kind) for kind in files)
    assert [path.name for path in Path(root).iterdir()] == ["2021"]
