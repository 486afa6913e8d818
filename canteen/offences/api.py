"""Ladder endpoints of the JSON API: a diner's standing, approvals, warnings, letters and appeals."""
from __future__ import annotations

from typing import Any

from flask import current_app, jsonify, request
from flask_babel import gettext as _

from canteen.api.base import api_blueprint, api_user, json_body, require_api
from canteen.api.openapi import document
from canteen.camera_events.services import visible_canteen_ids
from canteen.core.errors import NotFound
from canteen.diners.services import diner_as_dict, diner_by_card
from canteen.extensions import db
from canteen.offences.appeals import appeal_as_dict, decide_appeal, file_appeal
from canteen.offences.escalations import (approve, escalation_as_dict, record_letter_sent, record_warning,
                                          reject)
from canteen.offences.history import diner_record, offence_as_dict, timeline_as_json

bp = api_blueprint("offences_api", __name__)
# This feature's component schemas, added to the OpenAPI document by its init_app.
SCHEMAS: dict[str, dict[str, Any]] = {}

SCHEMAS["Escalation"] = {"type": "object", "properties": {
    "id": {"type": "integer"}, "step": {"type": "string", "enum": ["warning", "exposure", "referral"]},
    "status": {"type": "string", "enum": ["open", "given", "pending_approval", "approved", "rejected",
                                          "superseded", "withdrawn", "annulled"]},
    "ordinal": {"type": "integer",
                "description": "the offence's place in its counting window when the step was started"},
    "card_no": {"type": "string"}, "event": {"type": "string", "format": "uuid"},
    "created_at": {"type": "string", "format": "date-time"},
    "decided_by": {"type": "string", "nullable": True}, "decided_at": {"type": "string", "nullable": True},
    "note": {"type": "string"}, "starts_at": {"type": "string", "nullable": True},
    "expires_at": {"type": "string", "nullable": True},
    "letter_sent_on": {"type": "string", "nullable": True},
    "suspended": {"type": "boolean", "description": "an open appeal suspends the step"},
    "open_appeal": {"type": "integer", "nullable": True},
    "closed_reason": {"type": "string", "nullable": True}}}
SCHEMAS["Offence"] = {"type": "object", "properties": {
    "id": {"type": "integer"}, "event": {"type": "string", "format": "uuid"},
    "occurred_at": {"type": "string", "format": "date-time"}, "date": {"type": "string", "format": "date"},
    "canteen": {"type": "string"}, "camera": {"type": "string"}, "counted": {"type": "boolean"},
    "withdrawn_at": {"type": "string", "nullable": True}, "annulled_at": {"type": "string", "nullable": True},
    "confirmed_by": {"type": "string"}, "confirmed_at": {"type": "string", "format": "date-time"}}}
SCHEMAS["DinerOffences"] = {"type": "object", "properties": {
    "diner": {"$ref": "#/components/schemas/Diner"},
    "step": {"type": "string", "enum": ["none", "warning", "exposure", "referral"],
             "description": "the most severe step in effect for the offences that count now"},
    "count": {"type": "integer",
              "description": "offences counted now (confirmed, not annulled, in the window)"},
    "window": {"type": "object", "properties": {"from": {"type": "string", "format": "date"},
                                                "to": {"type": "string", "format": "date"}}},
    "pending_approval": {"type": "object", "nullable": True, "properties": {
        "id": {"type": "integer"}, "step": {"type": "string"}}},
    "offences": {"type": "array", "items": {"$ref": "#/components/schemas/Offence"},
                 "description": "the counted offences"},
    "history": {"type": "array", "items": {"type": "object"},
                "description": "every decision, step and appeal, oldest first"}}}
SCHEMAS["ApprovalInput"] = {"type": "object", "properties": {
    "note": {"type": "string", "maxLength": 500}}}
SCHEMAS["RejectionInput"] = {"type": "object", "required": ["reason"], "properties": {
    "reason": {"type": "string", "maxLength": 500}}}
SCHEMAS["WarningGivenInput"] = {"type": "object", "properties": {
    "given_at": {"type": "string",
                 "description": "local time YYYY-MM-DDTHH:MM or ISO with zone; default now"},
    "note": {"type": "string", "maxLength": 500}}}
SCHEMAS["LetterSentInput"] = {"type": "object", "required": ["sent_on"], "properties": {
    "sent_on": {"type": "string", "format": "date"}, "note": {"type": "string", "maxLength": 500,
                                                              "description": "how it was sent"}}}
SCHEMAS["AppealInput"] = {"type": "object", "required": ["statement"], "properties": {
    "statement": {"type": "string", "maxLength": 4000, "description": "the diner's grounds"},
    "received_on": {"type": "string", "format": "date", "description": "default today"}}}
SCHEMAS["AppealDecisionInput"] = {"type": "object", "required": ["outcome", "reason"], "properties": {
    "outcome": {"type": "string", "enum": ["upheld", "annulled"],
                "description": "upheld: the step stands and resumes; annulled: the offence no longer counts"},
    "reason": {"type": "string", "maxLength": 1000}}}
