"""The scheduled jobs: what each does when it runs. Each is an entry point: it commits its own work.

A job receives a JobContext (the app, the due time it serves, its JobRun id) and answers with a JobOutcome;
the runner in :mod:`reports.scheduler` records both in the JobRun table.
"""
from __future__ import annotations

import logging
import os
import sqlite3
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Callable

from apscheduler.triggers.cron import CronTrigger
from flask import Flask
from sqlalchemy import select

from canteen.config import AppConfig
from canteen.core.timeutil import add_months, month_start
from canteen.db import utcnow
from canteen.extensions import db
from canteen.ledger.figures import filled_slots, serving_slots
from canteen.reference.models import Canteen
from reports.models import MissingEntryCheck
from reports.service import produce_report, report_targets
from reports.storage import store_root

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class JobContext:
    """What a running job knows: the app, the due time it serves (local), the time now, its JobRun id."""

    app: Flask
    due: datetime
    now: datetime
    run_id: int

    @property
    def settings(self) -> AppConfig:
        """The validated configuration."""
        return self.app.config["SETTINGS"]


@dataclass(frozen=True)
class JobOutcome:
    """How a run ended: ``ok``, ``skipped`` or ``failed``, and a one-line summary."""

    status: str
    result: str


@dataclass(frozen=True)
class JobSpec:
    """A job with a fixed id, its cron trigger built from the config, and its function."""

    id: str
    description: str
    trigger: Callable[[AppConfig], CronTrigger]
    run: Callable[[JobContext], JobOutcome]


def monthly_reports(context: JobContext) -> JobOutcome:
    """The month before the due date: the all-canteens report, then each canteen's."""
    # The job fires in the first days of a month (report_day is at most 28) for the month just closed.
    month = add_months(month_start(context.due.date()), -1)
    session, settings = db.session, context.settings
    root = store_root(context.app.instance_path)
    done: list[str] = []
    failed: list[str] = []
    for canteen in report_targets(session, month, each=True):
        run = produce_report(session, settings, month, canteen, root, trigger="scheduler", now=context.now)
        session.commit()  # one report, one commit: a later failure must not lose this one's record
        (done if run.status == "ok" else failed).append(run.target)
    summary = f"{month:%Y-%m}: {len(done)} report(s) written ({', '.join(done) or 'none'})"
    if failed:
        return JobOutcome("failed", summary + f"; failed: {', '.join(failed)}")
    return JobOutcome("ok", summary)


def missing_entries(context: JobContext) -> JobOutcome:
    """Record, per canteen, the meals of the due day whose service is over but have no food-waste weight."""
    session, settings = db.session, context.settings
    day: date = context.due.date()
    canteens = session.scalars(select(Canteen).where(Canteen.active.is_(True), Canteen.opened_on <= day)
                               .order_by(Canteen.id)).all()
    ids = [canteen.id for canteen in canteens]
    filled = {(canteen_id, meal) for canteen_id, _day, meal in filled_slots(session, ids, day, day)}
    lines = []
    for canteen in canteens:
        # serving_slots leaves out meals whose service is not over at context.now: a run before dinner
        # ends does not report dinner as missing.
        missing = [meal for _day, meal in serving_slots(settings, canteen, [day], context.now)
                   if (canteen.id, meal) not in filled]
        check = session.scalar(select(MissingEntryCheck).where(MissingEntryCheck.canteen_id == canteen.id,
                                                               MissingEntryCheck.day == day))
        if check is None:
            check = MissingEntryCheck(canteen_id=canteen.id, day=day)
            session.add(check)
        # The check is the system's own finding, so a re-run simply states the newer finding.
        check.missing_meals, check.checked_at, check.job_run_id = missing, utcnow(), context.run_id
        if missing:
            lines.append(f"{canteen.code}: {', '.join(missing)}")
    session.commit()
    if not lines:
        return JobOutcome("ok", f"{day.isoformat()}: every served meal has entries "
                                f"({len(canteens)} canteen(s))")
    return JobOutcome("ok", f"{day.isoformat()}: missing {'; '.join(lines)}")


def sqlite_backup(context: JobContext) -> JobOutcome:
    """Copy a live SQLite database with the online backup API into instance/backups, keeping the newest N."""
    engine = db.engine
    if engine.dialect.name != "sqlite":
        log.info("backup skipped: the database is %s; back it up with its own tools", engine.dialect.name)
        return JobOutcome("skipped",
                          f"not SQLite ({engine.dialect.name}): use the database's own backup tools")
    source = engine.url.database
    if not source or source == ":memory:":
        return JobOutcome("skipped", "in-memory SQLite database: nothing to back up")
    folder = Path(context.app.instance_path) / "backups"
    folder.mkdir(parents=True, exist_ok=True)
    stamp = context.now.astimezone(context.settings.zone)
    final = folder / f"canteen-{stamp:%Y%m%d-%H%M%S}.db"
    # Written under a .part name and renamed only after quick_check: the glob below never counts or
    # keeps a broken copy.
    partial = final.with_name(final.name + ".part")
    # The online backup API copies a consistent snapshot while the web process keeps writing; copying the
    # file could miss what is still in the WAL.
    source_db = sqlite3.connect(source)
    try:
        target_db = sqlite3.connect(partial)
        try:
            source_db.backup(target_db)
            verdict = target_db.execute("PRAGMA quick_check").fetchone()[0]
        finally:
            target_db.close()
    finally:
        source_db.close()
    if verdict != "ok":
        partial.unlink(missing_ok=True)
        return JobOutcome("failed", f"the copy failed its quick_check: {verdict}")
    os.replace(partial, final)
    keep = context.settings.reports.backup_keep
    # The timestamped names sort oldest first.
    backups = sorted(folder.glob("canteen-*.db"))
    removed = backups[:-keep] if len(backups) > keep else []
    for old in removed:
        old.unlink()
    kept = len(backups) - len(removed)
    size = final.stat().st_size
    return JobOutcome("ok", f"{final.name} ({size} bytes); {kept} kept, {len(removed)} removed")


