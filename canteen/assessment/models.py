"""Contractors, sheet versions, monthly assessments, their lines, proposals, revisions and audit trail."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (Boolean, CheckConstraint, Date, Float, ForeignKey, Index, Integer, String, Text,
                        UniqueConstraint)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from canteen.auth.models import User
from canteen.db import Base, UTCDateTime, utcnow
from canteen.reference.models import Canteen

# draft -> submitted -> final (acknowledged, or the window passed) or disputed -> final (answered);
# a submitted or disputed month may go to amending and back to submitted, or to final by the answer.
STATUSES = ("draft", "submitted", "disputed", "amending", "final")
LINE_KINDS = ("deduction", "veto", "bonus")


class Contractor(Base):
    """A catering company hired by tender, with its contract."""

    __tablename__ = "contractor"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    contract_no: Mapped[str] = mapped_column(String(64), unique=True)
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    canteens: Mapped[list["ContractorCanteen"]] = relationship(
        back_populates="contractor", lazy="selectin", cascade="all, delete-orphan",
        order_by="ContractorCanteen.canteen_id")

    @property
    def monthly_fee_fen(self) -> int:
        """The contract's monthly fee over all canteens served, in fen (0.01 yuan)."""
        return sum(link.monthly_fee_fen for link in self.canteens)


class ContractorCanteen(Base):
    """A canteen a contractor serves and the monthly fee for serving it (fen)."""

    __tablename__ = "contractor_canteen"
    __table_args__ = (CheckConstraint("monthly_fee_fen >= 0", name="fee_not_negative"),)

    # The pair is the key: a contract lists each canteen it serves once, with one fee.
    contractor_id: Mapped[int] = mapped_column(ForeignKey("contractor.id", ondelete="CASCADE"),
                                               primary_key=True)
    canteen_id: Mapped[int] = mapped_column(ForeignKey("canteen.id"), primary_key=True)
    monthly_fee_fen: Mapped[int] = mapped_column(Integer, default=0)

    contractor: Mapped[Contractor] = relationship(back_populates="canteens")
    canteen: Mapped[Canteen] = relationship(lazy="joined")


class ContractorUser(Base):
    """Links a contractor-role user to the company it speaks for; without a row it sees nothing."""

    __tablename__ = "contractor_user"

    # The user alone is the key: a user speaks for at most one company.
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True)
    contractor_id: Mapped[int] = mapped_column(ForeignKey("contractor.id", ondelete="CASCADE"), index=True)

    user: Mapped[User] = relationship(lazy="joined")


class SheetVersion(Base):
    """A scoring sheet as it was used, stored once per content hash; assessments point at it forever."""

    __tablename__ = "assessment_sheet_version"

    id: Mapped[int] = mapped_column(primary_key=True)
    # What people cite ("sheet version 2"): consecutive in order of first use, unlike ids.
    number: Mapped[int] = mapped_column(Integer, unique=True)
    content_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # The whole sheet as canonical JSON: a past month is rescored from this, never from config.yaml.
    content: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Assessment(Base):
    """One contractor's month at one canteen: draft, submitted, disputed, amending or final."""

    __tablename__ = "assessment"
    __table_args__ = (
        UniqueConstraint("contractor_id", "canteen_id", "month"),
        CheckConstraint("status IN ('draft', 'submitted', 'disputed', 'amending', 'final')",
                        name="status_known"),
        CheckConstraint("base_fee_fen >= 0", name="fee_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    contractor_id: Mapped[int] = mapped_column(ForeignKey("contractor.id"))
    canteen_id: Mapped[int] = mapped_column(ForeignKey("canteen.id"))
    month: Mapped[date] = mapped_column(Date)
    sheet_version_id: Mapped[int] = mapped_column(ForeignKey("assessment_sheet_version.id"))
    status: Mapped[str] = mapped_column(String(12), default="draft")
    # 0 while the first draft is open; each submission or amendment is a numbered revision.
    revision: Mapped[int] = mapped_column(Integer, default=0)
    # Copied from the contract when the month opens, so a later fee change leaves this month alone.
    base_fee_fen: Mapped[int] = mapped_column(Integer)
    opened_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    # The last local day to respond; a plain date, since the window is counted in the canteen's days.
    respond_by: Mapped[date | None] = mapped_column(Date, default=None)
    # Kept through an amendment: a month amended after a dispute must still be closed by an answer.
    response: Mapped[str | None] = mapped_column(String(12), default=None)
    response_text: Mapped[str | None] = mapped_column(String(2000), default=None)
    responded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), default=None)
    responded_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    answer_text: Mapped[str | None] = mapped_column(String(2000), default=None)
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), default=None)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    finalized_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    # The reason of an amendment in progress; it moves to the revision the amendment closes with.
    pending_reason: Mapped[str | None] = mapped_column(String(1000), default=None)

    contractor: Mapped[Contractor] = relationship(lazy="joined")
    canteen: Mapped[Canteen] = relationship(lazy="joined")
    sheet_version: Mapped[SheetVersion] = relationship(lazy="joined")
    opened_by: Mapped[User] = relationship(foreign_keys=[opened_by_id])
    responded_by: Mapped[User | None] = relationship(foreign_keys=[responded_by_id])
    answered_by: Mapped[User | None] = relationship(foreign_keys=[answered_by_id])
    lines: Mapped[list["AssessmentLine"]] = relationship(back_populates="assessment",
                                                         order_by="AssessmentLine.id", lazy="selectin")
    revisions: Mapped[list["AssessmentRevision"]] = relationship(order_by="AssessmentRevision.number",
                                                                 lazy="selectin")
    decisions: Mapped[list["ProposalDecision"]] = relationship(order_by="ProposalDecision.id",
                                                               lazy="selectin")


