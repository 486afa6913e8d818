"""``canteen reconcile-evidence``: repair the evidence folders after a crash, and the same at start-up."""
from __future__ import annotations

from datetime import timedelta

import click
from flask import current_app
from flask.cli import with_appcontext

from canteen.camera_events.reconcile import MIN_AGE, Reconciliation, reconcile_evidence
from canteen.camera_events.storage import media_root
from canteen.commands import ensure_schema_current
from canteen.extensions import db


def reconcile_now(min_age: timedelta = MIN_AGE) -> Reconciliation:
    """Reconcile the current app's evidence store; the session is left clean (it only reads)."""
    try:
        return reconcile_evidence(db.session, media_root(current_app.instance_path), min_age=min_age)
    finally:
        db.session.rollback()


def startup_reconcile() -> None:
    """At start-up: repair what a crash left, and log what cannot be repaired."""
    report = reconcile_now()
    if report.published or report.removed:
        current_app.logger.warning("evidence store: %s staged folder(s) published, %s folder(s) removed",
                                   len(report.published), len(report.removed))
    if report.missing:
        current_app.logger.error("evidence store: %s event(s) without their files: %s", len(report.missing),
                                 ", ".join(report.missing[:20]))


@click.command("reconcile-evidence")
@click.option("--min-age-minutes", default=int(MIN_AGE.total_seconds() // 60), show_default=True, type=int,
              help="leave folders younger than this alone (uploads in flight)")
@with_appcontext
def reconcile_evidence_command(min_age_minutes: int) -> None:
    """Publish staged evidence of stored events, delete folders no event has, list events without files."""
    ensure_schema_current()
    report = reconcile_now(timedelta(minutes=max(0, min_age_minutes)))
    for relative in report.published:
        click.echo(f"published staged evidence: {relative}")
    for relative in report.removed:
        click.echo(f"removed (no event refers to it): {relative}")
    for event_uuid in report.missing:
        click.echo(f"event without its evidence files: {event_uuid}", err=True)
    click.echo(f"evidence store: {len(report.published)} published, {len(report.removed)} removed, "
               f"{len(report.missing)} event(s) missing files")
