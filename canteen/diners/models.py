"""Diners known by their meal card, and every change made to one."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from canteen.auth.models import User
from canteen.db import Base, UTCDateTime, utcnow

DINER_SOURCES = ("web", "api", "import", "demo")


class Diner(Base):
    """A person who eats in the canteens; current values mirror the newest revision."""

    __tablename__ = "diner"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Reviewers name a diner by meal-card number: one card, one diner.
    card_no: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    department: Mapped[str] = mapped_column(String(100), default="")
    # Deactivated, never deleted: offences and revisions keep pointing at the diner.
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    revisions: Mapped[list["DinerRevision"]] = relationship(
        back_populates="diner", order_by="DinerRevision.number")


class DinerRevision(Base):
    """An append-only version of a diner's record: created, edited or imported, with who, when and why."""

    __tablename__ = "diner_revision"
    __table_args__ = (UniqueConstraint("diner_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    diner_id: Mapped[int] = mapped_column(ForeignKey("diner.id"))
    number: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(100))
    department: Mapped[str] = mapped_column(String(100), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    source: Mapped[str] = mapped_column(String(8))
    reason: Mapped[str | None] = mapped_column(String(500), default=None)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    diner: Mapped[Diner] = relationship(back_populates="revisions")
    created_by: Mapped[User] = relationship()
