"""The scheduler: next run times across month ends and zones, missed runs caught up once, every run recorded,
and the real jobs (evening check, SQLite backup, monthly reports)."""
from __future__ import annotations

import sqlite3
import threading
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Callable
from zoneinfo import ZoneInfo

import pytest
from apscheduler.schedulers.base import STATE_RUNNING
from apscheduler.schedulers.blocking import BlockingScheduler
from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import select
from sqlalchemy.orm import Session

from canteen.config import AppConfig
from reports.jobs import JobContext, JobOutcome, JobSpec, all_jobs
from reports.models import JobRun, MissingEntryCheck, ReportRun, SchedulerStart
from reports.scheduler import (build_scheduler, catch_up, job_by_id, last_due, missed_jobs, next_run_times,
                               prepare, record_start, run_job)

SHANGHAI = ZoneInfo("Asia/Shanghai")


def local(*args: int, zone: ZoneInfo = SHANGHAI) -> datetime:
    return datetime(*args, tzinfo=zone)


def test_jobs_have_fixed_ids() -> None:
    assert [job.id for job in all_jobs()] == ["monthly-reports", "missing-entries", "spot-check-draw",
                                              "retention", "close-unchanged-events", "sqlite-backup",
                                              "chain-verify"]


@pytest.mark.parametrize(("now", "expected"), [
    # 20:00 UTC on 31 August is already 04:00 on 1 September in Shanghai: the run is an hour away.
    (datetime(2021, 8, 31, 20, 0, tzinfo=timezone.utc), local(2021, 9, 1, 5, 0)),
    # Just after the run: the next is on 1 October.
    (datetime(2021, 8, 31, 21, 0, 1, tzinfo=timezone.utc), local(2021, 10, 1, 5, 0)),
    # Across the year end, and a short February.
    (local(2021, 12, 31, 23, 59), local(2022, 1, 1, 5, 0)),
    (local(2024, 2, 1, 6, 0), local(2024, 3, 1, 5, 0)),
])
def test_monthly_reports_run_on_the_first_in_the_configured_zone(settings: AppConfig, now: datetime,
                                                                 expected: datetime) -> None:
    when = next_run_times(settings, now)["monthly-reports"]
    assert when == expected
    assert when.utcoffset() == timedelta(hours=8)


def test_daily_jobs_cross_month_ends(settings: AppConfig) -> None:
    times = next_run_times(settings, local(2024, 2, 28, 21, 0))
    assert times["missing-entries"] == local(2024, 2, 29, 20, 30)  # leap day
    assert times["sqlite-backup"] == local(2024, 2, 29, 2, 30)
    assert times["retention"] == local(2024, 2, 29, 3, 0)
    assert times["chain-verify"] == local(2024, 2, 29, 2, 0)
    assert times["spot-check-draw"] == local(2024, 3, 1, 6, 30)
    times = next_run_times(settings, local(2021, 8, 31, 20, 31))
    assert times["missing-entries"] == local(2021, 9, 1, 20, 30)
    # 12:45 UTC is 20:45 in Shanghai: today's check has passed.
    times = next_run_times(settings, datetime(2021, 4, 30, 12, 45, tzinfo=timezone.utc))
    assert times["missing-entries"] == local(2021, 5, 1, 20, 30)


def test_another_zone_follows_its_daylight_saving_time(settings: AppConfig) -> None:
    berlin = ZoneInfo("Europe/Berlin")
    moved = settings.model_copy(update={"timezone": "Europe/Berlin"})
    # Summer time ends on 31 October 2021: the run on 1 November is at 05:00 CET, 04:00 UTC.
    when = next_run_times(moved, datetime(2021, 10, 15, tzinfo=timezone.utc))["monthly-reports"]
    assert when == datetime(2021, 11, 1, 5, 0, tzinfo=berlin)
    assert when.astimezone(timezone.utc) == datetime(2021, 11, 1, 4, 0, tzinfo=timezone.utc)
    when = next_run_times(moved, datetime(2021, 9, 15, tzinfo=timezone.utc))["monthly-reports"]
    assert when.astimezone(timezone.utc) == datetime(2021, 10, 1, 3, 0, tzinfo=timezone.utc)


