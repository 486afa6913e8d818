"""Real rows for the fuzz run to aim at, made through the API itself: without them every id is a 404."""
from __future__ import annotations

import io
import json
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from flask import Flask

from canteen.auth.models import User
from canteen.offences.evidence_art import evidence_files
from tests.assessment.world import make_contractor


@dataclass
class FuzzWorld:
    """The ids of one row per kind that a path parameter can name."""

    ids: dict[str, Any] = field(default_factory=dict)

    def path_parameters(self, path: str) -> dict[str, Any]:
        """The known ids for a documented path such as ``/assessments/{assessment_id}/submit``."""
        names = [part[1:-1] for part in path.split("/") if part.startswith("{")]
        key = {"id": "escalation"} if path.startswith("/escalations") else {}
        key.update({"id": "appeal"} if path.startswith("/appeals") else {})
        key.update({"id": "event"} if path.startswith("/camera-events") else {})
        values = {name: self.ids.get(key.get(name, name)) for name in names}
        return values if names and all(value is not None for value in values.values()) else {}


def _ok(response: Any) -> dict[str, Any]:
    assert response.status_code in (200, 201), response.get_data(as_text=True)
    return response.get_json()


def build_world(app: Flask, admin: User, token: str) -> FuzzWorld:
    """An assessment with a deduction, a spot check, a camera event confirmed for a diner, an escalation with
    an appeal; all made by ``admin`` through the API."""
    client, auth = app.test_client(), {"Authorization": f"Bearer {token}"}
    world = FuzzWorld()
    contractor = make_contractor(app, admin)
    assessment = _ok(client.post("/api/v1/assessments", headers=auth, json={
        "contractor": contractor, "canteen": "zonghe", "month": "2021-07"}))
    world.ids["assessment_id"] = assessment["id"]
    template = _ok(client.get("/api/v1/assessment-template", headers=auth))
    rule = template["items"][0]["rules"][0]["code"]
    line = _ok(client.post(f"/api/v1/assessments/{assessment['id']}/deductions", headers=auth,
                           json={"rule": rule, "reference": "complaint 17"}))
    world.ids["line_id"] = line["id"]
    world.ids["contractor"], world.ids["rule"] = contractor, rule
    check = _ok(client.post("/api/v1/spot-checks", headers=auth, json={
        "canteen": "zonghe", "date": "2021-07-05", "meal": "lunch", "kind": "ad_hoc"}))
    world.ids["check_id"] = check["id"]
    _ok(client.post("/api/v1/diners", headers=auth, json={"card_no": "F100", "name": "张三"}))
    world.ids["card_no"] = "F100"
    world.ids["event"] = _camera_event(client, auth)
    reviewed = _ok(client.post(f"/api/v1/camera-events/{world.ids['event']}/review", headers=auth,
                               json={"decision": "confirmed", "card_no": "F100"}))
    world.ids["escalation"] = reviewed["escalation"]["id"]
    appeal = _ok(client.post(f"/api/v1/escalations/{world.ids['escalation']}/appeals", headers=auth,
                             json={"statement": "not me"}))
    world.ids["appeal"] = appeal["id"]
    return world


def _camera_event(client: Any, auth: dict[str, str]) -> str:
    """Upload one event of an hour ago with real evidence files; its UUID."""
    started = datetime.now(timezone.utc) - timedelta(hours=1)
    event = {"id": str(uuid.uuid4()), "camera": "tray-zonghe", "started_at": started.isoformat(),
             "ended_at": (started + timedelta(seconds=5)).isoformat(), "start_s": 1.0, "end_s": 6.0,
             "peak_activity": 0.3, "activity_integral": 1.0, "scene_changed": True, "changed_fraction": 0.05,
             "confidence": 0.8, "end_reason": "scene_changed"}
    data: dict[str, Any] = {"event": json.dumps(event)}
    data.update({kind: (io.BytesIO(content), f"{kind}.bin")
                 for kind, content in evidence_files(7, with_clip=False).items()})
    return str(_ok(client.post("/api/v1/camera-events", headers=auth, data=data,
                               content_type="multipart/form-data"))["id"])
