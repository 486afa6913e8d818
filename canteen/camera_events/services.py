"""Receiving camera events and heartbeats: validated, idempotent by UUID, nothing half-written."""
from __future__ import annotations

import json
import logging
import math
import uuid as uuid_module
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from canteen.auth.models import User
from canteen.camera_events.models import MEDIA_KINDS, CameraEvent, CameraStatus
from canteen.camera_events.storage import KIND_LIMIT_BYTES, discard, looks_like, publish, stage
from canteen.config import AppConfig
from canteen.core.errors import Conflict, FieldErrors, Forbidden, InvalidInput
from canteen.core.permissions import can_access_canteen, has_permission
from canteen.db import stored_unless_duplicate, utcnow
from canteen.reference.models import Canteen
from canteen.reference.services import canteen_by_code

log = logging.getLogger(__name__)

# The reviewer needs the snapshot and the public board its public copy; crops and clip are optional.
REQUIRED_MEDIA = ("snapshot", "snapshot_public")
END_REASONS = ("quiet", "scene_changed", "max_duration", "source_ended", "shutdown")
# no_signal: the camera has not delivered one frame since its worker started.
HEARTBEAT_STATES = ("ok", "connecting", "no_signal", "stalled", "error", "stopped")


@dataclass(frozen=True)
class ReceiveResult:
    """The stored event, whether this upload created it (False: a repeated UUID) and its staged files."""

    event: CameraEvent
    created: bool
    staging: Path | None = None


def _parse_time(value: Any, field: str, errors: FieldErrors) -> datetime | None:
    if not isinstance(value, str):
        errors[field] = _("expected an ISO-8601 time")
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        errors[field] = _("expected an ISO-8601 time")
        return None
    # A time without a zone is ambiguous: the worker and the server need not share a time zone.
    if parsed.tzinfo is None:
        errors[field] = _("the time must carry a zone (UTC 'Z')")
        return None
    return parsed.astimezone(timezone.utc)


def _number(data: dict[str, Any], field: str, errors: FieldErrors, low: float = 0.0,
            high: float = math.inf) -> float:
    value = data.get(field)
    # bool is an int in Python, and NaN or infinity would pass no range check: all three are refused.
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        errors[field] = _("expected a number")
        return 0.0
    if value < low or value > high:
        errors[field] = _("must be between %(low)s and %(high)s", low=low, high=high)
    return float(value)


def _camera_canteen(session: Session, settings: AppConfig, actor: User, camera_id: Any,
                    errors: FieldErrors) -> Canteen | None:
    camera = next((item for item in settings.cameras if item.id == camera_id), None)
    if camera is None:
        errors["camera"] = _("unknown camera")
        return None
    canteen = canteen_by_code(session, camera.canteen)
    if canteen is None:
        errors["camera"] = _("the camera's canteen is not configured")
        return None
    if not can_access_canteen(actor, canteen):
        raise Forbidden(_("this camera's canteen is outside your scope"), {"camera": _("outside your scope")})
    return canteen


def parse_event(session: Session, settings: AppConfig, actor: User, raw: Any) -> dict[str, Any]:
    """Validate the event JSON of an upload; InvalidInput names each bad field."""
    errors = FieldErrors()
    try:
        data = json.loads(raw) if isinstance(raw, (str, bytes)) else None
    except ValueError:
        data = None
    if not isinstance(data, dict):
        raise InvalidInput(_("the event is not a JSON object"), {"event": _("expected a JSON object")})
    try:
        # Normalised, so the same UUID spelled in capitals or without hyphens is still a repeat.
        event_uuid = str(uuid_module.UUID(str(data.get("id", ""))))
    except ValueError:
        errors["id"] = _("expected a UUID")
        event_uuid = ""
    canteen = _camera_canteen(session, settings, actor, data.get("camera"), errors)
    # The canteen comes from the camera's configuration; a different one in the event is an error, not an
    # override.
    if canteen is not None and data.get("canteen") not in (None, canteen.code):
        errors["canteen"] = _("does not match the camera's canteen")
    started = _parse_time(data.get("started_at"), "started_at", errors)
    ended = _parse_time(data.get("ended_at"), "ended_at", errors)
    if started and ended and ended < started:
        errors["ended_at"] = _("before started_at")
    values = {field: _number(data, field, errors)
              for field in ("start_s", "end_s", "peak_activity", "activity_integral")}
    for field in ("changed_fraction", "confidence"):
        values[field] = _number(data, field, errors, 0.0, 1.0)
    if not isinstance(data.get("scene_changed"), bool):
        errors["scene_changed"] = _("expected true or false")
    # Workers older than the flag sent the raw frame as the public copy: an event that does not say its
    # public image shows nobody is treated as having none.
    public_image = data.get("public_image", False)
    if not isinstance(public_image, bool):
        errors["public_image"] = _("expected true or false")
    if data.get("end_reason") not in END_REASONS:
        errors["end_reason"] = _("one of %(values)s", values=", ".join(END_REASONS))
    version = data.get("detector_version", "")
    if not isinstance(version, str) or len(version) > 32:
        errors["detector_version"] = _("at most 32 characters")
    errors.raise_if_any(_("the event was not stored"))
    return {"uuid": event_uuid, "camera": data["camera"], "canteen": canteen, "started_at": started,
            "ended_at": ended, "scene_changed": data["scene_changed"], "public_image": public_image,
            "end_reason": data["end_reason"],
            "detector_version": version, **values}


