"""CLI commands of the review and ladder feature: ``canteen import-diners FILE`` and ``canteen retention``."""
from __future__ import annotations

from pathlib import Path

import click
from flask import Flask, current_app

from canteen.camera_events.storage import media_root
from canteen.db import utcnow
from canteen.extensions import db


def register_cli(app: Flask) -> None:
    """Attach the commands to ``app.cli``."""

    @app.cli.command("import-diners")
    @click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    @click.option("--lang", type=click.Choice(["zh_Hans_CN", "en"]), default=None,
                  help="language of the problem messages")
    def import_diners(path: Path, lang: str | None) -> None:
        """Import diners from the meal-card system's .xlsx or .csv export: all rows or none."""
        from canteen.commands import run_import
        from canteen.diners.importer import import_diners_file

        result = run_import(lang, lambda settings, actor: import_diners_file(
            db.session, settings, actor, path.name, path.read_bytes()))
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
