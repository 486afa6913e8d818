"""Camera endpoints of the JSON API: event upload (multipart) and heartbeats."""
from __future__ import annotations

from typing import Any

from flask import current_app, jsonify, request
from werkzeug.exceptions import RequestEntityTooLarge

from canteen.api.base import api_blueprint, api_user, json_body
from canteen.api.openapi import document
from canteen.camera_events.models import MEDIA_KINDS
from canteen.camera_events.services import event_as_dict, publish_files, receive_event, record_heartbeat
from canteen.camera_events.storage import media_root
from canteen.extensions import db

bp = api_blueprint("camera_events_api", __name__)
# This feature's component schemas, added to the OpenAPI document by its init_app.
SCHEMAS: dict[str, dict[str, Any]] = {}

# Evidence of one event: a snapshot, its public copy, two crops and a short clip.
MAX_UPLOAD_BYTES = 40 << 20

SCHEMAS["CameraEvent"] = {"type": "object", "properties": {
    "id": {"type": "string", "format": "uuid"}, "camera": {"type": "string"}, "canteen": {"type": "string"},
    "started_at": {"type": "string", "format": "date-time"},
    "ended_at": {"type": "string", "format": "date-time"},
    "start_s": {"type": "number"}, "end_s": {"type": "number"}, "peak_activity": {"type": "number"},
    "activity_integral": {"type": "number"}, "scene_changed": {"type": "boolean"},
    "changed_fraction": {"type": "number"}, "confidence": {"type": "number"},
    "public_image": {"type": "boolean",
                     "description": "false: snapshot_public is a placeholder that is never published"},
    "end_reason": {"type": "string"},
    "status": {"type": "string"}, "media": {"type": "array", "items": {"type": "string"}},
    "received_at": {"type": "string", "format": "date-time"}}}
SCHEMAS["CameraHeartbeat"] = {"type": "object", "required": ["camera", "state"], "properties": {
    "camera": {"type": "string"},
    "state": {"type": "string", "enum": ["ok", "connecting", "no_signal", "stalled", "error", "stopped"]},
    "last_frame_at": {"type": "string", "format": "date-time", "nullable": True},
    "detail": {"type": "string"}}}

_MULTIPART = {"type": "object", "required": ["event", "snapshot", "snapshot_public"], "properties": {
    "event": {"type": "string", "description": (
        "the event as JSON (id is a UUID: a repeat answers 200; public_image true only when snapshot_public "
        "may be published)")},
    **{kind: {"type": "string", "format": "binary"} for kind in MEDIA_KINDS}}}


@bp.post("/camera-events")
@document("post", "/camera-events", "Deliver a camera event with its evidence (idempotent by UUID)",
          multipart=_MULTIPART, responses={201: "CameraEvent", 200: "CameraEvent"}, tag="camera")
def upload_camera_event() -> Any:
    """Store an event and its files; 200 when this UUID is already stored."""
    # Refuse by the declared length before parsing, so no partial temporary file is left behind.
    if request.content_length is not None and request.content_length > MAX_UPLOAD_BYTES:
        raise RequestEntityTooLarge()
    # Enforced while reading too, for a chunked upload that declares no length.
    request.max_content_length = MAX_UPLOAD_BYTES
    files = {}
    # Read and closed at once: Werkzeug spools large parts to temporary files that must not outlive the
    # request.
    for name, storage in request.files.items():
        try:
            files[name] = storage.read()
        finally:
            storage.close()
    root = media_root(current_app.instance_path)
    result = receive_event(db.session, current_app.config["SETTINGS"], api_user(), request.form.get("event"),
                           files, root)
    try:
        db.session.commit()
    except Exception:
        db.session.rollback()
        # Without the row nothing refers to the staged files.
        publish_files(result, root, committed=False)
        raise
    # Only now, with the row committed, do the files appear under the event's folder (one rename): a folder
    # there always has its row, and a row whose commit failed never left one.
    publish_files(result, root, committed=True)
    return jsonify(event_as_dict(result.event)), 201 if result.created else 200


@bp.post("/camera-heartbeats")
@document("post", "/camera-heartbeats", "Report a camera's state and last frame time", body="CameraHeartbeat",
          tag="camera")
def camera_heartbeat() -> Any:
    """Record the newest state of a camera."""
    status = record_heartbeat(db.session, current_app.config["SETTINGS"], api_user(), json_body())
    db.session.commit()
    return jsonify({"camera": status.camera, "state": status.state})
