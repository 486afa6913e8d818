"""The assessment and spot-check API: shapes, workflow, and each bad request a clear 4xx with nothing
stored."""
from __future__ import annotations

import functools
import re
import tempfile

import pytest
from openapi_schema_validator import OAS30Validator
from openapi_spec_validator import validate as validate_spec

from canteen.api.openapi import openapi_document
from canteen.app import create_app
from canteen.assessment.contractors import link_user
from tests.conftest import ApiClient

OURS = re.compile(r"^/(assessment|contractors|assessments|spot-check|spot-checks|rectifications)")


def assert_error(response, status, *fields):
    """The API's one error shape, naming exactly these fields."""
    assert response.status_code == status, response.get_data(as_text=True)
    data = response.get_json()
    assert set(data) == {"error", "fields"} and data["error"]
    assert set(data["fields"]) == set(fields), data
    return data


@functools.lru_cache(maxsize=1)
def documented_spec() -> dict:
    """The OpenAPI document of an app built from config.yaml (each feature adds its paths when registered)."""
    return openapi_document(create_app({"SECRET_KEY": "test-secret", "INSTANCE_PATH": tempfile.mkdtemp()}))


def conforms(instance, schema_name):
    """True when ``instance`` matches the documented component schema."""
    document = documented_spec()
    schema = {"$ref": f"#/components/schemas/{schema_name}", "components": document["components"]}
    errors = list(OAS30Validator(schema).iter_errors(instance))
    assert not errors, [error.message for error in errors]
    return True


@pytest.fixture
def world(app, session, contractor, admin, kept_ledger):
    """A contractor serving both canteens and a complete ledger for zonghe, summer 2021."""
    return contractor


@pytest.fixture
def caterer_api(client, make_user, make_token, world, session, admin):
    """An API client acting as a caterer linked to the contractor."""
    user = make_user("contractor", username="caterer")
    link_user(session, admin, world.id, user.username)
    session.commit()
    return ApiClient(client, make_token(user))


def open_july(api, contractor, month="2021-07"):
    """POST /assessments for zonghe."""
    return api.post("/assessments", json={"contractor": contractor.id, "canteen": "zonghe", "month": month})


# --- the sheet and contractors ------------------------------------------------------------------------------

def test_the_template_has_the_version_and_ten_items(api_as, client):
    api = api_as("assessor")
    data = api.get("/assessment-template").get_json()
    assert data["version"] == 1 and len(data["hash"]) == 64
    assert len(data["items"]) == 10 and sum(item["max_points"] for item in data["items"]) == 100
    first = data["items"][0]
    assert set(first) == {"code", "name_zh", "name_en", "group", "max_points", "rules"}
    assert first["rules"][0] == {"code": "late_opening", "name_zh": "开餐延误", "name_en": "Late opening",
                                 "points": 2.0, "per": "occurrence", "cap": 10.0, "evidence_required": True,
                                 "source": None}
    assert conforms(data, "AssessmentTemplate")
    assert api.get("/assessment-template").get_json()["version"] == 1  # same content, same version
    assert api_as("contractor").get("/assessment-template").status_code == 200
    assert_error(api_as("manager").get("/assessment-template"), 403)
    assert_error(client.get("/api/v1/assessment-template"), 401, "Authorization")


def test_contractors_are_listed_by_scope(api_as, world, caterer_api):
    data = api_as("admin").get("/contractors").get_json()
    assert [item["contract_no"] for item in data["contractors"]] == ["KF-2021-001"]
    assert data["contractors"][0]["monthly_fee"] == 300000.0
    assert data["contractors"][0]["canteens"] == [{"canteen": "zonghe", "monthly_fee": 200000.0},
                                                  {"canteen": "badajie", "monthly_fee": 100000.0}]
    assert conforms(data, "ContractorList")
    assert len(caterer_api.get("/contractors").get_json()["contractors"]) == 1
    assert api_as("contractor").get("/contractors").get_json() == {"contractors": []}  # not linked
    assert_error(api_as("reviewer").get("/contractors"), 403)


# --- assessments --------------------------------------------------------------------------------------------

