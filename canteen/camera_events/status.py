"""Camera status: each camera's last frame and state, whether it needs attention, and both said in words.

The camera status page (review) and the dashboard (reporting) read the same rows, so a camera that alarms
on one alarms on the other.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from canteen.auth.models import User
from canteen.camera_events.models import CameraEvent, CameraStatus
from canteen.config import AppConfig
from canteen.core.permissions import can_access_canteen
from canteen.reference.models import Canteen
from canteen.reference.services import canteen_by_code

# Why a camera is flagged: never reported at all, no picture since its worker started, no frame for longer
# than the configured minutes, or a worker that has stopped reporting.
ALERT_REASONS = ("never_reported", "no_signal", "no_frame", "silent", "worker_silent")


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
    # Time since the last frame; None when the camera never delivered one.
    silent_for: timedelta | None
    alert_reason: str | None
    pending: int

    @property
    def alert(self) -> bool:
        """True when the camera needs attention."""
        return self.alert_reason is not None

    @property
    def silent_minutes(self) -> int | None:
        """Whole minutes since the last frame; None when there never was one."""
        return int(self.silent_for.total_seconds() // 60) if self.silent_for is not None else None


def _alert_reason(status: CameraStatus | None, limit: timedelta, now: datetime) -> str | None:
    """Why a configured, enabled camera needs attention, or None."""
    if status is None:
        return "never_reported"
    if status.state == "no_signal":
        return "no_signal"
    if status.last_frame_at is None:
        # Still connecting for the first time is normal for a moment; the worker says no_signal once its open
        # and read timeouts have passed, and a worker that stops reporting is caught below.
        if status.state != "connecting":
            return "no_frame"
    elif now - status.last_frame_at > limit:
        return "silent"
    if now - status.reported_at > limit:
        return "worker_silent"
    return None


def camera_rows(session: Session, settings: AppConfig, actor: User, now: datetime) -> list[CameraRow]:
    """Configured cameras (and any others that reported) in the actor's scope, alerts first."""
    statuses = {row.camera: row for row in session.scalars(select(CameraStatus))}
    per_camera = (select(CameraEvent.camera, func.count()).where(CameraEvent.status == "pending")
                  .group_by(CameraEvent.camera))
    pending = dict(session.execute(per_camera).all())
    limit = timedelta(minutes=settings.offences.camera_silence_alert_minutes)
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
        last_frame = status.last_frame_at if status else None
        # Only a configured, enabled camera alarms: dumps at its tray return would go unrecorded.
        reason = _alert_reason(status, limit, now) if enabled and configured else None
        rows.append(CameraRow(name, canteen, configured, enabled, status.state if status else None,
                              status.detail if status else "", last_frame,
                              status.reported_at if status else None,
                              now - last_frame if last_frame else None, reason, pending.get(name, 0)))
    # Alerts first, so a silent camera is the first thing on the page.
    rows.sort(key=lambda row: (not row.alert, row.camera))
    return rows


def camera_alerts(session: Session, settings: AppConfig, actor: User, now: datetime) -> list[CameraRow]:
    """The cameras in the actor's scope that need attention."""
    return [row for row in camera_rows(session, settings, actor, now) if row.alert]


def state_label(state: str | None) -> str:
    """The translated name of a camera state reported by its worker."""
    labels = {"ok": _("working"), "connecting": _("connecting"), "no_signal": _("no signal"),
              "stalled": _("picture frozen"), "error": _("error, reconnecting"), "stopped": _("stopped"),
              None: _("never reported")}
    return labels.get(state, state or "")


def duration_words(span: timedelta) -> str:
    """A duration in words: days and hours, hours and minutes, or minutes."""
    minutes = int(span.total_seconds() // 60)
    if minutes < 1:
        return _("less than a minute")
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        return _("%(days)s d %(hours)s h", days=days, hours=hours)
    if hours:
        return _("%(hours)s h %(minutes)s min", hours=hours, minutes=minutes)
    return _("%(minutes)s min", minutes=minutes)


def last_frame_words(row: CameraRow, zone: tzinfo) -> str:
    """When the last frame arrived, in local time and as a time ago, or 'never'."""
    if row.last_frame_at is None or row.silent_for is None:
        return _("never")
    local = row.last_frame_at.astimezone(zone).strftime("%Y-%m-%d %H:%M")
    return _("%(time)s (%(ago)s ago)", time=local, ago=duration_words(row.silent_for))


def alert_words(row: CameraRow, zone: tzinfo) -> str:
    """Why the camera is flagged, as a sentence; empty when it is not."""
    last = last_frame_words(row, zone)
    if row.alert_reason == "never_reported":
        return _("Its worker has never reported: events at this tray return are not recorded.")
    if row.alert_reason == "no_signal":
        return _("No signal: no picture since the worker started. Last frame: %(last)s.", last=last)
    if row.alert_reason == "no_frame":
        return _("No frame has ever arrived (state: %(state)s).", state=state_label(row.state))
    if row.alert_reason == "silent":
        return _("No frame for too long. Last frame: %(last)s.", last=last)
    if row.alert_reason == "worker_silent":
        return _("Its worker has stopped reporting. Last frame: %(last)s.", last=last)
    return ""
