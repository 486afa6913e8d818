"""A reviewer's decisions on a camera event: the first and every later correction, append-only."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from canteen.auth.models import User
from canteen.camera_events.models import CameraEvent
from canteen.db import Base, UTCDateTime, utcnow
from canteen.diners.models import Diner

DECISIONS = ("confirmed", "dismissed", "unidentified")


class EventReview(Base):
    """One decision on a camera event; number 1 is the first review, higher numbers are corrections."""

    __tablename__ = "event_review"
    __table_args__ = (
        UniqueConstraint("event_id", "number"),
        CheckConstraint("decision IN ('confirmed', 'dismissed', 'unidentified')", name="decision_known"),
        CheckConstraint("decision = 'confirmed' OR diner_id IS NULL", name="diner_only_if_confirmed"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("camera_event.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    decision: Mapped[str] = mapped_column(String(16))
    diner_id: Mapped[int | None] = mapped_column(ForeignKey("diner.id"), default=None, index=True)
    note: Mapped[str] = mapped_column(String(500), default="")
    reason: Mapped[str | None] = mapped_column(String(500), default=None)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    event: Mapped[CameraEvent] = relationship()
    diner: Mapped[Diner | None] = relationship()
    created_by: Mapped[User] = relationship()