def test_the_scheduler_is_configured_one_instance_coalesced(app: Flask, settings: AppConfig) -> None:
    scheduler = build_scheduler(app)
    assert isinstance(scheduler, BlockingScheduler)
    assert str(scheduler.timezone) == "Asia/Shanghai"
    jobs = {job.id: job for job in scheduler.get_jobs()}
    assert set(jobs) == {job.id for job in all_jobs()}
    for job in jobs.values():
        assert job.coalesce is True and job.max_instances == 1
        assert job.misfire_grace_time == settings.reports.scheduler.misfire_grace_minutes * 60


def test_last_due_finds_the_latest_fire_time(settings: AppConfig) -> None:
    trigger = job_by_id("monthly-reports").trigger(settings)
    since = local(2021, 6, 15)
    assert last_due(trigger, local(2021, 9, 3, 10, 0), since) == local(2021, 9, 1, 5, 0)
    assert last_due(trigger, local(2021, 9, 1, 4, 59), since) == local(2021, 8, 1, 5, 0)
    assert last_due(trigger, local(2021, 6, 30), since) is None


class Recorder:
    """Real job specs whose bodies only note the due time they were asked to serve."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, datetime]] = []

    def jobs(self) -> list[JobSpec]:
        def body(job_id: str) -> Callable[[JobContext], JobOutcome]:
            def run(context: JobContext) -> JobOutcome:
                self.calls.append((job_id, context.due))
                return JobOutcome("ok", f"served {context.due.isoformat()}")
            return run
        return [JobSpec(job.id, job.description, job.trigger, body(job.id)) for job in all_jobs()]


def _start(session: Session, at: datetime) -> None:
    session.add(SchedulerStart(started_at=at, host="test", pid=1))
    session.commit()


def _ran(session: Session, job_id: str, at: datetime, status: str = "ok") -> None:
    session.add(JobRun(job_id=job_id, scheduled_for=at, trigger="schedule", status=status, started_at=at,
                       finished_at=at + timedelta(seconds=5)))
    session.commit()


def test_a_job_missed_while_the_scheduler_was_down_runs_once(app: Flask, session: Session,
                                                             settings: AppConfig) -> None:
    recorder = Recorder()
    _start(session, local(2021, 8, 20, 9, 0))
    # The process ran the nightly jobs until 30 August, then stopped; it comes back on 3 September.
    for day in range(20, 31):
        _ran(session, "missing-entries", local(2021, 8, day, 20, 30))
        _ran(session, "sqlite-backup", local(2021, 8, day + 1, 2, 30))
        _ran(session, "retention", local(2021, 8, day + 1, 3, 0))
        _ran(session, "chain-verify", local(2021, 8, day + 1, 2, 0))
    _ran(session, "spot-check-draw", local(2021, 8, 20, 9, 5))  # drawn by hand when the scheduler came in
    now = local(2021, 9, 3, 10, 0)
    missed = missed_jobs(session, settings, now, recorder.jobs())
    expected = [("monthly-reports", local(2021, 9, 1, 5, 0)), ("missing-entries", local(2021, 9, 2, 20, 30)),
                ("spot-check-draw", local(2021, 9, 1, 6, 30)), ("retention", local(2021, 9, 3, 3, 0)),
                # Hourly: only the newest missed hour is made up.
                ("close-unchanged-events", local(2021, 9, 3, 9, 40)),
                ("sqlite-backup", local(2021, 9, 3, 2, 30)), ("chain-verify", local(2021, 9, 3, 2, 0))]
    assert [(job.id, due) for job, due in missed] == expected
    runs = catch_up(app, now, recorder.jobs())
    # Each runs once, for its latest due time, however many were missed.
    assert recorder.calls == expected
    assert [(run.job_id, run.trigger, run.status) for run in runs] == [
        (job_id, "catch-up", "ok") for job_id, _due in expected]
    assert catch_up(app, now, recorder.jobs()) == []
    assert len(recorder.calls) == 7
    stored = session.scalars(select(JobRun).where(JobRun.trigger == "catch-up").order_by(JobRun.id)).all()
    assert [(run.job_id, run.scheduled_for) for run in stored] == expected


def test_nothing_is_missed_before_the_first_start(app: Flask, session: Session, settings: AppConfig) -> None:
    assert missed_jobs(session, settings, local(2021, 9, 3, 10, 0)) == []
    _start(session, local(2021, 9, 2, 12, 0))
    missed = missed_jobs(session, settings, local(2021, 9, 3, 10, 0))
    # The monthly run of 1 September was before the scheduler ever started; the nightly ones were not.
    assert [job.id for job, _due in missed] == ["missing-entries", "retention", "close-unchanged-events",
                                                "sqlite-backup", "chain-verify"]


def test_an_interrupted_run_is_marked_and_made_up(app: Flask, session: Session, settings: AppConfig) -> None:
    recorder = Recorder()
    _start(session, local(2021, 8, 1, 0, 0))
    _ran(session, "monthly-reports", local(2021, 9, 1, 5, 0), status="running")
    record_start(app)
    session.expire_all()
    statuses = session.scalars(select(JobRun.status).where(JobRun.job_id == "monthly-reports")).all()
    assert statuses == ["interrupted"]
    assert session.scalar(select(SchedulerStart).order_by(SchedulerStart.id.desc())).pid > 0
    catch_up(app, local(2021, 9, 1, 8, 0), [job for job in recorder.jobs() if job.id == "monthly-reports"])
    assert recorder.calls == [("monthly-reports", local(2021, 9, 1, 5, 0))]


def test_a_failing_job_is_recorded_with_its_error(app: Flask, session: Session) -> None:
    def broken(_context: JobContext) -> JobOutcome:
        raise RuntimeError("the disk is full")

    run = run_job(app, JobSpec("broken", "fails", all_jobs()[0].trigger, broken), None, "manual")
    assert run.status == "failed" and "the disk is full" in run.result
    stored = session.get(JobRun, run.id)
    assert stored.status == "failed" and "RuntimeError" in stored.error and stored.finished_at is not None


def test_the_evening_check_stores_the_missing_meals(app: Flask, session: Session, weigh: Callable[..., None],
                                                    settings: AppConfig) -> None:
    weigh("2021-08-02", "lunch", plate=12.5, prep=3)
    weigh("2021-08-02", "breakfast", grease=1)  # grease is not food waste: breakfast still counts as missing
    due = local(2021, 8, 2, 20, 30)
    run = run_job(app, job_by_id("missing-entries"), due, "schedule", now=due.astimezone(timezone.utc))
    assert run.status == "ok"
    assert "zonghe: breakfast, dinner" in run.result and "badajie: breakfast, lunch, dinner" in run.result
    checks = {check.canteen.code: check for check in session.scalars(select(MissingEntryCheck))}
    assert checks["zonghe"].missing_meals == ["breakfast", "dinner"]
    assert checks["zonghe"].day == date(2021, 8, 2) and checks["zonghe"].job_run_id == run.id
    weigh("2021-08-02", "dinner", unsold=2)
    again = run_job(app, job_by_id("missing-entries"), due, "manual", now=due.astimezone(timezone.utc))
    session.expire_all()
    checks = {check.canteen.code: check for check in session.scalars(select(MissingEntryCheck))}
    assert len(checks) == 2 and checks["zonghe"].missing_meals == ["breakfast"]
    assert checks["zonghe"].job_run_id == again.id


@pytest.mark.isolated  # the backup reads the database file itself: the rows must be committed
def test_the_sqlite_backup_copies_and_rotates(app: Flask, session: Session, backend: str,
                                              settings: AppConfig, weigh: Callable[..., None]) -> None:
    job = job_by_id("sqlite-backup")
    if backend != "sqlite":
        run = run_job(app, job, None, "manual")
        assert run.status == "skipped" and "postgresql" in run.result
        return
    weigh("2021-08-02", "lunch", plate=12.5)
    app.config["SETTINGS"] = settings.model_copy(
        update={"reports": settings.reports.model_copy(update={"backup_keep": 2})})
    folder = Path(app.instance_path) / "backups"
    for minute in range(3):
        at = datetime(2021, 8, 3, 18, 30 + minute, tzinfo=timezone.utc)  # 02:30 on 4 August in Shanghai
        run = run_job(app, job, at, "schedule", now=at)
        assert run.status == "ok", run.result
    kept = sorted(path.name for path in folder.iterdir())
    assert kept == ["canteen-20210804-023100.db", "canteen-20210804-023200.db"]
    with sqlite3.connect(folder / kept[-1]) as copy:
        assert copy.execute("SELECT count(*) FROM waste_entry").fetchone()[0] == 1
        assert copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    copy.close()


@pytest.mark.render
def test_the_monthly_job_writes_every_report_for_the_month_before(app: Flask, session: Session,
                                                                  weigh: Callable[..., None]) -> None:
    weigh("2021-08-02", "lunch", plate=12.5, diners=400)
    due = local(2021, 9, 1, 5, 0)
    run = run_job(app, job_by_id("monthly-reports"), due, "schedule", now=due.astimezone(timezone.utc))
    assert run.status == "ok", run.result
    assert run.result.startswith("2021-08: 3 report(s) written (all, zonghe, badajie)")
    root = Path(app.instance_path) / "reports" / "2021-08"
    assert sorted(path.name for path in root.iterdir()) == ["all", "badajie", "zonghe"]
    runs = session.scalars(select(ReportRun).order_by(ReportRun.id)).all()
    assert [(item.target, item.trigger, item.status) for item in runs] == [
        ("all", "scheduler", "ok"), ("zonghe", "scheduler", "ok"), ("badajie", "scheduler", "ok")]
    assert "report.pdf" in runs[1].files and "charts/monthly_totals.png" in runs[1].files


def test_scheduler_list_and_run_now(runner: FlaskCliRunner, session: Session) -> None:
    result = runner.invoke(args=["scheduler", "--list"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert [line.split()[0] for line in lines] == [job.id for job in all_jobs()]
    assert all("+08:00" in line.split()[2] for line in lines)
    result = runner.invoke(args=["scheduler", "--run-now", "missing-entries"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("missing-entries: ok:")
    run = session.scalar(select(JobRun))
    assert (run.job_id, run.trigger, run.scheduled_for) == ("missing-entries", "manual", None)
    result = runner.invoke(args=["scheduler", "--run-now", "nope"])
    assert result.exit_code == 1
    assert "job: unknown job 'nope'" in result.output


@pytest.mark.isolated  # the scheduler's thread must never share the test's connection
def test_the_scheduler_starts_in_the_foreground_and_stops(app: Flask, session: Session) -> None:
    _start(session, datetime.now(timezone.utc) - timedelta(minutes=1))
    scheduler = prepare(app)
    thread = threading.Thread(target=scheduler.start, daemon=True)
    thread.start()
    deadline = datetime.now(timezone.utc) + timedelta(seconds=20)
    while scheduler.state != STATE_RUNNING and datetime.now(timezone.utc) < deadline:
        thread.join(0.05)
    assert scheduler.state == STATE_RUNNING
    assert {job.id for job in scheduler.get_jobs()} == {job.id for job in all_jobs()}
    assert all(job.next_run_time is not None for job in scheduler.get_jobs())
    scheduler.shutdown(wait=True)
    thread.join(10)
    assert not thread.is_alive()
    assert len(session.scalars(select(SchedulerStart)).all()) == 2


def test_the_spot_check_draw_and_retention_jobs_call_their_services(app: Flask, session: Session) -> None:
    from canteen.assessment.spotchecks.models import SpotCheckDraw

    due = local(2021, 9, 1, 6, 30)
    run = run_job(app, job_by_id("spot-check-draw"), due, "schedule", now=due.astimezone(timezone.utc))
    assert run.status == "ok" and run.result == "2021-09: drew 2 canteen(s) (zonghe, badajie)"
    draws = session.scalars(select(SpotCheckDraw).order_by(SpotCheckDraw.canteen_id)).all()
    assert [(draw.month, draw.drawn_by_id, len(draw.slots) > 0) for draw in draws] == [
        (date(2021, 9, 1), None, True), (date(2021, 9, 1), None, True)]
    again = run_job(app, job_by_id("spot-check-draw"), due, "manual", now=due.astimezone(timezone.utc))
    assert again.result == "2021-09: every canteen was already drawn"
    run = run_job(app, job_by_id("retention"), None, "manual")
    assert run.status == "ok" and run.result.startswith("evidence of 0 dismissed event(s) deleted")
