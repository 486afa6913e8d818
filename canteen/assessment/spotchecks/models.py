"""The monthly draw of check slots, and check records with re-weighs, findings, photos and rectifications."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (BigInteger, CheckConstraint, Date, ForeignKey, Index, Integer, String, Text,
                        UniqueConstraint)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from canteen.assessment.models import SheetVersion
from canteen.auth.models import User
from canteen.db import Base, UTCDateTime, utcnow
from canteen.reference.models import Canteen

CHECK_KINDS = ("drawn", "follow_up", "ad_hoc")


class SpotCheckDraw(Base):
    """The recorded draw of a canteen-month: the seed reproduces the slots exactly."""

    __tablename__ = "spot_check_draw"
    # One draw per canteen-month: drawing again until the slots suit someone would defeat the point.
    __table_args__ = (UniqueConstraint("canteen_id", "month"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    canteen_id: Mapped[int] = mapped_column(ForeignKey("canteen.id"))
    month: Mapped[date] = mapped_column(Date)
    # BigInteger: seeds go up to 2**53 (draw.MAX_SEED).
    seed: Mapped[int] = mapped_column(BigInteger)
    # The count in force at the draw, which a replay must use.
    count: Mapped[int] = mapped_column(Integer)
    # None when the scheduler drew it.
    drawn_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), default=None)
    drawn_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    canteen: Mapped[Canteen] = relationship(lazy="joined")
    drawn_by: Mapped[User | None] = relationship(lazy="joined")
    slots: Mapped[list["SpotCheckSlot"]] = relationship(back_populates="draw",
                                                        order_by="SpotCheckSlot.position", lazy="selectin")


class SpotCheckSlot(Base):
    """One drawn (day, meal) to check."""

    __tablename__ = "spot_check_slot"
    __table_args__ = (UniqueConstraint("draw_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    draw_id: Mapped[int] = mapped_column(ForeignKey("spot_check_draw.id"))
    position: Mapped[int] = mapped_column(Integer)
    day: Mapped[date] = mapped_column(Date)
    meal_code: Mapped[str] = mapped_column(String(32))

    draw: Mapped[SpotCheckDraw] = relationship(back_populates="slots")


class SpotCheck(Base):
    """A check record: the checklist by sheet item, findings, photos and re-weighs of the bins."""

    __tablename__ = "spot_check"
    __table_args__ = (
        CheckConstraint("kind IN ('drawn', 'follow_up', 'ad_hoc')", name="kind_known"),
        UniqueConstraint("slot_id"),
        Index("ix_spot_check_canteen_day", "canteen_id", "day"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    canteen_id: Mapped[int] = mapped_column(ForeignKey("canteen.id"))
    day: Mapped[date] = mapped_column(Date)
    meal_code: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(12), default="drawn")
    # None for a follow-up or ad-hoc visit; unique, so a drawn slot is answered by one record.
    slot_id: Mapped[int | None] = mapped_column(ForeignKey("spot_check_slot.id"), default=None)
    # The sheet in force at the check: the checklist and findings use that version's codes.
    sheet_version_id: Mapped[int] = mapped_column(ForeignKey("assessment_sheet_version.id"))
    # JSON: item code -> "ok" | "finding" | "n/a".
    checklist: Mapped[str] = mapped_column(Text, default="{}")
    summary: Mapped[str] = mapped_column(String(2000), default="")
    inspector_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The caterer signs or disputes the record once; a deduction citing the check shows the answer.
    contractor_response: Mapped[str | None] = mapped_column(String(12), default=None)
    contractor_comment: Mapped[str | None] = mapped_column(String(1000), default=None)
    responded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), default=None)
    responded_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)

    canteen: Mapped[Canteen] = relationship(lazy="joined")
    sheet_version: Mapped["SheetVersion"] = relationship(lazy="joined")
    inspector: Mapped[User] = relationship(foreign_keys=[inspector_id], lazy="joined")
    responded_by: Mapped[User | None] = relationship(foreign_keys=[responded_by_id])
    slot: Mapped[SpotCheckSlot | None] = relationship()
    reweighs: Mapped[list["SpotCheckReweigh"]] = relationship(order_by="SpotCheckReweigh.id", lazy="selectin")
    findings: Mapped[list["SpotCheckFinding"]] = relationship(
        back_populates="check", order_by="SpotCheckFinding.id", lazy="selectin",
        foreign_keys="SpotCheckFinding.check_id")
    photos: Mapped[list["SpotCheckPhoto"]] = relationship(order_by="SpotCheckPhoto.id", lazy="selectin")


class SpotCheckReweigh(Base):
    """The bins of one stream weighed again by the inspector; the ledger side is read when compared."""

    __tablename__ = "spot_check_reweigh"
    __table_args__ = (UniqueConstraint("check_id", "stream_code"),
                      CheckConstraint("weighed_g > 0", name="weight_positive"))

    id: Mapped[int] = mapped_column(primary_key=True)
    check_id: Mapped[int] = mapped_column(ForeignKey("spot_check.id"))
    stream_code: Mapped[str] = mapped_column(String(32))
    weighed_g: Mapped[int] = mapped_column(Integer)


class SpotCheckFinding(Base):
    """A finding under a sheet rule; it may order a fix by a deadline, closed by a follow-up check."""

    __tablename__ = "spot_check_finding"
    __table_args__ = (CheckConstraint("count > 0", name="count_positive"),
                      Index("ix_spot_check_finding_check", "check_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    check_id: Mapped[int] = mapped_column(ForeignKey("spot_check.id"))
    item_code: Mapped[str] = mapped_column(String(32))
    rule_code: Mapped[str] = mapped_column(String(32))
    count: Mapped[int] = mapped_column(Integer, default=1)
    note: Mapped[str] = mapped_column(String(1000), default="")
    # None when no fix was demanded; a rectification is open until a follow-up check closes it.
    rectify_by: Mapped[date | None] = mapped_column(Date, default=None)
    closed_by_check_id: Mapped[int | None] = mapped_column(ForeignKey("spot_check.id"), default=None)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    close_note: Mapped[str | None] = mapped_column(String(1000), default=None)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    check: Mapped[SpotCheck] = relationship(back_populates="findings", foreign_keys=[check_id])
    closed_by_check: Mapped[SpotCheck | None] = relationship(foreign_keys=[closed_by_check_id])

    @property
    def open(self) -> bool:
        """True while a demanded rectification is not closed."""
        return self.rectify_by is not None and self.closed_at is None


class SpotCheckPhoto(Base):
    """A photo taken at a check, stored under instance/media/spotchecks/."""

    __tablename__ = "spot_check_photo"

    id: Mapped[int] = mapped_column(primary_key=True)
    check_id: Mapped[int] = mapped_column(ForeignKey("spot_check.id"), index=True)
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(32))
    size: Mapped[int] = mapped_column(Integer)
    caption: Mapped[str] = mapped_column(String(300), default="")
    uploaded_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
