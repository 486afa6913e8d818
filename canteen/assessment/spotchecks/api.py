"""Spot-check endpoints of the JSON API: the monthly draw, check records, findings and rectifications."""
from __future__ import annotations

from typing import Any

from flask import current_app, jsonify, request
from flask_babel import gettext as _
from sqlalchemy import select

from canteen.api.base import api_blueprint, api_user, canteen_and_month_args, json_body, require_api
from canteen.api.openapi import CODE, DAY, ID_SCHEMA, MONTH, document, param, text
from canteen.assessment.sheet import current_sheet_version, sheet_of
from canteen.core.errors import NotFound
from canteen.core.timeutil import month_end
from canteen.extensions import db
from canteen.assessment.spotchecks.draw import MAX_SEED, draw_month, seed_visible, slot_visible
from canteen.assessment.spotchecks.models import CHECK_KINDS, SpotCheck, SpotCheckDraw
from canteen.assessment.spotchecks.services import (CHECKLIST_VALUES, MAX_FINDINGS, RECTIFICATION_STATUSES,
                                                    add_finding, check_as_dict, finding_as_dict, list_checks,
                                                    record_check, rectifications, visible_check)

bp = api_blueprint("spotchecks_api", __name__)
# This feature's component schemas, added to the OpenAPI document by its init_app.
SCHEMAS: dict[str, dict[str, Any]] = {}

SCHEMAS["SpotCheckDrawInput"] = {"type": "object", "required": ["canteen", "month"], "properties": {
    "canteen": CODE, "month": dict(MONTH, description="YYYY-MM, at most next month"),
    "seed": {"type": "integer", "minimum": 0, "maximum": MAX_SEED - 1,
             "description": "replay a known seed; without it a fresh seed is drawn and recorded"}}}
SCHEMAS["SpotCheckDraw"] = {"type": "object", "properties": {
    "id": {"type": "integer"}, "canteen": {"type": "string"}, "month": {"type": "string"},
    "seed": {"type": "integer", "nullable": True,
             "description": "hidden from the caterer until the month is over"},
    "count": {"type": "integer"}, "drawn_at": {"type": "string", "format": "date-time"},
    "slots": {"type": "array", "items": {"type": "object", "properties": {
        "id": {"type": "integer"}, "date": {"type": "string", "format": "date"}, "meal": {"type": "string"},
        "check": {"type": "integer", "nullable": True}}}}}}
SCHEMAS["SpotCheckInput"] = {"type": "object", "required": ["canteen", "date", "meal"], "properties": {
    "canteen": CODE, "date": DAY, "meal": CODE,
    "kind": {"type": "string", "enum": list(CHECK_KINDS), "default": "drawn"},
    "slot": dict(ID_SCHEMA, description="the drawn slot (required for kind drawn)"),
    "checklist": {"type": "object", "description": "item code of the sheet in force to its state",
                  "additionalProperties": {"type": "string", "enum": list(CHECKLIST_VALUES)}},
    "summary": text(2000),
    "reweighs": {"type": "array", "description": "each stream at most once", "items": {
        "type": "object", "required": ["stream", "weight"], "properties": {
            "stream": CODE,
            "weight": {"type": "number", "minimum": 0, "exclusiveMinimum": True,
                       "description": "at most the largest weight one ledger entry may hold"},
            "unit": {"type": "string", "pattern": "^[a-z]{1,8}$", "default": "kg",
                     "description": "a configured unit (kg, g, jin)"}}}},
    "findings": {"type": "array", "maxItems": MAX_FINDINGS,
                 "items": {"$ref": "#/components/schemas/FindingInput"}},
    "closes": {"type": "array", "description": "follow-up checks: findings whose rectification is done",
               "items": {"type": "object", "properties": {"finding": ID_SCHEMA, "note": text(1000)}}}}}
SCHEMAS["FindingInput"] = {"type": "object", "required": ["rule"], "properties": {
    "rule": dict(CODE, description="a rule code of the sheet in force"),
    "count": {"type": "integer", "minimum": 1, "maximum": 1000, "default": 1}, "note": text(1000),
    "rectify": {"type": "boolean", "description": "demand a fix by the default deadline"},
    "rectify_by": dict(DAY, description="not before the check")}}
SCHEMAS["Finding"] = {"type": "object", "properties": {
    "id": {"type": "integer"}, "check": {"type": "integer"}, "item": {"type": "string"},
    "rule": {"type": "string"},
    "name_zh": {"type": "string"}, "name_en": {"type": "string"}, "count": {"type": "integer"},
    "note": {"type": "string"}, "rectify_by": {"type": "string", "format": "date", "nullable": True},
    "closed_by_check": {"type": "integer", "nullable": True},
    "closed_at": {"type": "string", "format": "date-time", "nullable": True}, "overdue": {"type": "boolean"}}}
SCHEMAS["SpotCheck"] = {"type": "object", "properties": {
    "id": {"type": "integer"}, "canteen": {"type": "string"}, "date": {"type": "string", "format": "date"},
    "meal": {"type": "string"}, "kind": {"type": "string"}, "slot": {"type": "integer", "nullable": True},
    "inspector": {"type": "string"}, "created_at": {"type": "string", "format": "date-time"},
    "summary": {"type": "string"}, "checklist": {"type": "object"},
    "reweighs": {"type": "array", "items": {"type": "object", "properties": {
        "stream": {"type": "string"}, "weighed_kg": {"type": "number"},
        "ledger_kg": {"type": "number", "nullable": True}, "diff_kg": {"type": "number", "nullable": True},
        "diff_pct": {"type": "number", "nullable": True}, "beyond_tolerance": {"type": "boolean"}}}},
    "findings": {"type": "array", "items": {"$ref": "#/components/schemas/Finding"}},
    "photos": {"type": "integer"}, "contractor_response": {"type": "string", "nullable": True},
    "contractor_comment": {"type": "string", "nullable": True}}}
