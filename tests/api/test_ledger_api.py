"""The ledger endpoints of /api/v1: entries, diner counts, the month's ledger and workbook, every refusal."""
from __future__ import annotations

import functools
import io
import re
import tempfile
from datetime import timedelta

import pytest
from openapi_schema_validator import OAS30Validator
from openapi_spec_validator import validate as validate_spec
from openpyxl import load_workbook
from sqlalchemy import select

from canteen.api.openapi import openapi_document
from canteen.app import create_app
from canteen.auth.models import ApiToken
from canteen.auth.services import revoke_token
from canteen.core.timeutil import local_today
from canteen.extensions import db


def weighing(**changes):
    """A valid waste entry body, with some fields changed."""
    body = {"canteen": "zonghe", "date": "2021-07-05", "meal": "lunch", "stream": "plate", "weight": 12.5,
            "unit": "kg"}
    body.update(changes)
    return body


def assert_error(response, status, *fields):
    """The API's one error shape, with exactly these fields named."""
    assert response.status_code == status, response.get_data(as_text=True)
    data = response.get_json()
    assert set(data) == {"error", "fields"}
    assert isinstance(data["error"], str) and data["error"]
    assert isinstance(data["fields"], dict)
    assert set(data["fields"]) == set(fields)
    assert all(isinstance(text, str) and text for text in data["fields"].values())
    return data


@functools.lru_cache(maxsize=1)
def documented_spec() -> dict:
    """The OpenAPI document of an app built from config.yaml (each feature adds its paths when registered)."""
    return openapi_document(create_app({"SECRET_KEY": "test-secret", "INSTANCE_PATH": tempfile.mkdtemp()}))


def conforms(instance, schema_name):
    """True when ``instance`` matches the OpenAPI document's component schema."""
    document = documented_spec()
    schema = {"$ref": f"#/components/schemas/{schema_name}", "components": document["components"]}
    errors = list(OAS30Validator(schema).iter_errors(instance))
    assert errors == [], [error.message for error in errors]
    return True


# --- waste entries ------------------------------------------------------------------------------------------

def test_post_waste_entry_answers_201_with_grams_and_kg(api_as, stored):
    api = api_as("manager")
    response = api.post("/waste-entries", weighing(weight="4.5", unit="jin", dish="米饭", client_id="s1:1"))
    assert response.status_code == 201
    data = response.get_json()
    assert (data["weight_g"], data["weight_kg"]) == (2_250, 2.25)
    assert (data["canteen"], data["date"], data["meal"], data["stream"], data["dish"]) == (
        "zonghe", "2021-07-05", "lunch", "plate", "米饭")
    assert (data["source"], data["client_id"], data["revision"], data["voided"]) == ("api", "s1:1", 1, False)
    assert data["created_at"].endswith("Z")
    assert conforms(data, "WasteEntry")
    assert stored()["waste_entry"] == 1


def test_a_repeated_client_id_answers_200_and_stores_nothing_new(api_as, stored):
    api = api_as("manager")
    first = api.post("/waste-entries", weighing(client_id="scale-3:17"))
    again = api.post("/waste-entries", weighing(client_id="scale-3:17"))
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.get_json() == first.get_json()
    assert stored()["waste_entry"] == 1 and stored()["waste_entry_revision"] == 1


def test_a_client_id_reused_for_a_different_weighing_is_409(api_as, stored):
    api = api_as("manager")
    api.post("/waste-entries", weighing(client_id="scale-3:18"))
    assert_error(api.post("/waste-entries", weighing(client_id="scale-3:18", weight=13)), 409, "client_id",
                 "weight")
    assert stored()["waste_entry"] == 1


def test_get_waste_entries_by_canteen_and_dates(api_as):
    api = api_as("manager")
    for day, stream in (("2021-07-04", "prep"), ("2021-07-05", "plate"), ("2021-07-06", "plate")):
        assert api.post("/waste-entries", weighing(date=day, stream=stream)).status_code == 201
    api.post("/waste-entries", weighing(canteen="badajie"))
    response = api.get("/waste-entries?canteen=zonghe&from=2021-07-05&to=2021-07-06")
    assert response.status_code == 200
    entries = response.get_json()["entries"]
    assert [(e["date"], e["canteen"]) for e in entries] == [("2021-07-05", "zonghe"),
                                                            ("2021-07-06", "zonghe")]
    assert conforms(response.get_json(), "WasteEntryList")
    viewer = api_as("viewer")
    assert viewer.get("/waste-entries?canteen=zonghe&from=2021-07-01&to=2021-07-31").status_code == 200


