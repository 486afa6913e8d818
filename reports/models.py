"""What reports and the scheduler record: report runs, job runs, scheduler starts, missing-entry checks."""
from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from canteen.db import Base, UTCDateTime, utcnow
from canteen.reference.models import Canteen

RUN_STATUSES = ("running", "ok", "failed", "skipped", "interrupted")


class ReportRun(Base):
    """One production of a monthly report (one canteen, or all canteens when ``canteen_id`` is empty)."""

    __tablename__ = "report_run"
    __table_args__ = (
        Index("ix_report_run_month_target", "month", "target"),
        CheckConstraint("status IN ('running', 'ok', 'failed', 'skipped')", name="status_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    month: Mapped[date] = mapped_column(Date)
    canteen_id: Mapped[int | None] = mapped_column(ForeignKey("canteen.id"), default=None)
    # "all" or the canteen's code: the folder name under instance/reports/YYYY-MM/.
    target: Mapped[str] = mapped_column(String(32))
    directory: Mapped[str] = mapped_column(String(500))
    # False for a CLI run written with --out elsewhere: /reports lists only the store's reports.
    stored: Mapped[bool] = mapped_column(default=True)
    files: Mapped[list[Any]] = mapped_column(JSON, default=list)
    trigger: Mapped[str] = mapped_column(String(16), default="cli")
    status: Mapped[str] = mapped_column(String(16), default="running")
    error: Mapped[str | None] = mapped_column(Text, default=None)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)

    canteen: Mapped[Canteen | None] = relationship()


class JobRun(Base):
    """One run of a scheduled job, with the fire time it served and its result."""

    __tablename__ = "job_run"
    __table_args__ = (
        Index("ix_job_run_job_started", "job_id", "started_at"),
        CheckConstraint("status IN ('running', 'ok', 'failed', 'skipped', 'interrupted')",
                        name="status_known"),
        CheckConstraint("trigger IN ('schedule', 'catch-up', 'manual')", name="trigger_known"),
        # The lock row of a due run: two scheduler processes (on two hosts, one database) firing the same
        # job for the same due time both try to insert it, and only one can. Manual runs have no key.
        UniqueConstraint("job_id", "run_key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[str] = mapped_column(String(64))
    # The due time this run served (None for a manual run); the catch-up compares with it.
    scheduled_for: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    trigger: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default="running")
    result: Mapped[str] = mapped_column(Text, default="")
    error: Mapped[str | None] = mapped_column(Text, default=None)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    # The due time in UTC for scheduled and catch-up runs; released (NULL) when an interrupted run is
    # taken over, so the new attempt can claim it.
    run_key: Mapped[str | None] = mapped_column(String(64), default=None)
    # Which process ran it: a start-up only marks as interrupted what a dead process left running.
    host: Mapped[str] = mapped_column(String(255), default="")
    pid: Mapped[int] = mapped_column(Integer, default=0)


class SchedulerStart(Base):
    """A start of the scheduler process; missed runs are only counted after the first one."""

    __tablename__ = "scheduler_start"

    id: Mapped[int] = mapped_column(primary_key=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    host: Mapped[str] = mapped_column(String(255), default="")
    pid: Mapped[int] = mapped_column(Integer, default=0)


class MissingEntryCheck(Base):
    """The evening check's finding for a canteen-day: served meals without any food-waste weight."""

    __tablename__ = "missing_entry_check"
    # One finding per canteen-day: a re-run of the evening check replaces it.
    __table_args__ = (UniqueConstraint("canteen_id", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    canteen_id: Mapped[int] = mapped_column(ForeignKey("canteen.id"))
    day: Mapped[date] = mapped_column(Date)
    missing_meals: Mapped[list[Any]] = mapped_column(JSON, default=list)
    checked_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    job_run_id: Mapped[int | None] = mapped_column(ForeignKey("job_run.id"), default=None)

    canteen: Mapped[Canteen] = relationship()