SCHEMAS["SpotCheckList"] = {"type": "object", "properties": {
    "checks": {"type": "array", "items": {"$ref": "#/components/schemas/SpotCheck"}}}}
SCHEMAS["FindingList"] = {"type": "object", "properties": {
    "findings": {"type": "array", "items": {"$ref": "#/components/schemas/Finding"}}}}


_CANTEEN_AND_MONTH = {"canteen": param("canteen code", CODE, required=True),
                      "month": param("YYYY-MM", MONTH, required=True)}


def _settings() -> Any:
    return current_app.config["SETTINGS"]


def draw_as_dict(draw: SpotCheckDraw) -> dict[str, Any]:
    """The JSON shape of a draw as the caller may see it (no future slots or seed for the caterer)."""
    settings, actor = _settings(), api_user()
    # A slot already checked may be shown to the caterer early: the visit is no longer a surprise.
    checks = {check.slot_id: check.id for check in db.session.scalars(
        select(SpotCheck).where(SpotCheck.slot_id.in_([slot.id for slot in draw.slots])))}
    return {"id": draw.id, "canteen": draw.canteen.code, "month": draw.month.strftime("%Y-%m"),
            "seed": draw.seed if seed_visible(actor, draw, settings) else None, "count": draw.count,
            "drawn_at": draw.drawn_at.isoformat(),
            "slots": [{"id": slot.id, "date": slot.day.isoformat(), "meal": slot.meal_code,
                       "check": checks.get(slot.id)} for slot in draw.slots
                      if slot_visible(actor, slot, settings, slot.id in checks)]}


@bp.post("/spot-check-draws")
@document("post", "/spot-check-draws", "Draw a canteen-month's check slots with a recorded seed",
          body="SpotCheckDrawInput", responses={201: "SpotCheckDraw"}, tag="spot checks")
def post_spot_check_draw() -> Any:
    """Draw once per canteen and month; a second draw answers 409."""
    draw = draw_month(db.session, _settings(), api_user(), json_body())
    db.session.commit()
    return jsonify(draw_as_dict(draw)), 201


@bp.get("/spot-check-draws")
@document("get", "/spot-check-draws", "The draw of a canteen-month",
          query=_CANTEEN_AND_MONTH, responses={200: "SpotCheckDraw"},
          tag="spot checks")
def get_spot_check_draw() -> Any:
    """The recorded draw; 404 when the month is not drawn yet."""
    require_api("spotcheck.view")
    canteen, month = canteen_and_month_args()
    draw = db.session.scalar(select(SpotCheckDraw).where(SpotCheckDraw.canteen_id == canteen.id,
                                                         SpotCheckDraw.month == month))
    if draw is None:
        raise NotFound(_("this month is not drawn yet"))
    return jsonify(draw_as_dict(draw))


@bp.get("/spot-checks")
@document("get", "/spot-checks", "Check records of a canteen-month",
          query=_CANTEEN_AND_MONTH, responses={200: "SpotCheckList"},
          tag="spot checks")
def get_spot_checks() -> Any:
    """The month's records the token's user may see."""
    require_api("spotcheck.view")
    canteen, month = canteen_and_month_args()
    checks = list_checks(db.session, api_user(), canteen, month, month_end(month))
    return jsonify({"checks": [check_as_dict(db.session, _settings(), check) for check in checks]})


@bp.post("/spot-checks")
@document("post", "/spot-checks", "Record a check: checklist, re-weighs, findings, rectifications closed",
          body="SpotCheckInput", responses={201: "SpotCheck"}, tag="spot checks")
def post_spot_check() -> Any:
    """Store one check record."""
    check = record_check(db.session, _settings(), api_user(), json_body())
    db.session.commit()
    return jsonify(check_as_dict(db.session, _settings(), check)), 201


@bp.get("/spot-checks/<int:check_id>")
@document("get", "/spot-checks/{check_id}", "A check record with its re-weighs against the ledger",
          responses={200: "SpotCheck"}, tag="spot checks")
def get_spot_check(check_id: int) -> Any:
    """One check record."""
    return jsonify(check_as_dict(db.session, _settings(), visible_check(db.session, api_user(), check_id)))


@bp.post("/spot-checks/<int:check_id>/findings")
@document("post", "/spot-checks/{check_id}/findings", "Add a finding to a recorded check",
          body="FindingInput", responses={201: "Finding"}, tag="spot checks")
def post_spot_check_finding(check_id: int) -> Any:
    """Append a finding."""
    finding = add_finding(db.session, _settings(), api_user(), check_id, json_body())
    db.session.commit()
    # Named from the sheet in force, the one add_finding checked the rule against.
    sheet = sheet_of(current_sheet_version(db.session, _settings()))
    return jsonify(finding_as_dict(finding, _settings(), sheet)), 201


@bp.get("/rectifications")
@document("get", "/rectifications", "Findings that demand a fix: open, overdue, closed or all",
          query={"status": param("which findings", {"type": "string", "enum": list(RECTIFICATION_STATUSES),
                                                    "default": "open"})},
          responses={200: "FindingList"},
          tag="spot checks")
def get_rectifications() -> Any:
    """Rectification orders the token's user may see."""
    findings = rectifications(db.session, _settings(), api_user(), request.args.get("status", "open"))
    settings = _settings()
    # Each finding is named from its own check's sheet version.
    return jsonify({"findings": [finding_as_dict(finding, settings, sheet_of(finding.check.sheet_version))
                                 for finding in findings]})
