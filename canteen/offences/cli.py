"""``canteen retention``: the offender ladder's clean-up of old evidence and expired exposures."""
from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext

from canteen.camera_events.storage import media_root
from canteen.commands import ensure_schema_current
from canteen.db import utcnow
from canteen.extensions import db
from canteen.offences.retention import run_retention


@click.command("retention")
@with_appcontext
def retention() -> None:
    """Delete old evidence of dismissed events and take expired exposures off the board."""
    ensure_schema_current()
    try:
        result = run_retention(db.session, current_app.config["SETTINGS"],
                               media_root(current_app.instance_path), utcnow())
        # One commit for the whole run: after a failure nothing is half-logged and the next run redoes it.
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    click.echo(f"retention: evidence of {result.media_deleted} dismissed event(s) deleted, "
               f"{result.exposures_ended} expired exposure(s) taken off the board")
