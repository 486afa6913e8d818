"""The scheduler process: APScheduler 3 in the foreground, every run recorded, missed runs caught up once.

APScheduler keeps its jobs in memory; what ran is in the JobRun table. At start-up each job's last due time
(from its cron trigger) is compared with the runs recorded since: a due time that passed with no finished run
after it, while the scheduler had been started before, is run once now.

Several scheduler processes may run against one database (the service on several hosts): each due run is
claimed by inserting its JobRun with a unique (job, due time) key, so only one process runs it.
"""
from __future__ import annotations

import logging
import os
import signal
import socket
import traceback
from datetime import datetime, timedelta, timezone
from typing import Any

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger
from flask import Flask
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from canteen.config import AppConfig
from canteen.db import compare_and_set, stored_unless_duplicate, utcnow
from canteen.extensions import db
from reports.jobs import JobContext, JobOutcome, JobSpec, all_jobs
from reports.models import JobRun, SchedulerStart

log = logging.getLogger(__name__)

# Runs that count as "the due time was served"; an interrupted run does not.
FINISHED = ("ok", "skipped", "failed")
# Longer than any job's period (the longest is monthly), so a missed due time is always found.
LOOKBACK = timedelta(days=400)
# Far longer than any job takes: a run still "running" after this on another host was abandoned.
STALE_RUN = timedelta(hours=6)
_HOST = socket.gethostname()[:255]


def job_by_id(job_id: str, jobs: list[JobSpec] | None = None) -> JobSpec | None:
    """The job with this id."""
    return next((job for job in (jobs if jobs is not None else all_jobs()) if job.id == job_id), None)


def next_run_times(settings: AppConfig, now: datetime | None = None,
                   jobs: list[JobSpec] | None = None) -> dict[str, datetime | None]:
    """Each job's next fire time after ``now``, in the configured zone."""
    now = (now or utcnow()).astimezone(settings.zone)
    return {job.id: job.trigger(settings).get_next_fire_time(None, now)
            for job in (jobs if jobs is not None else all_jobs())}


def last_due(trigger: CronTrigger, now: datetime, since: datetime) -> datetime | None:
    """The trigger's latest fire time in (``since``, ``now``], or None."""
    # Bounded: stepping fire by fire from a start years ago would take long for a daily job.
    start = max(since, now - LOOKBACK)
    fire = trigger.get_next_fire_time(None, start)
    latest = None
    while fire is not None and fire <= now:
        if fire > since:
            latest = fire
        # Asked from a fire time, the trigger answers that same time: step past it.
        fire = trigger.get_next_fire_time(fire, fire + timedelta(seconds=1))
    return latest


def first_start(session: Session) -> datetime | None:
    """When the scheduler was first started on this database."""
    return session.scalar(select(func.min(SchedulerStart.started_at)))


def missed_jobs(session: Session, settings: AppConfig, now: datetime,
                jobs: list[JobSpec] | None = None) -> list[tuple[JobSpec, datetime]]:
    """The jobs whose last due time passed without a finished run since, with that due time."""
    since = first_start(session)
    # A database the scheduler never ran on has missed nothing: a first start must not run every job.
    if since is None:
        return []
    missed = []
    for job in jobs if jobs is not None else all_jobs():
        due = last_due(job.trigger(settings), now.astimezone(settings.zone), since)
        if due is None:
            continue
        served = session.scalar(select(func.count()).select_from(JobRun).where(
            JobRun.job_id == job.id, JobRun.started_at >= due, JobRun.status.in_(FINISHED)))
        if not served:
            missed.append((job, due))
    return missed


def run_key(due: datetime | None, trigger: str) -> str | None:
    """The key a due run is claimed by: its due time in UTC (None for a manual run, which claims nothing)."""
    # A person asking for a run again means it; only the schedule and the catch-up serve a due time once.
    return due.astimezone(timezone.utc).isoformat() if due is not None and trigger != "manual" else None


def _claim(session: Session, run: JobRun) -> bool:
    """Insert the run as the lock row of its (job, due time); False when another process holds that lock."""
    if run.run_key is None:
        session.add(run)
        return True
    if stored_unless_duplicate(session, lambda: session.add(run)):
        return True
    holder = session.scalar(select(JobRun).where(JobRun.job_id == run.job_id, JobRun.run_key == run.run_key))
    # An attempt that was interrupted (its process died) is taken over: its key is released by a
    # compare-and-set, so of two processes catching up at once only one takes it, then claims it anew.
    if holder is None or holder.status != "interrupted":
        return False
    if not compare_and_set(session, holder, {"status": "interrupted", "run_key": run.run_key},
                           {"run_key": None}):
        return False
    return stored_unless_duplicate(session, lambda: session.add(run))