def test_open_read_list_a_draft(api_as, world):
    api = api_as("assessor")
    response = open_july(api, world)
    assert response.status_code == 201
    data = response.get_json()
    assert conforms(data, "Assessment")
    assert (data["status"], data["total"], data["grade"]["code"],
            data["fee"]["payable"]) == ("draft", 100.0, "excellent", 200000.0)
    assert [item["code"] for item in data["items"]][:2] == ["punctuality", "conduct"]
    assert api.get(f"/assessments/{data['id']}").get_json() == data
    listed = api.get(f"/assessments?contractor={world.id}&year=2021").get_json()
    assert conforms(listed, "AssessmentList")
    assert [(item["month"], item["status"]) for item in listed["assessments"]] == [("2021-07", "draft")]
    assert api.get(f"/assessments?contractor={world.id}&year=2020").get_json() == {"assessments": []}


@pytest.mark.parametrize("body, status, fields", [
    ({"canteen": "zonghe", "month": "2021-07"}, 422, ["contractor"]),
    ({"contractor": 9999, "canteen": "zonghe", "month": "2021-07"}, 422, ["contractor"]),
    ({"contractor": "W", "canteen": "mars", "month": "2021-7-1"}, 422, ["canteen", "month"]),
    ({"contractor": "W", "canteen": "zonghe", "month": "2020-12"}, 422, ["month"]),
    ({"contractor": "W", "canteen": "zonghe", "month": "2099-01"}, 422, ["month"]),
])
def test_bad_drafts_are_refused_and_nothing_is_stored(api_as, world, stored, body, status, fields):
    if body.get("contractor") == "W":
        body = {**body, "contractor": world.id}
    before = stored()
    assert_error(api_as("assessor").post("/assessments", json=body), status, *fields)
    assert stored() == before


def test_a_second_assessment_of_a_month_is_409(api_as, world, stored):
    api = api_as("assessor")
    assert open_july(api, world).status_code == 201
    before = stored()
    assert_error(open_july(api, world), 409, "month")
    assert stored() == before


@pytest.mark.parametrize("role", ["contractor", "viewer", "manager"])
def test_other_roles_cannot_open_drafts(api_as, world, stored, role):
    before = stored()
    assert_error(open_july(api_as(role), world), 403)
    assert stored() == before


def test_malformed_bodies(api_as, world, client):
    api = api_as("assessor")
    assert_error(api.post("/assessments", data="{", headers={"Content-Type": "application/json"}), 400,
                 "body")
    assert_error(api.post("/assessments", json=[1, 2]), 400, "body")
    assert_error(api.get("/assessments?year=soon"), 422, "year")
    assert_error(api.get("/assessments/999"), 404)


def test_deductions_and_their_errors(api_as, world, stored):
    api = api_as("assessor")
    assessment = open_july(api, world).get_json()
    path = f"/assessments/{assessment['id']}/deductions"
    response = api.post(path, json={"rule": "late_opening", "count": 2, "ledger_day": "2021-07-12",
                                    "note": "12 minutes late"})
    assert response.status_code == 201
    line = response.get_json()
    assert conforms(line, "AssessmentLine")
    assert (line["rule"], line["item"], line["count"],
            line["evidence"]["ledger_day"]) == ("late_opening", "punctuality", 2, "2021-07-12")
    before = stored()
    assert_error(api.post(path, json={"rule": "sneezing", "reference": "x"}), 422, "rule")
    assert_error(api.post(path, json={"rule": "late_opening", "points": 11, "reference": "x"}), 422, "points")
    assert_error(api.post(path, json={"rule": "missing_sample"}), 422, "evidence")
    assert_error(api.post(path, json={"rule": "late_opening", "count": -3, "reference": "x"}), 422, "count")
    assert_error(api_as("contractor").post(path, json={"rule": "late_opening", "reference": "x"}), 403)
    assert_error(api.post("/assessments/4242/deductions", json={"rule": "late_opening"}), 404)
    assert stored() == before
    detail = api.get(f"/assessments/{assessment['id']}").get_json()
    assert detail["total"] == 96 and detail["items"][0]["score"] == 6
    withdrawn = api.post(f"{path}/{line['id']}/withdraw", json={"reason": "the clock was wrong"})
    assert (withdrawn.status_code == 200
            and withdrawn.get_json()["withdrawn"]["reason"] == "the clock was wrong")
    assert_error(api.post(f"{path}/{line['id']}/withdraw", json={"reason": "again"}), 409)
    assert api.get(f"/assessments/{assessment['id']}").get_json()["total"] == 100


