"""Bad input answers a clear 4xx naming the field, never a 500 (issue 10): one test per root cause.

Each test runs on SQLite and on PostgreSQL; each failed before the fix (a 500 or an exception, or, for the
strict formats, a 2xx). Raw JSON bodies are sent as text, so literals no JSON encoder writes (Infinity, NaN,
a 5000-digit number, a lone surrogate escape) reach the server as a client could send them.
"""
from __future__ import annotations

import io
import json
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Callable

import pytest
from flask import Flask

from canteen.camera_events.storage import media_root
from canteen.offences.evidence_art import evidence_files
from tests.api.fuzz_world import build_world
from tests.conftest import ApiClient

ENTRY = '{"canteen": "zonghe", "date": "2021-07-05", "meal": "lunch", "stream": "plate", "unit": "kg", '
CHECK = '{"canteen": "zonghe", "date": "2021-07-06", "meal": "lunch", '


def raw(api: Any, method: str, path: str, body: str) -> Any:
    """Send ``body`` as it is, as a JSON request."""
    return api.client.open(f"/api/v1{path}", method=method, data=body.encode("utf-8", "surrogatepass"),
                           content_type="application/json", headers=api._headers())


def names(response: Any, status: int, field: str) -> None:
    """The API's error shape with ``status`` and ``field`` among the named fields."""
    assert response.status_code == status, response.get_data(as_text=True)
    data = response.get_json()
    assert set(data) == {"error", "fields"} and data["error"]
    assert field in data["fields"], data


@pytest.fixture
def world(app: Flask, make_user: Callable[..., Any], make_token: Callable[[Any], str]) -> dict[str, Any]:
    """An admin's API client and rows to aim at (an assessment, a spot check, an escalation...)."""
    admin = make_user("admin")
    token = make_token(admin)
    ids = build_world(app, admin, token).ids
    return {"api": ApiClient(app.test_client(), token), **ids}


# --- 1. numbers beyond what Decimal arithmetic takes (decimal.InvalidOperation in quantize) ---------------

@pytest.mark.parametrize("literal", ["1e30", "1e308", '"1e308"', "Infinity", "-Infinity", "NaN", '"nan"',
                                     '"' + "1" * 5000 + '"', "1" * 5000 + ".5", "-0", "-0.0", '"1e999999"'])
def test_a_weight_beyond_any_scale_is_422_naming_the_weight(api_as: Callable[..., Any], nothing_stored: Any,
                                                            literal: str) -> None:
    names(raw(api_as("manager"), "POST", "/waste-entries", ENTRY + f'"weight": {literal}}}'), 422, "weight")
    assert nothing_stored()


@pytest.mark.parametrize("field,literal", [("points", "1e30"), ("points", '"1e308"'), ("excess_pct", "1e308"),
                                           ("points", "-0")])
def test_deduction_points_beyond_the_sheet_are_422(world: dict[str, Any], field: str, literal: str) -> None:
    body = f'{{"rule": "{world["rule"]}", "reference": "r", "{field}": {literal}}}'
    names(raw(world["api"], "POST", f"/assessments/{world['assessment_id']}/deductions", body), 422, field)


def test_a_reweighed_weight_of_1e308_is_422_naming_it(world: dict[str, Any]) -> None:
    body = ('{"canteen": "zonghe", "date": "2021-07-06", "meal": "lunch", "kind": "ad_hoc", '
            '"reweighs": [{"stream": "plate", "weight": 1e308}]}')
    names(raw(world["api"], "POST", "/spot-checks", body), 422, "reweighs.0.weight")


# --- 2. ids beyond the database's integer (2**31 on PostgreSQL, 2**63 on SQLite) -----------------------

@pytest.mark.parametrize("path", ["/assessments/2147483648", "/assessments/9223372036854775808",
                                  "/spot-checks/" + "9" * 5000, "/assessments/0"])
def test_a_path_id_beyond_the_database_range_is_404(world: dict[str, Any], path: str) -> None:
    assert world["api"].get(path).status_code == 404
    assert world["api"].post("/escalations/2147483648/approve", json={}).status_code == 404