def _check_files(files: dict[str, bytes]) -> None:
    """Every evidence file is of a known kind, present when required, within its size and of its format."""
    errors = FieldErrors()
    for kind in files:
        if kind not in MEDIA_KINDS:
            errors[kind] = _("unknown file field")
    for kind in REQUIRED_MEDIA:
        if kind not in files:
            errors[kind] = _("required")
    for kind, content in files.items():
        if kind not in MEDIA_KINDS:
            continue
        if not content:
            errors[kind] = _("empty file")
        elif len(content) > KIND_LIMIT_BYTES[kind]:
            errors[kind] = _("larger than %(mb)s MB", mb=KIND_LIMIT_BYTES[kind] >> 20)
        elif not looks_like(kind, content[:8]):
            errors[kind] = _("not a %(format)s file", format="WebM" if kind == "clip" else "JPEG")
    errors.raise_if_any(_("the event was not stored"))


# The event's own fields, compared when its UUID arrives again (the canteen follows from the camera).
REPEATED_FIELDS = ("camera", "started_at", "ended_at", "start_s", "end_s", "peak_activity",
                   "activity_integral", "scene_changed", "changed_fraction", "confidence", "end_reason",
                   "detector_version", "public_image")


def _same_as_stored(existing: CameraEvent, fields: dict[str, Any], files: dict[str, bytes]) -> CameraEvent:
    """The stored event when the upload repeats it; Conflict naming each field it differs in otherwise."""
    # A retry carries exactly what the original carried. The same UUID with other values is a worker bug or
    # a collision; answering 200 would make the worker drop an event that was never stored.
    differing = [field for field in REPEATED_FIELDS if getattr(existing, field) != fields[field]]
    sent_kinds = {kind for kind in files if kind in MEDIA_KINDS}
    differing += sorted(sent_kinds.symmetric_difference(existing.media))
    if differing:
        raise Conflict(_("this event id was already used for a different event"),
                       {field: _("differs from the event first stored with this id") for field in differing})
    return existing


def _stored_event(session: Session, event_uuid: str) -> CameraEvent | None:
    return session.scalar(select(CameraEvent).where(CameraEvent.uuid == event_uuid))


