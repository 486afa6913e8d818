"""The review and ladder API, from the camera upload to approval and appeal; refusals store nothing."""
from __future__ import annotations

import io
import json
import uuid
from datetime import datetime, timedelta, timezone

import pytest
from openapi_spec_validator import validate as validate_spec

from tests.offences.conftest import evidence

ISSUE_PATHS = {("/diners", "post"), ("/diners", "get"), ("/camera-events", "get"),
               ("/camera-events/{id}/review", "post"), ("/camera-events/{id}/corrections", "post"),
               ("/diners/{card_no}/offences", "get"), ("/escalations/{id}/approve", "post"),
               ("/escalations/{id}/reject", "post"), ("/escalations/{id}/warning-given", "post"),
               ("/escalations/{id}/letter-sent", "post"), ("/escalations/{id}/appeals", "post"),
               ("/appeals/{id}/decision", "post")}


def upload(client, token: str, started_at: str, camera: str = "tray-zonghe") -> str:
    """Deliver an event through the real upload endpoint, as the camera worker does; return its UUID."""
    event_id = str(uuid.uuid4())
    event = {"id": event_id, "camera": camera, "started_at": started_at, "ended_at": started_at,
             "start_s": 1.0, "end_s": 6.0, "peak_activity": 0.2, "activity_integral": 0.8,
             "scene_changed": True,
             "changed_fraction": 0.04, "confidence": 0.9, "end_reason": "scene_changed"}
    data = {"event": json.dumps(event)}
    data.update({kind: (io.BytesIO(content), f"{kind}.bin") for kind, content in evidence().items()})
    response = client.post("/api/v1/camera-events", data=data, content_type="multipart/form-data",
                           headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 201, response.get_json()
    return event_id


def days_ago(days: int, hour: int = 4) -> str:
    """An ISO time ``days`` days ago (counted offences must lie in the last 12 months)."""
    moment = datetime.now(timezone.utc).replace(hour=hour, minute=0, second=0,
                                                microsecond=0) - timedelta(days=days)
    return moment.isoformat().replace("+00:00", "Z")


@pytest.fixture
def camera_token(make_user, make_token):
    return make_token(make_user("manager", username="camera"))


@pytest.fixture
def reviewer(api_as):
    return api_as("reviewer")


@pytest.fixture
def registered(api_as):
    api_as("admin").post("/diners", json={"card_no": "1001", "name": "张三", "department": "办公室"})


@pytest.mark.usefixtures("registered")
def test_review_to_exposure_through_the_api(client, camera_token, reviewer, api_as, counts):
    first = upload(client, camera_token, days_ago(5))
    second = upload(client, camera_token, days_ago(3))
    pending = reviewer.get("/camera-events?status=pending").get_json()["events"]
    assert [item["event"]["id"] for item in pending] == [second, first]
    assert all(item["reviews"] == [] and item["escalation"] is None for item in pending)

    response = reviewer.post(f"/camera-events/{first}/review",
                             json={"decision": "confirmed", "card_no": "1001"})
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["event"]["status"] == "confirmed" and body["reviews"][0]["card_no"] == "1001"
    assert body["escalation"]["step"] == "warning" and body["escalation"]["status"] == "open"

    before = counts()
    again = reviewer.post(f"/camera-events/{first}/review", json={"decision": "dismissed"})
    assert again.status_code == 409 and "id" in again.get_json()["fields"]
    unknown = reviewer.post(f"/camera-events/{second}/review",
                            json={"decision": "confirmed", "card_no": "404"})
    assert unknown.status_code == 422 and unknown.get_json()["fields"]["card_no"]
    assert reviewer.post("/camera-events/not-a-uuid/review",
                         json={"decision": "dismissed"}).status_code == 404
    assert counts() == before

    exposure = reviewer.post(f"/camera-events/{second}/review",
                             json={"decision": "confirmed", "card_no": "1001", "note": "again"}).get_json()
    escalation_id = exposure["escalation"]["id"]
    standing = reviewer.get("/diners/1001/offences").get_json()
    assert standing["step"] == "warning" and standing["count"] == 2
    assert standing["pending_approval"] == {"id": escalation_id, "step": "exposure"}
    assert [item["event"] for item in standing["offences"]] == [first, second]
    assert [item["type"] for item in standing["history"]][:2] == ["review", "escalation"]

    before = counts()
    own = reviewer.post(f"/escalations/{escalation_id}/approve", json={})
    assert own.status_code == 403 and "escalation" in own.get_json()["fields"]
    assert api_as("viewer").post(f"/escalations/{escalation_id}/approve").status_code == 403
    assert counts() == before

    approved = api_as("discipline").post(f"/escalations/{escalation_id}/approve", json={"note": "ok"})
    assert approved.status_code == 200 and approved.get_json()["status"] == "approved"
    assert approved.get_json()["expires_at"]
    standing = reviewer.get("/diners/1001/offences").get_json()
    assert standing["step"] == "exposure" and standing["pending_approval"] is None
    assert api_as("discipline").post(f"/escalations/{escalation_id}/approve").status_code == 409


@pytest.mark.usefixtures("registered")
def test_appeal_and_correction_through_the_api(client, camera_token, reviewer, api_as):
    first = upload(client, camera_token, days_ago(5))
    warning = reviewer.post(f"/camera-events/{first}/review",
                            json={"decision": "confirmed", "card_no": "1001"}).get_json()["escalation"]
    given = api_as("reviewer").post(f"/escalations/{warning['id']}/warning-given",
                                    json={"given_at": days_ago(5, 6), "note": "当面提醒"})
    assert given.status_code == 200 and given.get_json()["status"] == "given"
    bad = reviewer.post(f"/escalations/{warning['id']}/appeals", json={})
    assert bad.status_code == 422 and "statement" in bad.get_json()["fields"]
    appeal = reviewer.post(f"/escalations/{warning['id']}/appeals", json={"statement": "不是我"})
    assert appeal.status_code == 201 and appeal.get_json()["status"] == "open"
    appeal_id = appeal.get_json()["id"]
    assert reviewer.get("/diners/1001/offences").get_json()["step"] == "none", "suspended"
    assert reviewer.post(f"/appeals/{appeal_id}/decision",
                         json={"outcome": "annulled", "reason": "x"}).status_code == 403, "the confirmer"
    decided = api_as("discipline").post(f"/appeals/{appeal_id}/decision",
                                        json={"outcome": "annulled", "reason": "录像显示为他人"})
    assert decided.status_code == 200 and decided.get_json()["status"] == "annulled"
    standing = reviewer.get("/diners/1001/offences").get_json()
    assert (standing["step"], standing["count"], standing["offences"]) == ("none", 0, [])

    second = upload(client, camera_token, days_ago(3))
    reviewer.post(f"/camera-events/{second}/review", json={"decision": "unidentified"})
    missing_reason = reviewer.post(f"/camera-events/{second}/corrections",
                                   json={"decision": "confirmed", "card_no": "1001"})
    assert missing_reason.status_code == 422 and "reason" in missing_reason.get_json()["fields"]
    corrected = reviewer.post(f"/camera-events/{second}/corrections",
                              json={"decision": "confirmed", "card_no": "1001", "reason": "复看认出"})
    assert corrected.status_code == 201
    assert [item["number"] for item in corrected.get_json()["reviews"]] == [1, 2]
    assert reviewer.get("/diners/1001/offences").get_json()["count"] == 1


def test_unknown_diner_and_filters_are_clear_errors(reviewer, api_as):
    assert reviewer.get("/diners/404/offences").status_code == 404
    assert reviewer.get("/camera-events?status=weird").status_code == 422
    assert reviewer.get("/camera-events?day=yesterday").status_code == 422
    assert api_as("contractor").get("/diners/404/offences").status_code == 403
    assert api_as("discipline").get("/camera-events").status_code == 403


def test_every_route_is_documented(app, api_as):
    document = api_as("viewer").get("/openapi.json").get_json()
    validate_spec(document)
    documented = {(path, method) for path, operations in document["paths"].items() for method in operations}
    assert ISSUE_PATHS <= documented
    views = {"create_diner_api", "search_diners_api", "list_camera_events", "review_camera_event",
             "correct_camera_event", "diner_offences_api", "approve_escalation_api", "reject_escalation_api",
             "warning_given_api", "letter_sent_api", "file_appeal_api", "decide_appeal_api"}
    routes = set()
    for rule in app.url_map.iter_rules():
        if rule.endpoint.split(".")[-1] in views:
            path = rule.rule[len("/api/v1"):].replace("<int:id>", "{id}").replace("<id>", "{id}")
            routes |= {(path.replace("<card_no>", "{card_no}"), method.lower())
                       for method in rule.methods - {"HEAD", "OPTIONS"}}
    assert routes == ISSUE_PATHS
