"""Ledger endpoints of the JSON API: waste entries, diner counts, the monthly ledger and its Excel file."""
from __future__ import annotations

import copy
from io import BytesIO
from typing import Any

from flask import current_app, jsonify, request, send_file
from flask_babel import gettext as _

from canteen.api.base import api_blueprint, api_user, canteen_and_month_args, json_body, require_api
from canteen.api.openapi import CODE, DAY, MONTH, document, param, text
from canteen.core.errors import FieldErrors
from canteen.core.validation import parse_day
from canteen.extensions import db
from canteen.ledger.diners import MAX_DINERS, diner_count_as_dict, set_diner_count
from canteen.ledger.entries import entry_as_dict, list_entries, record_entry
from canteen.ledger.excel import ledger_workbook_bytes
from canteen.ledger.figures import ledger_as_dict, month_ledger
from canteen.ledger.signoff import month_signoff

bp = api_blueprint("ledger_api", __name__)
# This feature's component schemas, added to the OpenAPI document by its init_app.
SCHEMAS: dict[str, dict[str, Any]] = {
    "WasteEntryInput": {
        "type": "object", "required": ["canteen", "date", "meal", "stream", "weight"],
        "properties": {
            "canteen": dict(CODE, example="zonghe"),
            "date": dict(DAY, description="not in the future, not before the canteen opened"),
            "meal": dict(CODE, example="lunch"),
            "stream": dict(CODE, example="plate"),
            # The maximum and the units are the configured ones, set by schemas().
            "weight": {"type": "number", "minimum": 0, "exclusiveMinimum": True, "example": 12.5},
            "unit": {"type": "string", "enum": ["kg"], "default": "kg"},
            "dish": text(100), "note": text(500),
            "client_id": text(64, "A retry with the same client_id stores nothing new (200)."),
        },
    },
    "WasteEntry": {
        "type": "object",
        "properties": {
            "id": {"type": "integer"}, "canteen": {"type": "string"},
            "date": {"type": "string", "format": "date"},
            "meal": {"type": "string"}, "stream": {"type": "string"},
            "dish": {"type": "string", "nullable": True},
            "weight_g": {"type": "integer"}, "weight_kg": {"type": "number"}, "note": {"type": "string"},
            "source": {"type": "string", "enum": ["web", "api", "import"]},
            "client_id": {"type": "string", "nullable": True}, "voided": {"type": "boolean"},
            "revision": {"type": "integer"}, "created_by": {"type": "string"},
            "created_at": {"type": "string", "format": "date-time"},
        },
    },
    "WasteEntryList": {"type": "object", "properties": {
        "entries": {"type": "array", "items": {"$ref": "#/components/schemas/WasteEntry"}}}},
    "DinerCountInput": {
        "type": "object", "required": ["canteen", "date", "meal", "count"],
        "properties": {"canteen": CODE, "date": DAY, "meal": CODE,
                       "count": {"type": "integer", "minimum": 0, "maximum": MAX_DINERS},
                       "reason": text(500, "Why a stored count changes.")},
    },
    "DinerCount": {"type": "object", "properties": {
        "canteen": {"type": "string"}, "date": {"type": "string", "format": "date"},
        "meal": {"type": "string"}, "count": {"type": "integer"}, "revision": {"type": "integer"}}},
    "MonthRef": {"type": "object", "nullable": True, "properties": {
        "month": {"type": "string"}, "total_kg": {"type": "number"}, "missing_slots": {"type": "integer"}}},
    "LedgerDay": {"type": "object", "properties": {
        "date": {"type": "string", "format": "date"},
        "total_kg": {"type": "number", "nullable": True,
                     "description": "null when no food waste was weighed"},
        "plate_kg": {"type": "number", "nullable": True}, "diners": {"type": "integer"},
        "missing_meals": {"type": "array", "items": {"type": "string"}}}},
    "Ledger": {
        "type": "object",
        "properties": {
            "canteen": {"type": "string"}, "month": {"type": "string", "example": "2021-08"},
            "total_kg": {"type": "number", "description": "Food-waste streams only (grease excluded)."},
            "other_kg": {"type": "number"},
            "by_stream": {"type": "object", "additionalProperties": {"type": "number"}},
            "by_meal": {"type": "object", "additionalProperties": {"type": "number"}},
            "by_dish": {"type": "object", "additionalProperties": {"type": "number"}},
            "days": {"type": "array", "items": {"$ref": "#/components/schemas/LedgerDay"}},
            "diner_meals": {"type": "integer"},
            "plate_g_per_diner_meal": {"type": "number", "nullable": True},
            "complete": {"type": "boolean"},
            "previous_month": {"$ref": "#/components/schemas/MonthRef"},
            "mom_change_kg": {"type": "number", "nullable": True,
                              "description": "null when the previous month has no entries"},
            "mom_change_pct": {"type": "number", "nullable": True},
            "same_month_last_year": {"$ref": "#/components/schemas/MonthRef"},
            "yoy_change_kg": {"type": "number", "nullable": True},
            "yoy_change_pct": {"type": "number", "nullable": True},
            "missing": {"type": "array", "items": {"type": "object", "properties": {
                "date": {"type": "string", "format": "date"}, "meal": {"type": "string"}}}},
            "disposals_kg": {"type": "object", "additionalProperties": {"type": "number"}},
        },
    },
}

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_CANTEEN_AND_MONTH = {"canteen": param("canteen code", CODE, required=True),
                      "month": param("YYYY-MM", MONTH, required=True)}