def spot_check_draw(context: JobContext) -> JobOutcome:
    """Draw the due month's spot-check slots for each canteen not drawn yet (seed recorded, unannounced)."""
    from canteen.assessment.spotchecks.draw import draw_missing

    month = month_start(context.due.date())
    draws = draw_missing(db.session, context.settings, month, context.now)
    codes = [draw.canteen.code for draw in draws]
    db.session.commit()
    if not codes:
        return JobOutcome("ok", f"{month:%Y-%m}: every canteen was already drawn")
    return JobOutcome("ok", f"{month:%Y-%m}: drew {len(codes)} canteen(s) ({', '.join(codes)})")


def retention(context: JobContext) -> JobOutcome:
    """Delete dismissed camera events' evidence past its days and take expired exposures off the board."""
    from canteen.camera_events.reconcile import reconcile_evidence
    from canteen.camera_events.storage import media_root
    from canteen.offences.retention import run_retention

    root = media_root(context.app.instance_path)
    result = run_retention(db.session, context.settings, root, context.now)
    db.session.commit()
    # Nightly too, not only at start-up: a web server on another host may have crashed mid-upload.
    store = reconcile_evidence(db.session, root, context.now)
    db.session.rollback()
    summary = (f"evidence of {result.media_deleted} dismissed event(s) deleted, "
               f"{result.exposures_ended} exposure(s) taken off the board; evidence store: "
               f"{len(store.published)} published, {len(store.removed)} removed")
    if store.missing:
        summary += f"; {len(store.missing)} event(s) without their files: {', '.join(store.missing[:10])}"
    return JobOutcome("ok", summary)


def close_unchanged_events(context: JobContext) -> JobOutcome:
    """Close pending camera visits that left no lasting change and waited longer than configured."""
    from canteen.review.triage import close_unchanged_events as close

    closed = close(db.session, context.settings, context.now)
    db.session.commit()
    if closed is None:
        return JobOutcome("skipped", "offences.triage.close_unchanged_after_hours is 0: never closed")
    return JobOutcome("ok", f"{closed} visit(s) without a lasting change closed as not a dump")


def chain_verify(context: JobContext) -> JobOutcome:
    """Re-compute every history chain (as ``canteen verify``); a break fails the run (and shows on the
    dashboard)."""
    from canteen.audit.verify import run_check

    check, _findings = run_check(db.session, "nightly")
    db.session.commit()
    summary = f"{check.links} link(s) in {check.streams} chain(s)"
    if not check.ok:
        return JobOutcome("failed", f"{summary}: {check.breaks} break(s); see the audit page")
    return JobOutcome("ok", f"{summary}: no break")


def _cron(settings: AppConfig, **fields: int) -> CronTrigger:
    # In the configured zone: report_hour 5 means five in the morning where the canteens are.
    return CronTrigger(timezone=settings.zone, **fields)


def all_jobs() -> list[JobSpec]:
    """Every scheduled job, in a fixed order."""
    # Triggers are built from the running app's settings when scheduled, not at import.
    return [
        JobSpec("monthly-reports", "monthly reports for the month before (all canteens, then each)",
                lambda s: _cron(s, day=s.reports.report_day, hour=s.reports.report_hour, minute=0),
                monthly_reports),
        JobSpec("missing-entries", "evening check for served meals without ledger entries",
                lambda s: _cron(s, hour=s.reports.evening_check.hour, minute=s.reports.evening_check.minute),
                missing_entries),
        JobSpec("spot-check-draw", "the month's random spot-check draw for every canteen",
                lambda s: _cron(s, day=s.reports.scheduler.spot_check_draw_day,
                                hour=s.reports.scheduler.spot_check_draw_time.hour,
                                minute=s.reports.scheduler.spot_check_draw_time.minute),
                spot_check_draw),
        JobSpec("retention", "retention clean-up: dismissed camera evidence, expired exposures",
                lambda s: _cron(s, hour=s.reports.scheduler.retention_time.hour,
                                minute=s.reports.scheduler.retention_time.minute),
                retention),
        JobSpec("close-unchanged-events", "hourly: close unreviewed camera visits without a lasting change",
                lambda s: _cron(s, minute=40), close_unchanged_events),
        JobSpec("sqlite-backup", "online backup of the SQLite database into instance/backups",
                lambda s: _cron(s, hour=s.reports.scheduler.backup_time.hour,
                                minute=s.reports.scheduler.backup_time.minute),
                sqlite_backup),
        JobSpec("chain-verify", "nightly check of every history chain (ledger, assessments, escalations)",
                lambda s: _cron(s, hour=s.reports.scheduler.verify_time.hour,
                                minute=s.reports.scheduler.verify_time.minute),
                chain_verify),
    ]
