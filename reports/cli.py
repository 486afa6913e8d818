"""``canteen report monthly`` and ``canteen scheduler``."""
from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import NoReturn, cast

import click
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext
from werkzeug.local import LocalProxy

from canteen.commands import ensure_schema_current
from canteen.core.timeutil import parse_month
from canteen.extensions import db
from canteen.reference.models import Canteen
from canteen.reference.services import canteen_by_code


def _fail(message: str) -> NoReturn:
    click.echo(f"error: {message}", err=True)
    sys.exit(1)


@click.group("report", cls=AppGroup)
def report() -> None:
    """Produce reports on demand."""


@report.command("monthly")
@click.option("--month", required=True, help="YYYY-MM")
@click.option("--canteen", "canteen_code", default=None,
              help="one canteen's report (default: the all-canteens report)")
@click.option("--each", is_flag=True, help="also one report per canteen, as the monthly job does")
@click.option("--out", "out", default=None, type=click.Path(file_okay=False, path_type=Path),
              help="write under DIR/YYYY-MM/<canteen|all>/ (default: the instance's report store)")
@click.option("--lang", type=click.Choice(["zh_Hans_CN", "en"]), default=None)
def monthly(month: str, canteen_code: str | None, each: bool, out: Path | None, lang: str | None) -> None:
    """Write a monthly report (HTML, PDF, charts): all canteens, one canteen, or all and each."""
    from reports.service import produce_report, report_targets
    from reports.storage import store_root

    settings = current_app.config["SETTINGS"]
    try:
        first = parse_month(month)
    except ValueError:
        _fail("month: expected YYYY-MM")
    if canteen_code and each:
        _fail("canteen: --canteen and --each exclude each other")
    if canteen_code:
        canteen = canteen_by_code(db.session, canteen_code)
        if canteen is None:
            _fail(f"canteen: unknown canteen {canteen_code!r}")
        targets: list[Canteen | None] = [canteen]
    else:
        targets = report_targets(db.session, first, each)
    root = out if out is not None else store_root(current_app.instance_path)
    failed = False
    for target in targets:
        # A report written with --out lies outside the store: recorded, but not listed on /reports.
        run = produce_report(db.session, settings, first, target, root, trigger="cli", stored=out is None,
                             locale=lang)
        # One commit per report, as in the monthly job: a later failure keeps this one's record.
        db.session.commit()
        if run.status == "ok":
            click.echo(f"wrote {run.directory} ({len(run.files)} files)")
        else:
            failed = True
            click.echo(f"error: report {run.target} {month} failed; the previous files are unchanged: "
                       f"{(run.error or '').splitlines()[0]}", err=True)
    if failed:
        sys.exit(1)


@click.command("scheduler")
@click.option("--list", "list_jobs", is_flag=True, help="print each job and its next run time, then exit")
@click.option("--run-now", "run_now", default=None, metavar="JOB", help="run one job now, then exit")
@with_appcontext
def scheduler(list_jobs: bool, run_now: str | None) -> None:
    """Run the scheduled jobs (its own process, beside the web server); or list them, or run one."""
    from reports.jobs import all_jobs
    from reports.scheduler import job_by_id, next_run_times, run_forever, run_job

    # Jobs run on the scheduler's worker threads, where no app context is bound: they need the app itself,
    # not the proxy (typed as Flask, it is a werkzeug LocalProxy at run time).
    app_object = cast("LocalProxy[Flask]", current_app)._get_current_object()
    settings = app_object.config["SETTINGS"]
    if list_jobs:
        times = next_run_times(settings)
        for spec in all_jobs():
            when = times[spec.id]
            click.echo(f"{spec.id:<18} next {when.isoformat() if when else 'never':<27} {spec.description}")
        return
    if run_now:
        job = job_by_id(run_now)
        if job is None:
            _fail(f"job: unknown job {run_now!r}; jobs: {', '.join(item.id for item in all_jobs())}")
        run = run_job(app_object, job, None, "manual")
        assert run is not None  # a manual run claims no due time, so nothing else can hold it
        click.echo(f"{job.id}: {run.status}: {run.result}")
        if run.status == "failed":
            sys.exit(1)
        return
    ensure_schema_current()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    click.echo(f"scheduler running in {settings.timezone}; Ctrl-C or SIGTERM stops it", err=True)
    run_forever(app_object)


# Registered by the reporting feature's init_app (canteen/reporting/feature.py).
COMMANDS = (report, scheduler)
