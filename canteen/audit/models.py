"""The record of each run of the chain check: what it found, and each stream's head at that moment."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from canteen.db import Base, UTCDateTime, utcnow

TRIGGERS = ("cli", "nightly")


class ChainCheck(Base):
    """One run of ``canteen verify``: counts, the breaks found (JSON, words are made when shown)."""

    __tablename__ = "chain_check"
    __table_args__ = (
        Index("ix_chain_check_finished_at", "finished_at"),
        CheckConstraint("trigger IN ('cli', 'nightly')", name="trigger_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    trigger: Mapped[str] = mapped_column(String(16))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    ok: Mapped[bool] = mapped_column(Boolean)
    links: Mapped[int] = mapped_column(Integer, default=0)
    streams: Mapped[int] = mapped_column(Integer, default=0)
    breaks: Mapped[int] = mapped_column(Integer, default=0)
    # Records chained after the fact by ``--seal-existing`` in this run.
    sealed: Mapped[int] = mapped_column(Integer, default=0)
    # The breaks as structured JSON (kind, where, fields), so each reader gets them in their own language.
    report: Mapped[str] = mapped_column(Text, default="[]")
    # {stream: [seq, hash]} at this run: the next run finds a tail cut off or rehashed since.
    heads: Mapped[str] = mapped_column(Text, default="{}")