@pytest.mark.parametrize("path,body,field", [
    ("/assessments", '{"contractor": 2147483648, "canteen": "zonghe", "month": "2021-08"}', "contractor"),
    ("/assessments", '{"contractor": Infinity, "canteen": "zonghe", "month": "2021-08"}', "contractor"),
    ("/assessments", '{"contractor": 1e308, "canteen": "zonghe", "month": "2021-08"}', "contractor"),
    ("/spot-checks", CHECK + '"slot": 9223372036854775808}', "slot"),
    ("/spot-checks", CHECK + '"slot": 2147483648}', "slot"),
    ("/spot-check-draws", '{"canteen": "zonghe", "month": "2021-07", "seed": 18446744073709551616}', "seed"),
    ("/diner-counts", '{"canteen": "zonghe", "date": "2021-07-05", "meal": "lunch", "count": 2147483648}',
     "count"),
])
def test_a_body_id_or_count_beyond_the_database_range_is_422_naming_it(world: dict[str, Any], path: str,
                                                                       body: str, field: str) -> None:
    method = "PUT" if path == "/diner-counts" else "POST"
    names(raw(world["api"], method, path, body), 422, field)


def test_evidence_citing_a_spot_check_id_beyond_the_range_is_422(world: dict[str, Any]) -> None:
    body = f'{{"rule": "{world["rule"]}", "spot_check": 2147483648}}'
    names(raw(world["api"], "POST", f"/assessments/{world['assessment_id']}/deductions", body), 422,
          "spot_check")


# --- 3. JSON nested deeper than Python's parser recurses (RecursionError) --------------------------------

def test_deeply_nested_json_is_400_naming_the_body(api_as: Callable[..., Any], nothing_stored: Any) -> None:
    names(raw(api_as("manager"), "POST", "/waste-entries", "[" * 30000 + "]" * 30000), 400, "body")
    nested_note = ENTRY + '"weight": 1, "note": ' + "[" * 40 + "]" * 40 + "}"
    names(raw(api_as("manager"), "POST", "/waste-entries", nested_note), 400, "body")
    assert nothing_stored()


# --- 4. text no database can store: NUL (PostgreSQL) and lone surrogates (no encoding) ---------------------

@pytest.mark.parametrize("body,field", [
    (ENTRY + '"weight": 1, "note": "a\\u0000b"}', "note"),
    (ENTRY + '"weight": 1, "note": "\\ud800"}', "note"),
    (ENTRY + '"weight": 1, "dish": "\\udfff\\u7c73"}', "dish"),
    ('{"canteen": "zong\\u0000he", "date": "2021-07-05", "meal": "lunch", "stream": "plate", "weight": 1}',
     "canteen"),
    (ENTRY + '"weight": 1, "x\\u0000": 1}', "x\\x00"),
])
def test_unstorable_text_in_json_is_400_naming_the_field(api_as: Callable[..., Any], nothing_stored: Any,
                                                         body: str, field: str) -> None:
    names(raw(api_as("manager"), "POST", "/waste-entries", body), 400, field)
    assert nothing_stored()


def test_nul_in_a_query_or_path_parameter_is_400_naming_it(world: dict[str, Any]) -> None:
    names(world["api"].get("/ledger?canteen=zong%00he&month=2021-07"), 400, "canteen")
    names(world["api"].get("/diners?q=%00"), 400, "q")
    names(world["api"].get("/diners/F1%00/offences"), 400, "card_no")


def test_nul_in_the_anonymous_login_form_is_400_naming_the_field(client: Any) -> None:
    response = client.post("/login", data={"username": "admin\x00", "password": "x"})
    assert response.status_code == 400
    assert "username" in response.get_data(as_text=True)


def _upload(api: Any, event: dict[str, Any] | str) -> Any:
    data: dict[str, Any] = {"event": event if isinstance(event, str) else json.dumps(event)}
    data.update({kind: (io.BytesIO(content), f"{kind}.bin")
                 for kind, content in evidence_files(7, with_clip=False).items()})
    return api.client.post("/api/v1/camera-events", data=data, content_type="multipart/form-data",
                           headers=api._headers())


def _event(**changes: Any) -> dict[str, Any]:
    started = datetime.now(timezone.utc) - timedelta(hours=1)
    event = {"id": str(uuid.uuid4()), "camera": "tray-zonghe", "started_at": started.isoformat(),
             "ended_at": (started + timedelta(seconds=5)).isoformat(), "start_s": 1.0, "end_s": 6.0,
             "peak_activity": 0.3, "activity_integral": 1.0, "scene_changed": True, "changed_fraction": 0.05,
             "confidence": 0.8, "end_reason": "scene_changed"}
    event.update(changes)
    return event


def _files_under(root: Path) -> list[Path]:
    return sorted(path for path in root.rglob("*")) if root.exists() else []


