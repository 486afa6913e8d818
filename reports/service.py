"""Producing monthly reports and recording each production as a ReportRun."""
from __future__ import annotations

import gc
import logging
import traceback
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import Iterator

from flask_babel import force_locale
from sqlalchemy import select
from sqlalchemy.orm import Session

from canteen.config import AppConfig
from canteen.core.timeutil import month_end
from canteen.db import utcnow
from canteen.reference.models import Canteen
from reports.models import ReportRun
from reports.monthly import build_monthly_report
from reports.render import write_report_files
from reports.storage import folder_files, report_dir, staged_folder
from reports.timing import Stopwatch

log = logging.getLogger(__name__)


def report_canteens(session: Session, month: date) -> list[Canteen]:
    """The active canteens that were open at some point of ``month``."""
    # Open at some point: a canteen opened during the month is in its report.
    return list(session.scalars(select(Canteen).where(Canteen.active.is_(True),
                                                      Canteen.opened_on <= month_end(month))
                                .order_by(Canteen.id)))


@contextmanager
def _long_lived_objects_frozen() -> Iterator[None]:
    """Keep the garbage collector to the objects made inside the block."""
    # A report makes some hundred thousand short-lived objects (matplotlib's artists hold reference cycles),
    # which sets off full collections; each would walk the whole heap of the process (app, ORM, fonts, some
    # 300,000 objects), about a tenth of a second per report. Freezing only moves objects between the
    # collector's lists, so a nested or concurrent use is harmless; unfreeze hands them back.
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def produce_report(session: Session, settings: AppConfig, month: date, canteen: Canteen | None, root: Path, *,
                   trigger: str, stored: bool = True, now: datetime | None = None,
                   locale: str | None = None, stopwatch: Stopwatch | None = None) -> ReportRun:
    """Write one monthly report folder atomically under ``root`` and add its ReportRun (flushed).

    A failure is recorded on the run, not raised: the session is rolled back first (the work only read),
    and the folder of the last good run stays as it was. ``stopwatch`` collects the seconds per phase.
    """
    target = "all" if canteen is None else canteen.code
    final = report_dir(root, month, target)
    # Timed from before the work, so a failed run shows how long it took as well.
    started = utcnow()
    canteen_id = None if canteen is None else canteen.id
    try:
        # The scheduler runs outside any request: the report's language is set here, not by a browser.
        with force_locale(locale or settings.default_locale), _long_lived_objects_frozen():
            canteens = report_canteens(session, month)
            report = build_monthly_report(session, settings, month, canteen, canteens, now, stopwatch)
            with staged_folder(final) as staging:
                write_report_files(report, staging, settings.reports.chart_svg, stopwatch)
                files = folder_files(staging)
        status, error = "ok", None
    except Exception as exc:  # noqa: BLE001 - any failure becomes the run's recorded error
        session.rollback()
        log.exception("report %s %s failed", month.strftime("%Y-%m"), target)
        files, status = [], "failed"
        error = f"{type(exc).__name__}: {exc}\n" + "".join(traceback.format_exc(limit=-3))
    run = ReportRun(month=month, canteen_id=canteen_id, target=target, directory=str(final), stored=stored,
                    files=files, trigger=trigger, status=status, error=error, started_at=started,
                    finished_at=utcnow())
    session.add(run)
    session.flush()
    return run


def report_targets(session: Session, month: date, each: bool) -> list[Canteen | None]:
    """None for the all-canteens report, then (with ``each``) every canteen open that month."""
    return [None] + (report_canteens(session, month) if each else [])
