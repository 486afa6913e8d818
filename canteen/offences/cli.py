"""CLI commands of the review and ladder feature: ``canteen import-diners FILE`` and ``canteen retention``."""
from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import Flask, current_app
from flask_babel import force_locale

from canteen.camera_events.storage import media_root
from canteen.db import utcnow
from canteen.errors import ServiceError
from canteen.extensions import db


def register_cli(app: Flask) -> None:
    """Attach the commands to ``app.cli``."""

    @app.cli.command("import-diners")
    @click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    @click.option("--lang", type=click.Choice(["zh_Hans_CN", "en"]), default=None,
                  help="language of the problem messages")
    def import_diners(path: Path, lang: str | None) -> None:
        """Import diners from the meal-card system's .xlsx or .csv export: all rows or none."""
        from canteen.commands import _fail, _system_user, ensure_schema_current
        from canteen.diners.importer import import_diners_file
        from canteen.ledger.importer import ImportFailed

        settings = current_app.config["SETTINGS"]
        ensure_schema_current()
        try:
            with force_locale(lang or settings.default_locale):
                result = import_diners_file(db.session, settings, _system_user(), path.name,
                                            path.read_bytes())
        except ImportFailed as failed:
            db.session.rollback()
            click.echo(f"error: nothing imported; {len(failed.problems)} problem(s):", err=True)
            for problem in failed.problems:
                click.echo(f"  row {problem.row}: {problem.field}: {problem.message}", err=True)
            sys.exit(1)
        except ServiceError as error:
            _fail(error)
        db.session.commit()
        click.echo(f"imported diners: {result.created} new, {result.updated} changed, "
                   f"{result.unchanged} unchanged")

    @app.cli.command("retention")
    def retention() -> None:
        """Delete old evidence of dismissed events and take expired exposures off the board."""
        from canteen.commands import ensure_schema_current
        from canteen.offences.retention import run_retention

        ensure_schema_current()
        try:
            result = run_retention(db.session, current_app.config["SETTINGS"],
                                   media_root(current_app.instance_path), utcnow())
            db.session.commit()
        except Exception:
            db.session.rollback()
            raise
        click.echo(f"retention: evidence of {result.media_deleted} dismissed event(s) deleted, "
                   f"{result.exposures_ended} expired exposure(s) taken off the board")
