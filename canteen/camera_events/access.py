"""The evidence access log: who opened which evidence file of an event, when, and for what purpose.

Raw snapshots and clips show people; whoever looks at them (a reviewer deciding the event, an approver
deciding a ladder step) leaves a line here. The review pages and the ladder pages both write through this
module.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from canteen.auth.models import User
from canteen.camera_events.models import ACCESS_PURPOSES, MEDIA_KINDS, CameraEvent, EvidenceAccess
from canteen.db import utcnow

# A page shows the same image again on reload and a video player asks for it in several ranges: one line per
# person, event, file and purpose within this time says enough without flooding the log.
REPEAT_WINDOW = timedelta(minutes=5)
# How many lines an event page lists (the count says how many there are in all).
SHOWN_LINES = 30


@dataclass(frozen=True)
class AccessSummary:
    """The newest lines of an event's access log and how many lines it has in all."""

    lines: list[EvidenceAccess]
    total: int


def log_evidence_access(session: Session, actor: User, event: CameraEvent, kind: str, purpose: str,
                        now: datetime | None = None) -> EvidenceAccess | None:
    """Record that ``actor`` opened an evidence file; None when the same access was logged moments ago."""
    if kind not in MEDIA_KINDS or purpose not in ACCESS_PURPOSES:
        raise ValueError(f"unknown evidence kind or purpose: {kind!r}, {purpose!r}")
    now = now or utcnow()
    recent = session.scalar(select(EvidenceAccess.id).where(
        EvidenceAccess.event_id == event.id, EvidenceAccess.user_id == actor.id, EvidenceAccess.kind == kind,
        EvidenceAccess.purpose == purpose, EvidenceAccess.at > now - REPEAT_WINDOW).limit(1))
    if recent is not None:
        return None
    line = EvidenceAccess(event_id=event.id, kind=kind, purpose=purpose, user_id=actor.id, at=now)
    session.add(line)
    session.flush()
    return line


def access_summary(session: Session, event: CameraEvent, limit: int = SHOWN_LINES) -> AccessSummary:
    """The newest access lines of an event, newest first, and their total."""
    lines = list(session.scalars(select(EvidenceAccess).where(EvidenceAccess.event_id == event.id)
                                 .order_by(EvidenceAccess.at.desc(), EvidenceAccess.id.desc()).limit(limit)))
    total = session.scalar(select(func.count()).select_from(EvidenceAccess)
                           .where(EvidenceAccess.event_id == event.id)) or 0
    return AccessSummary(lines, total)


def access_purpose_label(purpose: str) -> str:
    """Why someone opened evidence, in words."""
    return {"review": _("reviewing the event"), "approval": _("deciding a ladder step")}.get(purpose, purpose)


def evidence_kind_label(kind: str) -> str:
    """An evidence file's name in words."""
    return {"snapshot": _("snapshot"), "snapshot_public": _("public image"), "crop_before": _("bin before"),
            "crop_after": _("bin after"), "clip": _("clip")}.get(kind, kind)