def test_the_workflow_through_the_api(api_as, world, caterer_api, stored):
    api = api_as("assessor")
    assessment = open_july(api, world).get_json()
    base = f"/assessments/{assessment['id']}"
    api.post(f"{base}/deductions", json={"rule": "verified_complaint", "reference": "complaint 15"})
    proposals = api.get(f"{base}/proposals").get_json()
    assert conforms(proposals, "ProposalList")
    assert {item["key"] for item in proposals["proposals"]} == {"ledger_missing", "plate_baseline"}
    assert_error(api.post(f"{base}/proposals", json={"key": "ledger_missing", "accept": "yes"}), 422,
                 "accept")
    submitted = api.post(f"{base}/submit")
    assert submitted.status_code == 200 and submitted.get_json()["status"] == "submitted"
    before = stored()
    # Locked: no more deductions, and a second submission is a conflict.
    assert_error(api.post(f"{base}/deductions", json={"rule": "late_opening", "reference": "x"}), 409,
                 "status")
    assert_error(api.post(f"{base}/submit"), 409, "status")
    assert_error(api.post(f"{base}/finalize"), 409, "respond_by")
    assert_error(api.post(f"{base}/acknowledge", json={}), 403)  # only the caterer answers
    assert_error(caterer_api.post(f"{base}/dispute", json={"reason": " "}), 422, "reason")
    assert_error(caterer_api.post(f"{base}/deductions", json={"rule": "late_opening", "reference": "x"}), 403)
    assert stored() == before
    disputed = caterer_api.post(f"{base}/dispute", json={"reason": "the complaint was withdrawn"})
    assert disputed.get_json()["status"] == "disputed"
    amended = api.post(f"{base}/amend", json={"reason": "complaint withdrawn by the diner"})
    assert amended.get_json()["status"] == "amending" and amended.get_json()["revision"] == 2
    line = amended.get_json()["deductions"][0]
    api.post(f"{base}/deductions/{line['id']}/withdraw", json={"reason": "complaint withdrawn"})
    answered = api.post(f"{base}/answer", json={"answer": "Agreed, deduction withdrawn."})
    data = answered.get_json()
    assert (data["status"], data["total"], data["answer"]) == ("final", 100.0, "Agreed, deduction withdrawn.")
    assert [(rev["number"], rev["total"]) for rev in data["revisions"]] == [(1, 99.0), (2, 100.0)]
    assert_error(caterer_api.post(f"{base}/acknowledge", json={}), 409, "status")


def test_the_caterer_acknowledges_and_sees_only_its_own(api_as, world, caterer_api, admin, session):
    api = api_as("assessor")
    assessment = open_july(api, world).get_json()
    draft_only = open_july(api, world, month="2021-08").get_json()
    assert api.post(f"/assessments/{assessment['id']}/submit").status_code == 200
    assert_error(caterer_api.get(f"/assessments/{draft_only['id']}"), 404)  # drafts stay with the assessors
    listed = caterer_api.get("/assessments").get_json()["assessments"]
    assert [item["id"] for item in listed] == [assessment["id"]]
    rival = api_as("contractor")  # a caterer of no company here
    assert_error(rival.get(f"/assessments/{assessment['id']}"), 404)
    assert_error(rival.post(f"/assessments/{assessment['id']}/acknowledge", json={}), 404)
    response = caterer_api.post(f"/assessments/{assessment['id']}/acknowledge", json={"comment": "agreed"})
    assert response.get_json()["status"] == "final" and response.get_json()["response"] == "acknowledged"


def test_a_caterer_cannot_read_proposals(api_as, world, caterer_api):
    assessment = open_july(api_as("assessor"), world).get_json()
    assert_error(caterer_api.get(f"/assessments/{assessment['id']}/proposals"), 403)


# --- spot checks --------------------------------------------------------------------------------------------

