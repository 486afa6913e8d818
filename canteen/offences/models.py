"""Offences, the ladder steps they trigger (escalations), appeals, and the retention log.

Counts and a diner's step are never stored: they are computed from the standing offences each time.
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from canteen.auth.models import User
from canteen.camera_events.models import CameraEvent
from canteen.db import Base, UTCDateTime, utcnow
from canteen.diners.models import Diner
from canteen.camera_events.models import EventReview

ESCALATION_STATUSES = ("open", "given", "pending_approval", "approved", "rejected", "superseded", "withdrawn",
                       "annulled")
# Statuses a later recount may still replace; the others are settled history.
LIVE_STATUSES = ("open", "pending_approval", "approved")
APPEAL_STATUSES = ("open", "upheld", "annulled")
RETENTION_KINDS = ("dismissed_media", "exposure_expired")


class Offence(Base):
    """A confirmed dump attributed to a diner; it counts while neither withdrawn nor annulled."""

    __tablename__ = "offence"
    __table_args__ = (Index("ix_offence_diner_occurred", "diner_id", "occurred_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("camera_event.id"), index=True)
    diner_id: Mapped[int] = mapped_column(ForeignKey("diner.id"))
    # The event's start, not the review time: the counting window is about when the food was dumped.
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # The confirming decision: the record and the referral letter say who confirmed the dump and when.
    review_id: Mapped[int] = mapped_column(ForeignKey("event_review.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Set when a corrected review no longer names this diner as having dumped food.
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    withdrawn_review_id: Mapped[int | None] = mapped_column(ForeignKey("event_review.id"), default=None)
    # Set when an appeal annuls it.
    annulled_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)

    event: Mapped[CameraEvent] = relationship()
    diner: Mapped[Diner] = relationship()
    review: Mapped[EventReview] = relationship(foreign_keys=[review_id])

    @property
    def standing(self) -> bool:
        """True while the offence counts (within a window)."""
        return self.withdrawn_at is None and self.annulled_at is None


class Escalation(Base):
    """A ladder step an offence triggered: a warning to give, or an exposure or referral to approve."""

    __tablename__ = "escalation"
    __table_args__ = (
        Index("ix_escalation_status_step", "status", "step"),
        CheckConstraint("step IN ('warning', 'exposure', 'referral')", name="step_known"),
        CheckConstraint("status IN ('open', 'given', 'pending_approval', 'approved', 'rejected', "
                        "'superseded', 'withdrawn', 'annulled')", name="status_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    diner_id: Mapped[int] = mapped_column(ForeignKey("diner.id"), index=True)
    offence_id: Mapped[int] = mapped_column(ForeignKey("offence.id"), index=True)
    step: Mapped[str] = mapped_column(String(16))
    # The offence's place in its window when the step started; kept for the record, never used to count.
    ordinal: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), default=None)
    # For a warning: when it was given, which may be earlier than when it was recorded.
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    decision_note: Mapped[str] = mapped_column(String(500), default="")
    # Exposure: on the board from approval until expiry.
    starts_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    # Set when the exposure leaves the board early (recount, correction, appeal) or by expiry; the board never
    # shows a row that has it.
    left_board_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    # Referral: when and how the letter went out.
    letter_sent_on: Mapped[date | None] = mapped_column(Date, default=None)
    letter_sent_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), default=None)
    letter_sent_recorded_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    letter_note: Mapped[str] = mapped_column(String(500), default="")
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    closed_reason: Mapped[str] = mapped_column(String(500), default="")

    diner: Mapped[Diner] = relationship()
    offence: Mapped[Offence] = relationship()
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])
    letter_sent_by: Mapped[User | None] = relationship(foreign_keys=[letter_sent_by_id])
    actions: Mapped[list["EscalationAction"]] = relationship(
        back_populates="escalation", order_by="EscalationAction.id")
    appeals: Mapped[list["Appeal"]] = relationship(back_populates="escalation", order_by="Appeal.id")

    @property
    def open_appeal(self) -> "Appeal | None":
        """The appeal awaiting a decision, which suspends this step."""
        return next((appeal for appeal in self.appeals if appeal.status == "open"), None)


class EscalationAction(Base):
    """An append-only line of an escalation's history: who did what, when and why."""

    __tablename__ = "escalation_action"

    id: Mapped[int] = mapped_column(primary_key=True)
    escalation_id: Mapped[int] = mapped_column(ForeignKey("escalation.id"), index=True)
    action: Mapped[str] = mapped_column(String(24))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), default=None)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    note: Mapped[str] = mapped_column(String(1000), default="")

    escalation: Mapped[Escalation] = relationship(back_populates="actions")
    actor: Mapped[User | None] = relationship()


class Appeal(Base):
    """A diner's appeal against a step, entered by a reviewer; the step is suspended until it is decided."""

    __tablename__ = "appeal"
    __table_args__ = (CheckConstraint("status IN ('open', 'upheld', 'annulled')", name="status_known"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    escalation_id: Mapped[int] = mapped_column(ForeignKey("escalation.id"), index=True)
    statement: Mapped[str] = mapped_column(Text)
    # The day the diner handed the appeal in; a reviewer may enter it days later.
    received_on: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(12), default="open")
    entered_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    entered_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), default=None)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    reason: Mapped[str] = mapped_column(String(1000), default="")

    escalation: Mapped[Escalation] = relationship(back_populates="appeals")
    entered_by: Mapped[User] = relationship(foreign_keys=[entered_by_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])


class RetentionLog(Base):
    """One deletion by the retention job: dismissed evidence removed, or an exposure taken off the board."""

    __tablename__ = "retention_log"
    __table_args__ = (CheckConstraint("kind IN ('dismissed_media', 'exposure_expired')", name="kind_known"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    kind: Mapped[str] = mapped_column(String(20))
    event_id: Mapped[int | None] = mapped_column(ForeignKey("camera_event.id"), default=None)
    escalation_id: Mapped[int | None] = mapped_column(ForeignKey("escalation.id"), default=None)
    detail: Mapped[str] = mapped_column(String(500), default="")
