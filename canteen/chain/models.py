"""The chain links: one per chained record, numbered within its stream, each hashing its predecessor."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (Boolean, CheckConstraint, Date, ForeignKey, Index, Integer, String, Text,
                        UniqueConstraint)
from sqlalchemy.orm import Mapped, mapped_column

from canteen.db import Base, UTCDateTime, utcnow

# What a link may stand for; the feature owning each kind describes its content (see ChainedKind).
LINK_KINDS = ("waste_revision", "diner_revision", "month_prepared", "month_closed", "month_reopened",
              "assessment_revision", "escalation_action")
GENESIS = "0" * 64


class ChainLink(Base):
    """A record's place in its stream: ``seq``, the hash of the link before it, and its own hash."""

    __tablename__ = "chain_link"
    __table_args__ = (
        # Fork-proof: two writers that both read the same head cannot both append after it; the loser's
        # insert fails and its whole transaction is rolled back.
        UniqueConstraint("stream", "seq"),
        # A record is chained once, so a re-run of the sealing command cannot add it twice.
        UniqueConstraint("kind", "record_id"),
        # The audit page lists a canteen's months, newest first.
        Index("ix_chain_link_canteen_month", "canteen_id", "month"),
        Index("ix_chain_link_at", "at"),
        CheckConstraint("seq > 0", name="seq_positive"),
        CheckConstraint("kind IN ('waste_revision', 'diner_revision', 'month_prepared', 'month_closed', "
                        "'month_reopened', 'assessment_revision', 'escalation_action')", name="kind_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # e.g. "ledger:1:2021-07", "assessment:5", "escalation:9"; never shown to a person.
    stream: Mapped[str] = mapped_column(String(64))
    seq: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(24))
    record_id: Mapped[int] = mapped_column(Integer)
    # Who, when, which canteen and month: hashed with the content, and what the audit page filters on.
    canteen_id: Mapped[int | None] = mapped_column(ForeignKey("canteen.id"), default=None)
    month: Mapped[date | None] = mapped_column(Date, default=None)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), default=None)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
    # Canonical JSON of what was hashed: {"record": ..., "state": ...}; verify diffs it field by field.
    content: Mapped[str] = mapped_column(Text)
    # True for records chained after the fact by ``canteen verify --seal-existing`` (or the demo seeder).
    sealed: Mapped[bool] = mapped_column(Boolean, default=False)
    # When the link itself was written; bookkeeping, not part of the hash.
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
