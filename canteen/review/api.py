"""Review endpoints of the JSON API: list camera events, decide on one, correct a decision."""
from __future__ import annotations

from typing import Any

from flask import current_app, jsonify, request
from sqlalchemy import select
from sqlalchemy.orm import Session

from canteen.api.base import api_blueprint, api_user, json_body, require_api
from canteen.api.openapi import document
from canteen.camera_events.models import CameraEvent
from canteen.camera_events.services import event_as_dict
from canteen.core.errors import FieldErrors
from canteen.extensions import db
from canteen.offences.escalations import escalation_as_dict
from canteen.offences.models import Escalation
from canteen.review.services import (correct_review, current_offence, list_events, parse_filter,
                                     review_as_dict, review_event, reviews_of)

bp = api_blueprint("review_api", __name__)
# This feature's component schemas, added to the OpenAPI document by its init_app.
SCHEMAS: dict[str, dict[str, Any]] = {}

SCHEMAS["Review"] = {"type": "object", "properties": {
    "number": {"type": "integer", "description": "1 for the first decision, higher for corrections"},
    "decision": {"type": "string", "enum": ["confirmed", "dismissed", "unidentified"]},
    "card_no": {"type": "string", "nullable": True}, "note": {"type": "string"},
    "reason": {"type": "string", "nullable": True}, "by": {"type": "string"},
    "at": {"type": "string", "format": "date-time"}}}
SCHEMAS["ReviewedEvent"] = {"type": "object", "properties": {
    "event": {"$ref": "#/components/schemas/CameraEvent"},
    "reviews": {"type": "array", "items": {"$ref": "#/components/schemas/Review"}},
    "escalation": {"type": "object", "nullable": True,
                   "description": "the ladder step the event's offence currently triggers"}}}
SCHEMAS["ReviewedEventList"] = {"type": "object", "properties": {
    "events": {"type": "array", "items": {"$ref": "#/components/schemas/ReviewedEvent"}}}}
SCHEMAS["ReviewInput"] = {"type": "object", "required": ["decision"], "properties": {
    "decision": {"type": "string", "enum": ["confirmed", "dismissed", "unidentified"]},
    "card_no": {"type": "string", "description": "required for 'confirmed', refused otherwise"},
    "note": {"type": "string", "maxLength": 500}}}
SCHEMAS["CorrectionInput"] = {"type": "object", "required": ["decision", "reason"], "properties": {
    "decision": {"type": "string", "enum": ["confirmed", "dismissed", "unidentified"]},
    "card_no": {"type": "string"}, "note": {"type": "string", "maxLength": 500},
    "reason": {"type": "string", "maxLength": 500, "description": "why the decision changes"}}}


def reviewed_event_as_dict(session: Session, event: CameraEvent) -> dict[str, Any]:
    """An event with its decisions and the step its offence triggered."""
    offence = current_offence(session, event)
    escalation = None
    if offence is not None:
        # The newest step: earlier ones of this offence were ended by recounts.
        escalation = session.scalar(select(Escalation).where(Escalation.offence_id == offence.id)
                                    .order_by(Escalation.id.desc()).limit(1))
    return {"event": event_as_dict(event),
            "reviews": [review_as_dict(review) for review in reviews_of(session, event)],
            "escalation": escalation_as_dict(escalation) if escalation else None}


@bp.get("/camera-events")
@document("get", "/camera-events", "List camera events in your canteens: lasting changes first, then by "
          "confidence, then newest (no evidence files)",
          query={"status": "pending (default), confirmed, dismissed or unidentified",
                 "canteen": "canteen code", "camera": "camera id", "day": "local date YYYY-MM-DD",
                 "change": "all (default), changed (a lasting change in the bin) or unchanged"},
          responses={200: "ReviewedEventList"}, tag="review")
def list_camera_events() -> Any:
    """Up to 200 events matching the filter."""
    require_api("camera.view")
    errors = FieldErrors()
    wanted = parse_filter(request.args, errors)
    errors.raise_if_any()
    # Evidence files are never part of the API: only the review pages serve them, behind a login.
    events = list_events(db.session, current_app.config["SETTINGS"], api_user(), wanted)
    return jsonify({"events": [reviewed_event_as_dict(db.session, event) for event in events]})


@bp.post("/camera-events/<id>/review")
@document("post", "/camera-events/{id}/review",
          "Decide on a pending event: confirmed (with card_no), dismissed or unidentified",
          body="ReviewInput",
          responses={201: "ReviewedEvent"}, tag="review")
def review_camera_event(id: str) -> Any:  # noqa: A002  (the path parameter is documented as {id})
    """Store the first decision; reviewing an event twice answers 409."""
    review = review_event(db.session, current_app.config["SETTINGS"], api_user(), id, json_body())
    db.session.commit()
    return jsonify(reviewed_event_as_dict(db.session, review.event)), 201


@bp.post("/camera-events/<id>/corrections")
@document("post", "/camera-events/{id}/corrections", "Correct a decision (a new revision with a reason)",
          body="CorrectionInput", responses={201: "ReviewedEvent"}, tag="review")
def correct_camera_event(id: str) -> Any:  # noqa: A002
    """Store a correction; the ladder is recounted."""
    review = correct_review(db.session, current_app.config["SETTINGS"], api_user(), id, json_body())
    db.session.commit()
    return jsonify(reviewed_event_as_dict(db.session, review.event)), 201