@pytest.mark.parametrize(("query", "fields"), [
    ("canteen=zonghe&from=2021-07-05", ["to"]),
    ("from=2021-07-01&to=2021-07-31", ["canteen"]),
    ("canteen=zonghe&from=07/01/2021&to=2021-07-31", ["from"]),
    ("canteen=zonghe&from=2021-07-31&to=2021-07-01", ["to"]),
    ("canteen=nowhere&from=2021-07-01&to=2021-07-31", ["canteen"]),
])
def test_get_waste_entries_names_bad_parameters(api_as, query, fields):
    assert_error(api_as("manager").get(f"/waste-entries?{query}"), 422, *fields)


# --- refusals of POST /waste-entries: status, shape, field, nothing stored ----------------------------------

@pytest.mark.parametrize(("changes", "field"), [
    ({"weight": -1}, "weight"),
    ({"weight": 0}, "weight"),
    ({"weight": "0.0004"}, "weight"),
    ({"weight": "twelve"}, "weight"),
    ({"weight": None}, "weight"),
    ({"weight": 500.001}, "weight"),
    ({"weight": 1001, "unit": "jin"}, "weight"),
    ({"unit": "lb"}, "unit"),
    ({"canteen": "nowhere"}, "canteen"),
    ({"meal": "supper"}, "meal"),
    ({"stream": "bones"}, "stream"),
    ({"date": "2021-13-01"}, "date"),
    ({"date": "2020-08-31", "canteen": "badajie"}, "date"),
])
def test_invalid_entries_are_422_naming_the_field(api_as, nothing_stored, changes, field):
    assert_error(api_as("manager").post("/waste-entries", weighing(**changes)), 422, field)
    assert nothing_stored()


def test_a_future_date_is_422(api_as, settings, nothing_stored):
    tomorrow = (local_today(settings.zone) + timedelta(days=1)).isoformat()
    assert_error(api_as("manager").post("/waste-entries", weighing(date=tomorrow)), 422, "date")
    assert nothing_stored()


def test_a_missing_body_field_is_named(api_as, nothing_stored):
    body = weighing()
    del body["stream"]
    assert_error(api_as("manager").post("/waste-entries", body), 422, "stream")
    assert nothing_stored()


@pytest.mark.parametrize("raw", [b"{not json", b"", b"\xff\xfe", b'{"weight": 1,}'])
def test_malformed_json_is_400(api_as, nothing_stored, raw):
    response = api_as("manager").post("/waste-entries", data=raw, content_type="application/json")
    assert_error(response, 400, "body")
    assert nothing_stored()


@pytest.mark.parametrize("body", [[weighing()], "a string", 12])
def test_a_json_body_that_is_not_an_object_is_400(api_as, nothing_stored, body):
    assert_error(api_as("manager").post("/waste-entries", body), 400, "body")
    assert nothing_stored()


def test_an_oversized_body_is_413(api_as, app, nothing_stored):
    body = weighing(note="x" * (app.config["MAX_JSON_BYTES"] + 1))
    assert_error(api_as("manager").post("/waste-entries", body), 413, "body")
    assert nothing_stored()


def test_no_token_is_401(client, nothing_stored):
    response = client.post("/api/v1/waste-entries", json=weighing())
    assert_error(response, 401, "Authorization")
    assert nothing_stored()


@pytest.mark.parametrize("header", ["Bearer cw_not-a-real-token", "Bearer ", "Basic dXNlcjpwYXNz",
                                    "cw_token-without-scheme"])
def test_a_bad_token_is_401(client, make_user, make_token, nothing_stored, header):
    make_token(make_user("manager"))
    response = client.post("/api/v1/waste-entries", json=weighing(), headers={"Authorization": header})
    assert_error(response, 401, "Authorization")
    assert nothing_stored()


def test_a_revoked_token_is_401(app, client, make_user, make_token, nothing_stored):
    secret = make_token(make_user("manager"))
    headers = {"Authorization": f"Bearer {secret}"}
    assert client.get("/api/v1/waste-entries?canteen=zonghe&from=2021-07-01&to=2021-07-31",
                      headers=headers).status_code == 200
    with app.app_context():
        revoke_token(db.session, db.session.scalars(select(ApiToken)).one().id)
        db.session.commit()
    assert_error(client.post("/api/v1/waste-entries", json=weighing(), headers=headers), 401, "Authorization")
    assert nothing_stored()


