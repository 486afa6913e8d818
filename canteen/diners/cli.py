"""``canteen import-diners FILE``: the meal-card system's export, all rows or none."""
from __future__ import annotations

from pathlib import Path

import click
from flask.cli import with_appcontext

from canteen.commands import run_import
from canteen.diners.importer import import_diners_file
from canteen.extensions import db


@click.command("import-diners")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--lang", type=click.Choice(["zh_Hans_CN", "en"]), default=None,
              help="language of the problem messages")
@with_appcontext
def import_diners(path: Path, lang: str | None) -> None:
    """Import diners from the meal-card system's .xlsx or .csv export: all rows or none."""
    result = run_import(lang, lambda settings, actor: import_diners_file(
        db.session, settings, actor, path.name, path.read_bytes()))
    click.echo(f"imported diners: {result.created} new, {result.updated} changed, "
               f"{result.unchanged} unchanged")