def receive_event(session: Session, settings: AppConfig, actor: User, raw_event: Any,
                  files: dict[str, bytes], media_root: Path) -> ReceiveResult:
    """Store an uploaded event, files staged; a repeated UUID returns the stored event (409 if it differs).

    The files of a new event wait in a staging folder of their own (``ReceiveResult.staging``); the entry
    point publishes them with ``publish_files`` once the row is committed, or discards them.
    """
    if not has_permission(actor, "camera.upload"):
        raise Forbidden(_("your role may not upload camera events"))
    fields = parse_event(session, settings, actor, raw_event)
    # A repeat is answered before its files are checked: a worker retrying after a lost response gets its 200.
    existing = _stored_event(session, fields["uuid"])
    if existing is not None:
        return ReceiveResult(_same_as_stored(existing, fields, files), False)
    _check_files(files)
    started: datetime = fields["started_at"]
    # One folder per event under its month, named by the UUID.
    relative_dir = f"{started:%Y/%m}/{fields['uuid']}"
    event = CameraEvent(
        uuid=fields["uuid"], camera=fields["camera"], canteen_id=fields["canteen"].id, started_at=started,
        ended_at=fields["ended_at"], start_s=fields["start_s"], end_s=fields["end_s"],
        peak_activity=fields["peak_activity"], activity_integral=fields["activity_integral"],
        scene_changed=fields["scene_changed"], changed_fraction=fields["changed_fraction"],
        confidence=fields["confidence"], public_image=fields["public_image"],
        end_reason=fields["end_reason"],
        detector_version=fields["detector_version"], media_dir=relative_dir,
        media_kinds=",".join(kind for kind in MEDIA_KINDS if kind in files), received_by_id=actor.id)
    staging = stage(media_root, fields["uuid"], files)
    try:
        stored = stored_unless_duplicate(session, lambda: session.add(event))
    except BaseException:
        discard(staging)
        raise
    if stored:
        return ReceiveResult(event, True, staging)
    # The same UUID arrived concurrently and its transaction committed first: its files are the ones kept.
    discard(staging)
    existing = _stored_event(session, fields["uuid"])
    if existing is None:
        raise RuntimeError(f"camera event {fields['uuid']} was refused as a duplicate but is not stored")
    return ReceiveResult(_same_as_stored(existing, fields, files), False)


def publish_files(result: ReceiveResult, media_root: Path, committed: bool) -> None:
    """After the entry point's commit: move a new event's staged files into place, or discard them."""
    if result.staging is None:
        return
    if not committed:
        discard(result.staging)
        return
    try:
        publish(media_root, result.staging, result.event.media_dir)
    except OSError:
        # The row is committed and the files are safe in their staging folder; the reconciliation
        # (``canteen reconcile-evidence``, the nightly retention job, start-up) moves them into place.
        log.exception("evidence of event %s stays staged in %s", result.event.uuid, result.staging)


def record_heartbeat(session: Session, settings: AppConfig, actor: User,
                     data: dict[str, Any]) -> CameraStatus:
    """Record a camera's newest state and last frame time."""
    if not has_permission(actor, "camera.upload"):
        raise Forbidden(_("your role may not report camera state"))
    errors = FieldErrors()
    canteen = _camera_canteen(session, settings, actor, data.get("camera"), errors)
    if data.get("state") not in HEARTBEAT_STATES:
        errors["state"] = _("one of %(values)s", values=", ".join(HEARTBEAT_STATES))
    last_frame = None
    if data.get("last_frame_at") is not None:
        last_frame = _parse_time(data.get("last_frame_at"), "last_frame_at", errors)
    detail = data.get("detail") or ""
    if not isinstance(detail, str):
        errors["detail"] = _("must be text")
    errors.raise_if_any(_("the heartbeat was not stored"))
    assert canteen is not None  # an unknown camera or canteen was an error, raised above
    status = session.get(CameraStatus, data["camera"]) or CameraStatus(camera=data["camera"])
    status.canteen_id, status.state, status.detail = canteen.id, data["state"], detail[:500]
    # A heartbeat without a frame time (still connecting) keeps the last frame known.
    if last_frame is not None:
        status.last_frame_at = last_frame
    # Server time, not the worker's: the silence alert must not depend on a camera's clock.
    status.reported_at = utcnow()
    session.add(status)
    session.flush()
    return status


def event_as_dict(event: CameraEvent) -> dict[str, Any]:
    """The JSON shape of a camera event."""
    iso = lambda value: value.isoformat().replace("+00:00", "Z")  # noqa: E731
    return {"id": event.uuid, "camera": event.camera, "canteen": event.canteen.code,
            "started_at": iso(event.started_at), "ended_at": iso(event.ended_at), "start_s": event.start_s,
            "end_s": event.end_s, "peak_activity": event.peak_activity,
            "activity_integral": event.activity_integral, "scene_changed": event.scene_changed,
            "changed_fraction": event.changed_fraction, "confidence": event.confidence,
            "public_image": event.public_image, "end_reason": event.end_reason, "status": event.status,
            "media": event.media,
            "received_at": iso(event.received_at)}


def visible_canteen_ids(session: Session, actor: User) -> list[int]:
    """Ids of the canteens whose events the actor may see."""
    return [canteen.id for canteen in session.scalars(select(Canteen)) if can_access_canteen(actor, canteen)]