def run_job(app: Flask, job: JobSpec, due: datetime | None, trigger: str,
            now: datetime | None = None) -> JobRun | None:
    """Run one job in an app context and record the run with its result (or its error).

    None when another scheduler process (another host on the same database) has claimed this due run.
    """
    settings: AppConfig = app.config["SETTINGS"]
    with app.app_context():
        session = db.session
        started = now or utcnow()
        run = JobRun(job_id=job.id, scheduled_for=due, trigger=trigger, status="running", started_at=started,
                     run_key=run_key(due, trigger), host=_HOST, pid=os.getpid())
        if not _claim(session, run):
            session.rollback()
            log.info("job %s due %s is run by another scheduler process", job.id, run.run_key)
            return None
        session.commit()  # visible as running while it works, and the claim is taken
        run_id = run.id
        try:
            # A manual run serves no due time; it works for the moment it was started.
            context = JobContext(app=app, due=(due or started).astimezone(settings.zone), now=started,
                                 run_id=run_id)
            outcome = job.run(context)
        except Exception as exc:  # noqa: BLE001 - a job's failure is its recorded result
            session.rollback()
            log.exception("job %s failed", job.id)
            outcome = JobOutcome("failed", f"{type(exc).__name__}: {exc}")
            error: str | None = traceback.format_exc()
        else:
            error = None
        finished = session.get(JobRun, run_id)
        assert finished is not None  # committed above, and nothing deletes job runs
        finished.status, finished.result, finished.error, finished.finished_at = (
            outcome.status, outcome.result, error, utcnow())
        session.commit()
        log.info("job %s (%s) %s: %s", job.id, trigger, outcome.status, outcome.result)
        session.expunge(finished)
        return finished


def _alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # a process of another user has this pid
    return True


def _abandoned(run: JobRun, now: datetime) -> bool:
    """True when the process that ran ``run`` is gone; a run of a live scheduler elsewhere is left alone."""
    if run.host == _HOST and run.pid:
        return run.pid != os.getpid() and not _alive(run.pid)
    # Another host's process cannot be asked; a run older than any job takes is taken to be abandoned.
    return not run.host or run.started_at < now - STALE_RUN


def record_start(app: Flask) -> None:
    """Note this start, and mark runs left 'running' by a process that is gone as interrupted."""
    now = utcnow()
    with app.app_context():
        session = db.session
        running = session.scalars(select(JobRun).where(JobRun.status == "running")).all()
        abandoned = [run.id for run in running if _abandoned(run, now)]
        if abandoned:
            session.execute(update(JobRun).where(JobRun.id.in_(abandoned), JobRun.status == "running")
                            .values(status="interrupted", finished_at=now,
                                    error="the scheduler stopped while this job was running"))
        session.add(SchedulerStart(host=_HOST, pid=os.getpid()))
        session.commit()


def catch_up(app: Flask, now: datetime | None = None, jobs: list[JobSpec] | None = None) -> list[JobRun]:
    """Run once each job whose last due time was missed while the scheduler was down."""
    settings: AppConfig = app.config["SETTINGS"]
    with app.app_context():
        missed = missed_jobs(db.session, settings, now or utcnow(), jobs)
    runs = []
    for job, due in missed:
        log.info("job %s missed its run at %s; running it now", job.id, due.isoformat())
        run = run_job(app, job, due, "catch-up")
        # None: another scheduler process started at the same time caught it up.
        if run is not None:
            runs.append(run)
    return runs


def _scheduled(app: Flask, job: JobSpec) -> None:
    settings: AppConfig = app.config["SETTINGS"]
    now = utcnow()
    # APScheduler does not hand over the fire time; it is the trigger's latest one (within the grace time).
    due = last_due(job.trigger(settings), now.astimezone(settings.zone), now - timedelta(days=32))
    run_job(app, job, due, "schedule")


def build_scheduler(app: Flask, jobs: list[JobSpec] | None = None) -> BlockingScheduler:
    """A BlockingScheduler in the configured zone with every job: fixed ids, coalesced, one at a time."""
    settings: AppConfig = app.config["SETTINGS"]
    grace = settings.reports.scheduler.misfire_grace_minutes * 60
    # coalesce: fires missed in a row run once; max_instances 1: a slow job never overlaps itself.
    defaults = {"coalesce": True, "max_instances": 1, "misfire_grace_time": grace}
    scheduler = BlockingScheduler(timezone=settings.zone, executors={"default": ThreadPoolExecutor(2)},
                                  job_defaults=defaults)
    for job in jobs if jobs is not None else all_jobs():
        scheduler.add_job(_scheduled, trigger=job.trigger(settings), args=[app, job], id=job.id,
                          name=job.description, replace_existing=True, **defaults)
    return scheduler


def prepare(app: Flask) -> BlockingScheduler:
    """Record the start, catch up on missed runs (unless configured off) and build the scheduler."""
    settings: AppConfig = app.config["SETTINGS"]
    record_start(app)
    if settings.reports.scheduler.catch_up:
        catch_up(app)
    return build_scheduler(app)


def run_forever(app: Flask) -> None:
    """Prepare, then run the schedule in the foreground until SIGTERM or Ctrl-C."""
    scheduler = prepare(app)

    def _stop(_signum: int, _frame: Any) -> None:
        scheduler.shutdown(wait=False)

    # SIGTERM stops like Ctrl-C; a job cut short stays 'running' until record_start marks it interrupted.
    signal.signal(signal.SIGTERM, _stop)
    now = datetime.now(timezone.utc)
    for job in scheduler.get_jobs():
        log.info("job %s: next run %s", job.id, job.trigger.get_next_fire_time(None, now))
    try:
        scheduler.start()
    except (KeyboardInterrupt, SystemExit):
        pass
    log.info("scheduler stopped")