def test_a_deactivated_users_token_is_401(app, client, make_user, make_token, nothing_stored):
    user = make_user("manager")
    secret = make_token(user)
    with app.app_context():
        db.session.get(type(user), user.id).active = False
        db.session.commit()
    response = client.post("/api/v1/waste-entries", json=weighing(),
                           headers={"Authorization": f"Bearer {secret}"})
    assert_error(response, 401, "Authorization")
    assert nothing_stored()


def test_a_token_outside_its_canteen_scope_is_403(api_as, nothing_stored):
    api = api_as("manager", canteens=["badajie"])
    assert_error(api.post("/waste-entries", weighing()), 403, "canteen")
    assert_error(api.put("/diner-counts", {"canteen": "zonghe", "date": "2021-07-05", "meal": "lunch",
                                           "count": 3}), 403, "canteen")
    assert_error(api.get("/waste-entries?canteen=zonghe&from=2021-07-01&to=2021-07-31"), 403, "canteen")
    assert_error(api.get("/ledger?canteen=zonghe&month=2021-07"), 403, "canteen")
    assert nothing_stored()
    assert api.post("/waste-entries", weighing(canteen="badajie")).status_code == 201


@pytest.mark.parametrize("role", ["viewer", "contractor", "assessor"])
def test_read_only_roles_cannot_post(api_as, nothing_stored, role):
    api = api_as(role)
    # A role refusal concerns no input field, so ``fields`` stays empty.
    assert_error(api.post("/waste-entries", weighing()), 403)
    assert_error(api.put("/diner-counts", {"canteen": "zonghe", "date": "2021-07-05", "meal": "lunch",
                                           "count": 3}), 403)
    assert nothing_stored()


def test_roles_without_ledger_access_cannot_read(api_as):
    assert_error(api_as("discipline").get("/ledger?canteen=zonghe&month=2021-07"), 403)
    assert_error(api_as("reviewer").get("/waste-entries?canteen=zonghe&from=2021-07-01&to=2021-07-31"), 403)


# --- diner counts -------------------------------------------------------------------------------------------

def test_put_diner_count_creates_then_revises(api_as, stored):
    api = api_as("manager")
    body = {"canteen": "zonghe", "date": "2021-07-05", "meal": "lunch", "count": 480}
    created = api.put("/diner-counts", body)
    assert created.status_code == 201
    assert created.get_json() == {"canteen": "zonghe", "date": "2021-07-05", "meal": "lunch", "count": 480,
                                  "revision": 1}
    same = api.put("/diner-counts", body)
    assert (same.status_code, same.get_json()["revision"]) == (200, 1)
    changed = api.put("/diner-counts", dict(body, count=495, reason="late tray count"))
    assert changed.status_code == 200
    assert (changed.get_json()["count"], changed.get_json()["revision"]) == (495, 2)
    assert conforms(changed.get_json(), "DinerCount")
    assert stored()["diner_count"] == 1 and stored()["diner_count_revision"] == 2


@pytest.mark.parametrize(("changes", "field"), [
    ({"count": -1}, "count"), ({"count": "many"}, "count"), ({"count": 2.5}, "count"),
    ({"count": True}, "count"),
    ({"count": 100_001}, "count"), ({"meal": "supper"}, "meal"), ({"canteen": "nowhere"}, "canteen"),
    ({"date": "2020-08-31", "canteen": "badajie"}, "date"), ({"date": "soon"}, "date"),
])
def test_invalid_diner_counts_are_422(api_as, nothing_stored, changes, field):
    body = {"canteen": "zonghe", "date": "2021-07-05", "meal": "lunch", "count": 480, **changes}
    assert_error(api_as("manager").put("/diner-counts", body), 422, field)
    assert nothing_stored()


# --- the monthly ledger -------------------------------------------------------------------------------------

LEDGER_FIELDS = {"canteen", "month", "total_kg", "other_kg", "by_stream", "by_meal", "by_dish", "days",
                 "diner_meals", "plate_g_per_diner_meal", "complete", "previous_month", "mom_change_kg",
                 "mom_change_pct", "same_month_last_year", "yoy_change_kg", "yoy_change_pct", "missing",
                 "disposals_kg"}


@pytest.fixture
def two_months(api_as):
    """Zonghe: 30 kg in July 2021 (plus grease), 27 kg in August with a diner count; a manager's client."""
    api = api_as("manager")
    for body in (weighing(date="2021-07-01", weight=20),
                 weighing(date="2021-07-02", stream="prep", weight=10),
                 weighing(date="2021-07-02", stream="grease", weight=2),
                 weighing(date="2021-08-02", weight=27)):
        assert api.post("/waste-entries", body).status_code == 201
    assert api.put("/diner-counts", {"canteen": "zonghe", "date": "2021-08-02", "meal": "lunch",
                                     "count": 450}).status_code == 201
    return api


