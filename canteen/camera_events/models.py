"""Camera events delivered by the workers, each camera's last reported state, and the reviewers' decisions.

The decisions (``EventReview``) live here, below both review and offences: the review feature writes them
and the offence ladder points back at them, so offences never needs to import review.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import (Boolean, CheckConstraint, Float, ForeignKey, Index, Integer, String, UniqueConstraint,
                        true)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from canteen.auth.models import User
from canteen.db import Base, UTCDateTime, utcnow
from canteen.diners.models import Diner
from canteen.reference.models import Canteen

EVENT_STATUSES = ("pending", "confirmed", "dismissed", "unidentified")
MEDIA_KINDS = ("snapshot", "snapshot_public", "crop_before", "crop_after", "clip")
DECISIONS = ("confirmed", "dismissed", "unidentified")
# Why someone opened evidence: deciding an event in the review queue, or deciding a ladder step about it.
ACCESS_PURPOSES = ("review", "approval")


class CameraEvent(Base):
    """A suspected dump at the tray return; only a suspicion until a reviewer decides."""

    __tablename__ = "camera_event"
    __table_args__ = (
        # The review queue filters by status, then by canteen or day, newest first.
        Index("ix_camera_event_status_started", "status", "started_at"),
        Index("ix_camera_event_canteen_started", "canteen_id", "started_at"),
        # Triage: the queue lists lasting changes first, then by confidence, then newest.
        Index("ix_camera_event_triage", "status", "scene_changed", "confidence", "started_at"),
        CheckConstraint("status IN ('pending', 'confirmed', 'dismissed', 'unidentified')",
                        name="status_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Chosen by the worker, so a retried upload is recognised as the same event.
    uuid: Mapped[str] = mapped_column(String(36), unique=True)
    camera: Mapped[str] = mapped_column(String(64))
    canteen_id: Mapped[int] = mapped_column(ForeignKey("canteen.id"))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime] = mapped_column(UTCDateTime)
    start_s: Mapped[float] = mapped_column(Float)
    end_s: Mapped[float] = mapped_column(Float)
    peak_activity: Mapped[float] = mapped_column(Float)
    activity_integral: Mapped[float] = mapped_column(Float)
    scene_changed: Mapped[bool] = mapped_column(Boolean)
    changed_fraction: Mapped[float] = mapped_column(Float)
    confidence: Mapped[float] = mapped_column(Float)
    # False when the region never became still: the worker's public image is then a black placeholder that
    # must never be published. Rows stored before the flag existed count as publishable.
    public_image: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    end_reason: Mapped[str] = mapped_column(String(32))
    detector_version: Mapped[str] = mapped_column(String(32), default="")
    status: Mapped[str] = mapped_column(String(16), default="pending")
    # Relative to the media root, so the instance folder can move.
    media_dir: Mapped[str] = mapped_column(String(200))
    media_kinds: Mapped[str] = mapped_column(String(200), default="")
    media_deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    received_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    canteen: Mapped[Canteen] = relationship()

    @property
    def media(self) -> list[str]:
        """The evidence kinds stored for this event."""
        return [kind for kind in self.media_kinds.split(",") if kind]


class CameraStatus(Base):
    """The newest heartbeat of a camera: when it last saw a frame and in what state it is."""

    __tablename__ = "camera_status"

    camera: Mapped[str] = mapped_column(String(64), primary_key=True)
    canteen_id: Mapped[int] = mapped_column(ForeignKey("canteen.id"))
    state: Mapped[str] = mapped_column(String(16))
    detail: Mapped[str] = mapped_column(String(500), default="")
    last_frame_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    reported_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class EventReview(Base):
    """One decision on a camera event; number 1 is the first review, higher numbers are corrections."""

    __tablename__ = "event_review"
    __table_args__ = (
        # Two reviewers deciding at once collide here; the review service turns that into a conflict.
        UniqueConstraint("event_id", "number"),
        CheckConstraint("decision IN ('confirmed', 'dismissed', 'unidentified')", name="decision_known"),
        CheckConstraint("decision = 'confirmed' OR diner_id IS NULL", name="diner_only_if_confirmed"),
        # No author means the system (the auto-close of visits without a lasting change): it only dismisses.
        CheckConstraint("created_by_id IS NOT NULL OR decision = 'dismissed'", name="system_only_dismisses"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("camera_event.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    decision: Mapped[str] = mapped_column(String(16))
    diner_id: Mapped[int | None] = mapped_column(ForeignKey("diner.id"), default=None, index=True)
    note: Mapped[str] = mapped_column(String(500), default="")
    reason: Mapped[str | None] = mapped_column(String(500), default=None)
    # None: decided by the system, not by a person.
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    event: Mapped[CameraEvent] = relationship()
    diner: Mapped[Diner | None] = relationship()
    created_by: Mapped[User | None] = relationship()


class EvidenceAccess(Base):
    """Someone opened an evidence file of an event (raw snapshot, crops, clip, public copy), and why."""

    __tablename__ = "evidence_access"
    __table_args__ = (
        Index("ix_evidence_access_event_at", "event_id", "at"),
        CheckConstraint("purpose IN ('review', 'approval')", name="purpose_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("camera_event.id"))
    kind: Mapped[str] = mapped_column(String(20))
    purpose: Mapped[str] = mapped_column(String(16))
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User] = relationship()
