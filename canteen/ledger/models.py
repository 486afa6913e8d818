"""Waste entries, diner counts and disposals; every correction is an appended revision."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (Boolean, CheckConstraint, Date, ForeignKey, Index, Integer, String,
                        UniqueConstraint, text)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from canteen.auth.models import User
from canteen.db import Base, UTCDateTime, utcnow
from canteen.reference.models import Canteen, Dish, Meal, Stream

SOURCES = ("web", "api", "import")
# The rows the one-live-web-entry-per-cell index covers (see WasteEntry); the migration uses it too.
WEB_CELL_LIVE = "source = 'web' AND NOT voided"


class WasteEntry(Base):
    """One weighing of one stream at one meal; current values mirror the newest revision."""

    __tablename__ = "waste_entry"
    __table_args__ = (
        # Every ledger view reads one canteen's days.
        Index("ix_waste_entry_canteen_day", "canteen_id", "day"),
        # Per user, so a scale retrying after a timeout cannot store a weighing twice, while two users'
        # devices may still pick the same ids.
        UniqueConstraint("created_by_id", "client_id"),
        # Nothing weighed is no entry (the slot shows as missing), never an entry of zero.
        CheckConstraint("weight_g > 0", name="weight_positive"),
        CheckConstraint("source IN ('web', 'api', 'import')", name="source_known"),
        # One live entry per cell from the daily grid: two managers saving the same empty cell at once must
        # not both store one (the day's total would double). Only "web" entries: a cell is the sum of its
        # weighings, and scales (api) and imported paper ledgers legitimately hold several per cell, which
        # the grid then shows as "n weighings". A voided entry no longer counts, so a cell can be entered
        # again after a void. A partial unique index does this on SQLite and PostgreSQL alike.
        Index("uq_waste_entry_web_cell", "canteen_id", "day", "meal_id", "stream_id", unique=True,
              sqlite_where=text(WEB_CELL_LIVE), postgresql_where=text(WEB_CELL_LIVE)),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    canteen_id: Mapped[int] = mapped_column(ForeignKey("canteen.id"))
    day: Mapped[date] = mapped_column(Date)
    meal_id: Mapped[int] = mapped_column(ForeignKey("meal.id"))
    stream_id: Mapped[int] = mapped_column(ForeignKey("stream.id"))
    dish_id: Mapped[int | None] = mapped_column(ForeignKey("dish.id"), default=None)
    # Whole grams: kg, 斤 and tonnes convert exactly, and sums never drift.
    weight_g: Mapped[int] = mapped_column(Integer)
    note: Mapped[str] = mapped_column(String(500), default="")
    # A void keeps the row and its history; only the totals leave it out.
    voided: Mapped[bool] = mapped_column(Boolean, default=False)
    source: Mapped[str] = mapped_column(String(8))
    client_id: Mapped[str | None] = mapped_column(String(64), default=None)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    canteen: Mapped[Canteen] = relationship()
    meal: Mapped[Meal] = relationship()
    stream: Mapped[Stream] = relationship()
    dish: Mapped[Dish | None] = relationship()
    created_by: Mapped[User] = relationship()
    # In order, so revisions[0] is what was first recorded and the last one is the current value.
    revisions: Mapped[list["WasteEntryRevision"]] = relationship(
        back_populates="entry", order_by="WasteEntryRevision.number")


class WasteEntryRevision(Base):
    """An append-only version of an entry: the original, a correction or a void, with who and why."""

    __tablename__ = "waste_entry_revision"
    __table_args__ = (UniqueConstraint("entry_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("waste_entry.id"))
    number: Mapped[int] = mapped_column(Integer)
    weight_g: Mapped[int] = mapped_column(Integer)
    dish_id: Mapped[int | None] = mapped_column(ForeignKey("dish.id"), default=None)
    note: Mapped[str] = mapped_column(String(500), default="")
    voided: Mapped[bool] = mapped_column(Boolean, default=False)
    reason: Mapped[str | None] = mapped_column(String(500), default=None)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    entry: Mapped[WasteEntry] = relationship(back_populates="revisions")
    dish: Mapped[Dish | None] = relationship()
    created_by: Mapped[User] = relationship()


class DinerCount(Base):
    """How many diners a meal served; the current value of its revisions."""

    __tablename__ = "diner_count"
    __table_args__ = (
        # One count per meal: a new value becomes a revision of it, never a second row.
        UniqueConstraint("canteen_id", "day", "meal_id"),
        CheckConstraint("count >= 0", name="count_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    canteen_id: Mapped[int] = mapped_column(ForeignKey("canteen.id"))
    day: Mapped[date] = mapped_column(Date)
    meal_id: Mapped[int] = mapped_column(ForeignKey("meal.id"))
    count: Mapped[int] = mapped_column(Integer)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    meal: Mapped[Meal] = relationship()
    revisions: Mapped[list["DinerCountRevision"]] = relationship(
        back_populates="diner_count", order_by="DinerCountRevision.number")


class DinerCountRevision(Base):
    """An append-only version of a diner count, with who, when, why and from where."""

    __tablename__ = "diner_count_revision"
    __table_args__ = (UniqueConstraint("diner_count_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    diner_count_id: Mapped[int] = mapped_column(ForeignKey("diner_count.id"))
    number: Mapped[int] = mapped_column(Integer)
    count: Mapped[int] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(String(8))
    reason: Mapped[str | None] = mapped_column(String(500), default=None)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    diner_count: Mapped[DinerCount] = relationship(back_populates="revisions")
    created_by: Mapped[User] = relationship()


class Disposal(Base):
    """Waste handed over to a licensed hauler or the on-site composter (the manifest, 联单)."""

    __tablename__ = "disposal"
    __table_args__ = (
        Index("ix_disposal_canteen_day", "canteen_id", "day"),
        CheckConstraint("weight_g > 0", name="weight_positive"),
        CheckConstraint("receiver_kind IN ('hauler', 'composter')", name="receiver_kind_known"),
        CheckConstraint("waste_type IN ('food', 'grease')", name="waste_type_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    canteen_id: Mapped[int] = mapped_column(ForeignKey("canteen.id"))
    day: Mapped[date] = mapped_column(Date)
    receiver_kind: Mapped[str] = mapped_column(String(16))
    receiver: Mapped[str] = mapped_column(String(100))
    # Empty for the on-site composter, which issues no manifest.
    manifest_no: Mapped[str] = mapped_column(String(64), default="")
    waste_type: Mapped[str] = mapped_column(String(8), default="food")
    weight_g: Mapped[int] = mapped_column(Integer)
    note: Mapped[str] = mapped_column(String(500), default="")
    # Voided with who, when and why, never deleted: the hand-over record must stay traceable.
    voided: Mapped[bool] = mapped_column(Boolean, default=False)
    void_reason: Mapped[str | None] = mapped_column(String(500), default=None)
    voided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), default=None)
    voided_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    created_by: Mapped[User] = relationship(foreign_keys=[created_by_id])
    voided_by: Mapped[User | None] = relationship(foreign_keys=[voided_by_id])


SIGNOFF_ACTIONS = ("prepared", "closed", "reopened")


class LedgerMonthSignoff(Base):
    """A signature on a canteen's monthly ledger: prepared (填表人), closed by the reviewer (复核人), reopened.

    Each row is chained into the month's ledger stream; the month is closed while the stream's newest link
    is a close, so no write can slip in between the check and the close.
    """

    __tablename__ = "ledger_month_signoff"
    __table_args__ = (
        Index("ix_ledger_month_signoff_canteen_month", "canteen_id", "month"),
        CheckConstraint("action IN ('prepared', 'closed', 'reopened')", name="action_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    canteen_id: Mapped[int] = mapped_column(ForeignKey("canteen.id"))
    # The month's first day.
    month: Mapped[date] = mapped_column(Date)
    action: Mapped[str] = mapped_column(String(12))
    actor_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The chain head this signature covers: on a close, the month's hash as signed.
    head_hash: Mapped[str] = mapped_column(String(64))
    # Why a closed month was reopened (required then).
    reason: Mapped[str | None] = mapped_column(String(500), default=None)
    # On a close: who signed as preparer and when, copied so the close names both people on its own.
    prepared_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), default=None)
    prepared_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)

    canteen: Mapped[Canteen] = relationship()
    actor: Mapped[User] = relationship(foreign_keys=[actor_id])
    prepared_by: Mapped[User | None] = relationship(foreign_keys=[prepared_by_id])