def test_a_camera_event_with_a_lone_surrogate_is_refused_and_leaves_no_folder(
        app: Flask, api_as: Callable[..., Any]) -> None:
    api = api_as("manager")
    root = media_root(app.instance_path)
    before = _files_under(root)
    text = json.dumps(_event(detector_version="v1")).replace('"v1"', '"v\\ud800"')
    names(_upload(api, text), 422, "event.detector_version")
    names(_upload(api, json.dumps(_event()).replace("tray-zonghe", "tray\\u0000")), 422, "event.camera")
    names(_upload(api, "[" * 30000 + "]" * 30000), 422, "event")
    assert _files_under(root) == before


# --- 5. times at the edge of Python's range (OverflowError in astimezone or date arithmetic) ----------------

@pytest.mark.parametrize("moment", ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00"])
def test_a_time_beyond_pythons_range_is_422_naming_it(world: dict[str, Any], moment: str) -> None:
    names(world["api"].post("/camera-heartbeats", json={"camera": "tray-zonghe", "state": "ok",
                                                        "last_frame_at": moment}), 422, "last_frame_at")
    names(world["api"].post(f"/escalations/{world['escalation']}/warning-given", json={"given_at": moment}),
          422, "given_at")


@pytest.mark.parametrize("query", ["day=0001-01-01", "day=9999-12-31"])
def test_a_day_at_the_edge_of_the_calendar_is_422(world: dict[str, Any], query: str) -> None:
    names(world["api"].get(f"/camera-events?{query}"), 422, "day")


# --- 6. JSON objects or lists where a code is looked up in a set (TypeError: unhashable) -------------------

@pytest.mark.parametrize("reweighs,field", [('[{"stream": {}, "weight": 1}]', "reweighs.0.stream"),
                                            ('[{"stream": [], "weight": 1}]', "reweighs.0.stream")])
def test_an_object_where_a_code_belongs_is_422_naming_it(world: dict[str, Any], reweighs: str,
                                                         field: str) -> None:
    body = ('{"canteen": "zonghe", "date": "2021-07-06", "meal": "lunch", "kind": "ad_hoc", "reweighs": '
            + reweighs + "}")
    names(raw(world["api"], "POST", "/spot-checks", body), 422, field)


# --- 7. only YYYY-MM-DD days and YYYY-MM months (fromisoformat also took 20210801 and 2021-W31-1) --------

@pytest.mark.parametrize("day", ["20210801", "2021-W31-1", "2021-W31", "2021-213", "2021-08-01T00:00"])
def test_a_day_in_any_other_iso_form_is_422(api_as: Callable[..., Any], nothing_stored: Any,
                                            day: str) -> None:
    body = json.dumps({"canteen": "zonghe", "date": day, "meal": "lunch", "stream": "plate", "weight": 1})
    names(raw(api_as("manager"), "POST", "/waste-entries", body), 422, "date")
    names(api_as("manager").get(f"/waste-entries?canteen=zonghe&from={day}&to=2021-08-02"), 422, "from")
    assert nothing_stored()


@pytest.mark.parametrize("month", ["2021-8", "202108", "2021-08-01", "0001-01", "9999-12"])
def test_a_month_in_any_other_form_is_422(api_as: Callable[..., Any], month: str) -> None:
    names(api_as("manager").get(f"/ledger?canteen=zonghe&month={month}"), 422, "month")


# --- 8. camera clocks: events dated 2099 (or 1970) are refused, naming the field --------------------------

@pytest.mark.parametrize("field,moment", [("started_at", "2099-01-01T00:00:00Z"),
                                          ("started_at", "1970-01-01T00:00:00Z"),
                                          ("ended_at", "2099-01-01T00:00:05Z")])
def test_a_camera_event_from_a_wrong_clock_is_422_naming_the_field(app: Flask, api_as: Callable[..., Any],
                                                                   field: str, moment: str) -> None:
    api = api_as("manager")
    before = _files_under(media_root(app.instance_path))
    names(_upload(api, _event(**{field: moment})), 422, field)
    heartbeat = {"camera": "tray-zonghe", "state": "ok", "last_frame_at": moment}
    names(api.post("/camera-heartbeats", json=heartbeat), 422, "last_frame_at")
    assert _files_under(media_root(app.instance_path)) == before


# --- 9. a 405 says which methods the URL takes -------------------------------------------------------------

def test_a_405_carries_allow_in_the_api_and_on_pages(api_as: Callable[..., Any],
                                                     make_user: Callable[..., Any],
                                                     login: Callable[[Any], Any]) -> None:
    response = api_as("manager").client.delete("/api/v1/waste-entries")
    assert response.status_code == 405 and response.get_json()["error"]
    assert set(response.headers["Allow"].split(", ")) >= {"GET", "POST"}
    page = login(make_user("manager")).put("/ledger/month")
    assert page.status_code == 405 and "GET" in page.headers["Allow"].split(", ")