SCHEMAS["Appeal"] = {"type": "object", "properties": {
    "id": {"type": "integer"}, "escalation": {"type": "integer"},
    "status": {"type": "string", "enum": ["open", "upheld", "annulled"]}, "statement": {"type": "string"},
    "received_on": {"type": "string", "format": "date"}, "entered_by": {"type": "string"},
    "entered_at": {"type": "string", "format": "date-time"},
    "decided_by": {"type": "string", "nullable": True},
    "decided_at": {"type": "string", "nullable": True}, "reason": {"type": "string", "nullable": True}}}


def _settings() -> Any:
    return current_app.config["SETTINGS"]


def _body_or_empty() -> dict[str, Any]:
    """The JSON body, or nothing at all: these actions need no fields."""
    return json_body() if request.get_data(cache=True) else {}


@bp.get("/diners/<card_no>/offences")
@document("get", "/diners/{card_no}/offences",
          "A diner's place on the ladder, counted offences and history, limited to the caller's canteens",
          responses={200: "DinerOffences"}, tag="offences")
def diner_offences_api(card_no: str) -> Any:
    """Everything recomputed from the standing offences in the window."""
    require_api("offences.view")
    diner = diner_by_card(db.session, card_no)
    if diner is None:
        raise NotFound(_("unknown diner"), {"card_no": _("unknown diner")})
    # Only the part of the record in the caller's canteens: a reviewer of one canteen must not read what
    # happened in another (the diner is known to both, their offences are not).
    record = diner_record(db.session, _settings(), diner,
                          canteen_ids=visible_canteen_ids(db.session, api_user()))
    standing = record.standing
    pending = {"id": standing.pending.id, "step": standing.pending.step} if standing.pending else None
    return jsonify({
        "diner": diner_as_dict(diner), "step": standing.step or "none", "count": standing.count,
        "window": {"from": standing.window_from.isoformat(), "to": standing.window_to.isoformat()},
        "pending_approval": pending,
        # Only the counted ones; withdrawn, annulled and expired offences remain visible in the history.
        "offences": [offence_as_dict(item, _settings()) for item in record.offences if item.counted],
        "history": timeline_as_json(record.timeline)})


# The path parameter is documented as {id}, so the view arguments below keep that name (hence A002).
@bp.post("/escalations/<int:id>/approve")
@document("post", "/escalations/{id}/approve", "Approve an exposure or referral as the second person",
          body="ApprovalInput", responses={200: "Escalation"}, tag="offences")
def approve_escalation_api(id: int) -> Any:  # noqa: A002
    """Four eyes: whoever confirmed the event is refused (403)."""
    escalation = approve(db.session, _settings(), api_user(), id, _body_or_empty().get("note", ""))
    db.session.commit()
    return jsonify(escalation_as_dict(escalation))


@bp.post("/escalations/<int:id>/reject")
@document("post", "/escalations/{id}/reject",
          "Refuse an exposure or referral as the second person, with a reason", body="RejectionInput",
          responses={200: "Escalation"}, tag="offences")
def reject_escalation_api(id: int) -> Any:  # noqa: A002
    """The offence still counts; the step is not taken."""
    data = json_body()
    escalation = reject(db.session, _settings(), api_user(), id, data.get("reason"))
    db.session.commit()
    return jsonify(escalation_as_dict(escalation))


@bp.post("/escalations/<int:id>/warning-given")
@document("post", "/escalations/{id}/warning-given", "Record who gave a verbal warning and when",
          body="WarningGivenInput", responses={200: "Escalation"}, tag="offences")
def warning_given_api(id: int) -> Any:  # noqa: A002
    """The caller is recorded as the person who gave it."""
    data = _body_or_empty()
    escalation = record_warning(db.session, _settings(), api_user(), id, data.get("given_at"),
                                data.get("note", ""))
    db.session.commit()
    return jsonify(escalation_as_dict(escalation))


@bp.post("/escalations/<int:id>/letter-sent")
@document("post", "/escalations/{id}/letter-sent", "Record when the referral letter was sent",
          body="LetterSentInput", responses={200: "Escalation"}, tag="offences")
def letter_sent_api(id: int) -> Any:  # noqa: A002
    """Only for an approved referral, once."""
    data = json_body()
    escalation = record_letter_sent(db.session, _settings(), api_user(), id, data.get("sent_on"),
                                    data.get("note", ""))
    db.session.commit()
    return jsonify(escalation_as_dict(escalation))


@bp.post("/escalations/<int:id>/appeals")
@document("post", "/escalations/{id}/appeals", "Enter a diner's appeal; the step is suspended until decided",
          body="AppealInput", responses={201: "Appeal"}, tag="offences")
def file_appeal_api(id: int) -> Any:  # noqa: A002
    """Entered by a reviewer on the diner's behalf."""
    data = json_body()
    appeal = file_appeal(db.session, _settings(), api_user(), id, data.get("statement"),
                         data.get("received_on"))
    db.session.commit()
    return jsonify(appeal_as_dict(appeal)), 201


@bp.post("/appeals/<int:id>/decision")
@document("post", "/appeals/{id}/decision",
          "Decide an appeal: uphold the step or annul the offence, with a reason", body="AppealDecisionInput",
          responses={200: "Appeal"}, tag="offences")
def decide_appeal_api(id: int) -> Any:  # noqa: A002
    """Annulled offences stop counting and the diner's ladder is recounted."""
    data = json_body()
    appeal = decide_appeal(db.session, _settings(), api_user(), id, data.get("outcome"), data.get("reason"))
    db.session.commit()
    return jsonify(appeal_as_dict(appeal))