def test_get_ledger_fields_are_exactly_as_documented(two_months):
    response = two_months.get("/ledger?canteen=zonghe&month=2021-08")
    assert response.status_code == 200
    data = response.get_json()
    documented = documented_spec()["components"]["schemas"]["Ledger"]["properties"]
    assert set(data) == LEDGER_FIELDS == set(documented)
    assert conforms(data, "Ledger")
    assert (data["canteen"], data["month"]) == ("zonghe", "2021-08")
    assert (data["total_kg"], data["other_kg"]) == (27.0, 0.0)
    assert data["by_stream"] == {"prep": 0.0, "unsold": 0.0, "plate": 27.0, "grease": 0.0}
    assert data["by_meal"] == {"breakfast": 0.0, "lunch": 27.0, "dinner": 0.0}
    assert (data["diner_meals"], data["plate_g_per_diner_meal"]) == (450, 60.0)
    assert data["previous_month"] == {"month": "2021-07", "total_kg": 30.0, "missing_slots": 31 * 3 - 2}
    assert (data["mom_change_kg"], data["mom_change_pct"]) == (-3.0, -10.0)
    assert data["same_month_last_year"] is None
    assert (data["yoy_change_kg"], data["yoy_change_pct"]) == (None, None)
    assert len(data["days"]) == 31
    assert data["days"][1] == {"date": "2021-08-02", "total_kg": 27.0, "plate_kg": 27.0, "diners": 450,
                               "missing_meals": ["breakfast", "dinner"]}
    assert data["days"][0]["total_kg"] is None
    assert {"date": "2021-08-01", "meal": "lunch"} in data["missing"]
    assert data["complete"] is False


def test_get_ledger_names_bad_parameters(api_as):
    api = api_as("viewer")
    assert_error(api.get("/ledger?canteen=zonghe&month=2021-13"), 422, "month")
    assert_error(api.get("/ledger?canteen=zonghe"), 422, "month")
    assert_error(api.get("/ledger?canteen=nowhere&month=2021-07"), 422, "canteen")
    assert_error(api.get("/ledger?month=2021-07"), 422, "canteen")


def test_ledger_xlsx_holds_the_month_total_and_signature_lines(two_months):
    response = two_months.get("/ledger.xlsx?canteen=zonghe&month=2021-07&lang=en")
    assert response.status_code == 200
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert "ledger-zonghe-2021-07.xlsx" in response.headers["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(response.data)).active
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    header = next(row for row in rows if "Food waste total" in row)
    total_row = next(row for row in rows if row[0] == "Month total")
    assert total_row[header.index("Food waste total")] == 30.0
    texts = [str(value) for row in rows for value in row if isinstance(value, str)]
    assert any(text.startswith("Food-waste total: 30.0 kg") for text in texts)
    assert any("填表人" in text for text in texts) and any("复核人" in text for text in texts)
    days = [row[0] for row in rows if isinstance(row[0], str) and re.fullmatch(r"2021-07-\d\d", row[0])]
    assert len(days) == 31


def test_ledger_xlsx_in_the_default_language_has_the_signature_lines(two_months):
    response = two_months.get("/ledger.xlsx?canteen=zonghe&month=2021-08")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data)).active
    texts = [value for row in sheet.iter_rows(values_only=True) for value in row if isinstance(value, str)]
    assert any("填表人" in text for text in texts) and any("复核人" in text for text in texts)
    assert 27.0 in [value for row in sheet.iter_rows(values_only=True) for value in row]


# --- the OpenAPI document -----------------------------------------------------------------------------------

def test_the_openapi_document_is_valid_and_documents_every_route(app, api_as):
    response = api_as("viewer").get("/openapi.json")
    assert response.status_code == 200
    document = response.get_json()
    validate_spec(document)
    documented = {(path, method) for path, operations in document["paths"].items() for method in operations}
    routes = set()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/") or rule.rule == "/api/v1/openapi.json":
            continue
        path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule[len("/api/v1"):])
        routes |= {(path, method.lower()) for method in rule.methods - {"HEAD", "OPTIONS"}}
    assert routes, "no API routes found"
    assert routes - documented == set()
    assert documented - routes == set()


def test_the_openapi_document_needs_a_token_or_a_login(client):
    assert_error(client.get("/api/v1/openapi.json"), 401, "Authorization")