def test_draw_record_and_read_spot_checks(api_as, world, caterer_api, stored):
    api = api_as("assessor")
    response = api.post("/spot-check-draws", json={"canteen": "zonghe", "month": "2021-07", "seed": 99})
    assert response.status_code == 201
    draw = response.get_json()
    assert conforms(draw, "SpotCheckDraw")
    assert draw["seed"] == 99 and len(draw["slots"]) == 4
    before = stored()
    assert_error(api.post("/spot-check-draws", json={"canteen": "zonghe", "month": "2021-07"}), 409, "month")
    assert_error(api.post("/spot-check-draws", json={"canteen": "zonghe", "month": "soon"}), 422, "month")
    assert_error(caterer_api.post("/spot-check-draws", json={"canteen": "badajie", "month": "2021-07"}), 403)
    assert stored() == before
    assert api.get("/spot-check-draws?canteen=zonghe&month=2021-07").get_json() == draw
    assert_error(api.get("/spot-check-draws?canteen=zonghe&month=2021-06"), 404)
    # July 2021 is over, so the caterer sees every slot and the seed.
    assert caterer_api.get("/spot-check-draws?canteen=zonghe&month=2021-07").get_json()["seed"] == 99
    slot = draw["slots"][0]
    body = {"canteen": "zonghe", "date": slot["date"], "meal": slot["meal"], "slot": slot["id"],
            "reweighs": [{"stream": "plate", "weight": 7.2}],
            "findings": [{"rule": "missing_sample", "note": "no soup sample", "rectify": True}]}
    assert_error(api.post("/spot-checks", json={**body, "findings": [{"rule": "nap"}]}), 422,
                 "findings.0.rule")
    assert stored() == before
    created = api.post("/spot-checks", json=body)
    assert created.status_code == 201
    check = created.get_json()
    assert conforms(check, "SpotCheck")
    assert check["reweighs"] == [{"stream": "plate", "weighed_kg": 7.2, "ledger_kg": 6.0, "diff_kg": -1.2,
                                  "diff_pct": -16.7, "beyond_tolerance": True}]
    assert_error(api.post("/spot-checks", json=body), 409, "slot")
    listed = caterer_api.get("/spot-checks?canteen=zonghe&month=2021-07").get_json()
    assert conforms(listed, "SpotCheckList") and [item["id"] for item in listed["checks"]] == [check["id"]]
    assert caterer_api.get(
        f"/spot-checks/{check['id']}").get_json()["findings"][0]["rule"] == "missing_sample"
    assert_error(api_as("viewer").get(f"/spot-checks/{check['id']}"), 403)
    finding = api.post(f"/spot-checks/{check['id']}/findings",
                       json={"rule": "kitchen_not_clean", "rectify": True})
    assert finding.status_code == 201 and conforms(finding.get_json(), "Finding")
    open_ones = api.get("/rectifications?status=open").get_json()
    assert conforms(open_ones, "FindingList") and len(open_ones["findings"]) == 2
    assert all(item["overdue"] for item in api.get("/rectifications?status=overdue").get_json()["findings"])
    assert_error(api.get("/rectifications?status=later"), 422, "status")


def test_a_caterer_sees_no_future_slot(api_as, world, caterer_api, settings):
    from canteen.core.timeutil import add_months, local_today, month_start

    month = add_months(month_start(local_today(settings.zone)), 1).strftime("%Y-%m")
    draw = api_as("assessor").post("/spot-check-draws", json={"canteen": "zonghe", "month": month}).get_json()
    assert len(draw["slots"]) == 4 and draw["seed"] is not None
    seen = caterer_api.get(f"/spot-check-draws?canteen=zonghe&month={month}").get_json()
    assert seen["slots"] == [] and seen["seed"] is None


def test_proposals_from_a_spot_check_reach_the_assessment(api_as, world):
    api = api_as("assessor")
    draw = api.post("/spot-check-draws", json={"canteen": "zonghe", "month": "2021-07", "seed": 5}).get_json()
    slot = draw["slots"][0]
    check = api.post("/spot-checks", json={"canteen": "zonghe", "date": slot["date"], "meal": slot["meal"],
                                           "slot": slot["id"],
                                           "reweighs": [{"stream": "plate", "weight": 8}]})
    check_id = check.get_json()["id"]
    assessment = open_july(api, world).get_json()
    base = f"/assessments/{assessment['id']}"
    keys = {item["key"] for item in api.get(f"{base}/proposals").get_json()["proposals"]}
    assert f"reweigh:{check_id}" in keys
    assert_error(api.post(f"{base}/submit"), 409, "proposals")
    decided = api.post(f"{base}/proposals", json={"key": f"reweigh:{check_id}", "accept": True}).get_json()
    assert decided["total"] == 98 and decided["deductions"][0]["evidence"]["spot_check"] == check_id
    assert api.post(f"{base}/submit").get_json()["status"] == "submitted"


# --- the OpenAPI document -----------------------------------------------------------------------------------

def test_every_assessment_route_is_documented(app, api_as):
    document = api_as("viewer").get("/openapi.json").get_json()
    validate_spec(document)
    documented = {(path, method) for path, operations in document["paths"].items() for method in operations
                  if OURS.match(path)}
    routes = set()
    for rule in app.url_map.iter_rules():
        path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule[len("/api/v1"):])
        if rule.rule.startswith("/api/v1/") and OURS.match(path):
            routes |= {(path, method.lower()) for method in rule.methods - {"HEAD", "OPTIONS"}}
    assert len(routes) == 22 and routes == documented


