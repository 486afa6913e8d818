"""Camera status: each configured camera's last frame and state, and whether it has been silent too long."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from canteen.auth.models import User
from canteen.camera_events.models import CameraEvent, CameraStatus
from canteen.config import AppConfig
from canteen.core.permissions import can_access_canteen
from canteen.reference.models import Canteen
from canteen.reference.services import canteen_by_code


@dataclass(frozen=True)
class CameraRow:
    """One camera on the status page."""

    camera: str
    canteen: Canteen | None
    configured: bool
    enabled: bool
    state: str | None
    detail: str
    last_frame_at: datetime | None
    reported_at: datetime | None
    silent_minutes: int | None
    alert: bool
    pending: int


def camera_rows(session: Session, settings: AppConfig, actor: User, now: datetime) -> list[CameraRow]:
    """Configured cameras (and any others that reported) in the actor's scope, alerts first."""
    statuses = {row.camera: row for row in session.scalars(select(CameraStatus))}
    per_camera = (select(CameraEvent.camera, func.count()).where(CameraEvent.status == "pending")
                  .group_by(CameraEvent.camera))
    pending = dict(session.execute(per_camera).all())
    limit = settings.offences.camera_silence_alert_minutes
    rows = []
    seen = set()
    candidates = [(camera.id, canteen_by_code(session, camera.canteen), True, camera.enabled)
                  for camera in settings.cameras]
    configured_ids = {camera.id for camera in settings.cameras}
    # Cameras that still report but are no longer configured are listed too, so a forgotten worker shows.
    candidates += [(name, session.get(Canteen, status.canteen_id), False, True)
                   for name, status in statuses.items() if name not in configured_ids]
    for name, canteen, configured, enabled in candidates:
        # A camera listed twice is shown once; one whose canteen is unknown has no scope to hide it by.
        if name in seen or (canteen is not None and not can_access_canteen(actor, canteen)):
            continue
        seen.add(name)
        status = statuses.get(name)
        # Silence counts from the last frame; a camera that never saw one counts from its last report.
        heard = (status.last_frame_at or status.reported_at) if status else None
        silent = int((now - heard).total_seconds() // 60) if heard else None
        # A configured camera that never reported is an alert too: dumps at its tray return go unrecorded.
        alert = enabled and configured and (silent is None or silent > limit)
        rows.append(CameraRow(name, canteen, configured, enabled, status.state if status else None,
                              status.detail if status else "", status.last_frame_at if status else None,
                              status.reported_at if status else None, silent, alert, pending.get(name, 0)))
    # Alerts first, so a silent camera is the first thing on the page.
    rows.sort(key=lambda row: (not row.alert, row.camera))
    return rows