class AssessmentLine(Base):
    """A deduction under a rule, a veto or a bonus, with its evidence; withdrawn lines are kept."""

    __tablename__ = "assessment_line"
    __table_args__ = (
        CheckConstraint("kind IN ('deduction', 'veto', 'bonus')", name="kind_known"),
        CheckConstraint("count > 0", name="count_positive"),
        Index("ix_assessment_line_assessment", "assessment_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessment.id"))
    kind: Mapped[str] = mapped_column(String(12))
    code: Mapped[str] = mapped_column(String(32))
    count: Mapped[int] = mapped_column(Integer, default=1)
    # For per-5 % rules: the measured excess over the baseline, from which ``count`` (the steps) follows.
    excess_pct: Mapped[float | None] = mapped_column(Float, default=None)
    # A partial deduction chosen by the assessor instead of count x the rule's points, in 0.01 points.
    points_x100: Mapped[int | None] = mapped_column(Integer, default=None)
    note: Mapped[str] = mapped_column(String(1000), default="")
    spot_check_id: Mapped[int | None] = mapped_column(ForeignKey("spot_check.id"), default=None)
    ledger_day: Mapped[date | None] = mapped_column(Date, default=None)
    photo: Mapped[str | None] = mapped_column(String(200), default=None)
    reference: Mapped[str] = mapped_column(String(300), default="")
    # Set when the line came from a decision on a proposal from data.
    proposal_key: Mapped[str | None] = mapped_column(String(64), default=None)
    # The revisions at which the line came and went, so every revision's lines can be told apart later.
    added_revision: Mapped[int] = mapped_column(Integer, default=0)
    added_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    added_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    withdrawn_revision: Mapped[int | None] = mapped_column(Integer, default=None)
    withdrawn_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), default=None)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    withdraw_reason: Mapped[str | None] = mapped_column(String(500), default=None)

    assessment: Mapped[Assessment] = relationship(back_populates="lines")
    added_by: Mapped[User] = relationship(foreign_keys=[added_by_id], lazy="joined")
    withdrawn_by: Mapped[User | None] = relationship(foreign_keys=[withdrawn_by_id])

    @property
    def active(self) -> bool:
        """False once withdrawn."""
        return self.withdrawn_at is None


class ProposalDecision(Base):
    """The assessor's answer to a proposal from data: accepted as proposed, or overridden with a reason."""

    __tablename__ = "assessment_proposal_decision"
    __table_args__ = (Index("ix_assessment_proposal_decision_assessment", "assessment_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessment.id"))
    key: Mapped[str] = mapped_column(String(64))
    rule_code: Mapped[str] = mapped_column(String(32))
    proposed_count: Mapped[int] = mapped_column(Integer)
    decided_count: Mapped[int] = mapped_column(Integer)
    accepted: Mapped[bool] = mapped_column(Boolean)
    reason: Mapped[str] = mapped_column(String(500), default="")
    # The figures the proposal was computed from (JSON), so the decision stays explainable later.
    detail: Mapped[str] = mapped_column(Text, default="{}")
    line_id: Mapped[int | None] = mapped_column(ForeignKey("assessment_line.id"), default=None)
    # A later decision on the same proposal supersedes this one; the old row stays as history.
    superseded: Mapped[bool] = mapped_column(Boolean, default=False)
    decided_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    decided_by: Mapped[User] = relationship(lazy="joined")


class AssessmentRevision(Base):
    """The score as submitted or amended: number, reason, totals and a JSON snapshot of every line."""

    __tablename__ = "assessment_revision"
    __table_args__ = (UniqueConstraint("assessment_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessment.id"))
    number: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(String(1000), default="")
    # Points in hundredths and fees in fen: integers, exact in every database.
    total_x100: Mapped[int] = mapped_column(Integer)
    grade: Mapped[str] = mapped_column(String(32))
    fee_fen: Mapped[int] = mapped_column(Integer)
    snapshot: Mapped[str] = mapped_column(Text)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    created_by: Mapped[User] = relationship(lazy="joined")
    # Read-only: revisions are added through Assessment.revisions; the chain reads the month it scores.
    assessment: Mapped[Assessment] = relationship(viewonly=True)


class AuditEntry(Base):
    """Who did what when to a contractor, an assessment or a spot check; ``detail`` is JSON of the change."""

    __tablename__ = "assessment_audit"
    __table_args__ = (Index("ix_assessment_audit_subject", "subject", "subject_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # A name and an id rather than foreign keys: one trail serves contractors, assessments, checks and draws.
    subject: Mapped[str] = mapped_column(String(16))
    subject_id: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(32))
    detail: Mapped[str] = mapped_column(Text, default="{}")
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), default=None)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    actor: Mapped[User | None] = relationship(lazy="joined")