def schemas(settings: Any) -> dict[str, dict[str, Any]]:
    """SCHEMAS with the configured units and the largest weight one entry may hold (in grams, the unit
    with the largest number; each unit's own limit is ``ledger.max_entry_kg``)."""
    result = copy.deepcopy(SCHEMAS)
    properties = result["WasteEntryInput"]["properties"]
    properties["unit"]["enum"] = [unit.code for unit in settings.units]
    smallest = min(unit.grams for unit in settings.units)
    properties["weight"]["maximum"] = settings.ledger.max_entry_kg * 1000 / smallest
    properties["weight"]["description"] = (f"at most {settings.ledger.max_entry_kg:g} kg in the unit given")
    return result


def _settings() -> Any:
    return current_app.config["SETTINGS"]


@bp.post("/waste-entries")
@document("post", "/waste-entries", "Record a waste weighing", body="WasteEntryInput",
          responses={201: "WasteEntry", 200: "WasteEntry"}, tag="ledger")
def create_waste_entry() -> Any:
    """Store one weighing; a repeated client_id answers 200 with the first entry."""
    data = json_body()
    result = record_entry(db.session, _settings(), api_user(), data, source="api")
    db.session.commit()
    # 200 rather than 201 tells a retrying scale that nothing new was stored.
    return jsonify(entry_as_dict(result.entry)), 201 if result.created else 200


@bp.get("/waste-entries")
@document("get", "/waste-entries", "List waste entries of a canteen between two dates",
          query={"canteen": param("canteen code", CODE, required=True),
                 "from": param("first date", DAY, required=True),
                 "to": param("last date (not before 'from')", DAY, required=True)},
          responses={200: "WasteEntryList"}, tag="ledger")
def get_waste_entries() -> Any:
    """Entries of a canteen in a date range (at most 5000)."""
    require_api("ledger.view")
    errors = FieldErrors()
    start = parse_day(request.args.get("from"), errors, "from")
    end = parse_day(request.args.get("to"), errors, "to")
    if not request.args.get("canteen"):
        errors["canteen"] = _("required")
    # Only when both dates parsed; a bad one already has its own error.
    if start and end and end < start:
        errors["to"] = _("before 'from'")
    errors.raise_if_any()
    # parse_day records an error for every date it returns None for, so both are set past raise_if_any.
    assert start is not None and end is not None
    entries = list_entries(db.session, api_user(), request.args["canteen"], start, end)
    return jsonify({"entries": [entry_as_dict(entry) for entry in entries]})


@bp.put("/diner-counts")
@document("put", "/diner-counts", "Set a meal's diner count (a change is kept as a revision)",
          body="DinerCountInput", responses={200: "DinerCount", 201: "DinerCount"}, tag="ledger")
def put_diner_count() -> Any:
    """Create or change a diner count."""
    data = json_body()
    result = set_diner_count(db.session, _settings(), api_user(), canteen=data.get("canteen"),
                             day=data.get("date"), meal=data.get("meal"), count=data.get("count"),
                             reason=data.get("reason"), source="api")
    db.session.commit()
    return jsonify(diner_count_as_dict(result.diner_count, data["canteen"])), 201 if result.created else 200


def _ledger_from_query() -> Any:
    require_api("ledger.view")
    canteen, month = canteen_and_month_args()
    return month_ledger(db.session, _settings(), canteen, month)


@bp.get("/ledger")
@document("get", "/ledger", "The monthly ledger of a canteen with MoM and YoY changes",
          query=_CANTEEN_AND_MONTH, responses={200: "Ledger"}, tag="ledger")
def get_ledger() -> Any:
    """Totals by stream, meal and day, per-diner plate waste, comparisons and missing slots."""
    return jsonify(ledger_as_dict(_ledger_from_query()))


@bp.get("/ledger.xlsx")
@document("get", "/ledger.xlsx", "The printable monthly ledger (台账) as an Excel workbook",
          query=_CANTEEN_AND_MONTH, responses={200: "xlsx"}, tag="ledger")
def get_ledger_xlsx() -> Any:
    """The signed-paper ledger as .xlsx."""
    ledger = _ledger_from_query()
    content = ledger_workbook_bytes(ledger, _settings(),
                                    signoff=month_signoff(db.session, ledger.canteen, ledger.month))
    name = f"ledger-{ledger.canteen.code}-{ledger.month:%Y-%m}.xlsx"
    return send_file(BytesIO(content), mimetype=XLSX, as_attachment=True, download_name=name)