# --- every endpoint, every role -----------------------------------------------------------------------------

API_ROLES = ["admin", "assessor", "caterer", "viewer", "manager", "reviewer", "discipline"]
VIEW = {"admin", "assessor", "caterer", "viewer"}
EDIT = {"admin", "assessor"}
SPOT_VIEW = {"admin", "assessor", "caterer"}


@pytest.fixture
def api_world(app, session, settings, assessor, world, kept_ledger):
    """A submitted July at zonghe, a draft August, a drawn and recorded July spot check."""
    from canteen.assessment.assessments import open_assessment, submit
    from canteen.assessment.spotchecks.draw import draw_month
    from canteen.assessment.spotchecks.services import record_check
    from tests.assessment.world import LATER

    sent = open_assessment(session, settings, assessor, {"contractor": world.id, "canteen": "zonghe",
                                                         "month": "2021-07"}, now=LATER)
    submit(session, settings, assessor, sent.id)
    draft = open_assessment(session, settings, assessor, {"contractor": world.id, "canteen": "zonghe",
                                                          "month": "2021-08"}, now=LATER)
    draw = draw_month(session, settings, assessor, {"canteen": "zonghe", "month": "2021-07", "seed": 1},
                      now=LATER)
    check = record_check(session, settings, assessor, {"canteen": "zonghe",
                                                       "date": draw.slots[0].day.isoformat(),
                                                       "meal": draw.slots[0].meal_code,
                                                       "slot": draw.slots[0].id},
                         now=LATER)
    session.commit()
    return {"sent": sent.id, "draft": draft.id, "check": check.id}


def endpoint_matrix(ids):
    """(method, path, body, roles that get past the role check); bodies are invalid so nothing is ever
    stored."""
    sent, draft, check = ids["sent"], ids["draft"], ids["check"]
    return [
        ("get", "/assessment-template", None, VIEW),
        ("get", "/contractors", None, VIEW),
        ("get", "/assessments", None, VIEW),
        ("get", f"/assessments/{sent}", None, VIEW),
        ("post", "/assessments", {"month": "never"}, EDIT),
        ("get", f"/assessments/{draft}/proposals", None, EDIT),
        ("post", f"/assessments/{draft}/proposals", {"key": "nothing", "accept": True}, EDIT),
        ("post", f"/assessments/{draft}/deductions", {"rule": "unknown"}, EDIT),
        ("post", f"/assessments/{draft}/deductions/999/withdraw", {"reason": "x"}, EDIT),
        ("post", f"/assessments/{sent}/submit", None, EDIT),
        ("post", f"/assessments/{sent}/amend", {"reason": ""}, EDIT),
        ("post", f"/assessments/{sent}/answer", {"answer": "x"}, EDIT),
        ("post", f"/assessments/{sent}/finalize", None, EDIT),
        ("post", f"/assessments/{draft}/acknowledge", {}, {"caterer"}),
        ("post", f"/assessments/{sent}/dispute", {"reason": ""}, {"caterer"}),
        ("post", "/spot-check-draws", {"canteen": "zonghe", "month": "2021-07"}, EDIT),
        ("get", "/spot-check-draws?canteen=zonghe&month=2021-07", None, SPOT_VIEW),
        ("get", "/spot-checks?canteen=zonghe&month=2021-07", None, SPOT_VIEW),
        ("post", "/spot-checks", {"canteen": "zonghe"}, EDIT),
        ("get", f"/spot-checks/{check}", None, SPOT_VIEW),
        ("post", f"/spot-checks/{check}/findings", {"rule": "unknown"}, EDIT),
        ("get", "/rectifications", None, SPOT_VIEW),
    ]


@pytest.mark.parametrize("role", API_ROLES)
def test_every_endpoint_checks_the_role(api_as, caterer_api, api_world, stored, role):
    api = caterer_api if role == "caterer" else api_as(role)
    matrix = endpoint_matrix(api_world)
    assert len(matrix) == 22  # one row per documented route
    before = stored()
    for method, path, body, allowed in matrix:
        response = api.get(path) if method == "get" else api.post(path, json=body or {})
        if role in allowed:
            assert response.status_code != 403, (method, path, response.get_json())
            assert response.status_code < 500
        else:
            assert_error(response, 403)
    assert stored() == before
