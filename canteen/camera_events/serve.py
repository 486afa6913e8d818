"""Serving an evidence file to a logged-in person, with a line in the evidence access log.

Used by the review pages and the ladder pages alike; each checks first that the person may see the event.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import abort, current_app, request
from sqlalchemy.orm import Session

from canteen.auth.models import User
from canteen.camera_events.access import log_evidence_access
from canteen.camera_events.models import MEDIA_KINDS, CameraEvent
from canteen.camera_events.storage import file_name, media_root

MIME = {"jpeg": "image/jpeg", "webm": "video/webm"}


def available_kinds(event: CameraEvent) -> list[str]:
    """The evidence files of an event that can be shown now."""
    # After retention the row still lists the kinds; the deletion time says the files are gone.
    if event.media_deleted_at is not None:
        return []
    # A public copy the worker marked unusable is a black placeholder: it shows nothing and is never served.
    return [kind for kind in event.media if kind != "snapshot_public" or event.public_image]


def serve_evidence(session: Session, actor: User, event: CameraEvent, kind: str, purpose: str) -> Any:
    """The file as a response, logged (and committed) before it is sent; 404 when it is not there."""
    if kind not in MEDIA_KINDS or kind not in available_kinds(event):
        abort(404)
    path = Path(media_root(current_app.instance_path)) / event.media_dir / file_name(kind)
    if not path.is_file():
        abort(404)
    # Committed before the file is sent: an access that left no trace must not happen.
    log_evidence_access(session, actor, event, kind, purpose)
    session.commit()
    mimetype = MIME["webm" if kind == "clip" else "jpeg"]
    # Read whole (a clip is at most 24 MB): a player that drops a range request leaves no open file behind.
    content = path.read_bytes()
    response = current_app.response_class(content, mimetype=mimetype)
    response.make_conditional(request, accept_ranges=True, complete_length=len(content))
    response.headers["Cache-Control"] = "private, no-store"
    # Served only as the declared image or video type, never sniffed into something a browser would run.
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
