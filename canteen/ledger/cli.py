"""CLI commands of the ledger: ``canteen import-ledger FILE`` and ``canteen export-ledger``."""
from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from flask_babel import force_locale

from canteen.commands import run_import
from canteen.core.timeutil import parse_month
from canteen.extensions import db
from canteen.ledger.excel import ledger_workbook_bytes
from canteen.ledger.importer import import_ledger_file
from canteen.ledger.figures import month_ledger
from canteen.ledger.signoff import month_signoff
from canteen.reference.services import canteen_by_code


@click.command("import-ledger")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--lang", type=click.Choice(["zh_Hans_CN", "en"]), default=None,
              help="language of the problem messages")
@with_appcontext
def import_ledger(path: Path, lang: str | None) -> None:
    """Import historical ledger rows from .xlsx or .csv: all rows or none."""
    # The file name only tells the importer the format; its bytes are all it reads.
    result = run_import(lang, lambda settings, actor: import_ledger_file(
        db.session, settings, actor, path.name, path.read_bytes()))
    click.echo(f"imported {result.entries} entries and {result.diner_counts} diner counts"
               f" ({result.skipped} rows already imported)")


@click.command("export-ledger")
@click.option("--canteen", "canteen_code", required=True)
@click.option("--month", required=True, help="YYYY-MM")
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--lang", type=click.Choice(["zh_Hans_CN", "en"]), default=None)
@with_appcontext
def export_ledger(canteen_code: str, month: str, out: Path, lang: str | None) -> None:
    """Write the printable monthly ledger as .xlsx."""
    settings = current_app.config["SETTINGS"]
    canteen = canteen_by_code(db.session, canteen_code)
    if canteen is None:
        click.echo(f"error: canteen: unknown canteen {canteen_code!r}", err=True)
        sys.exit(1)
    try:
        first = parse_month(month)
    except ValueError:
        click.echo("error: month: expected YYYY-MM", err=True)
        sys.exit(1)
    locale = lang or settings.default_locale
    # No request to take a language from: the headings need one set explicitly.
    with force_locale(locale):
        content = ledger_workbook_bytes(month_ledger(db.session, settings, canteen, first), settings,
                                        english=locale == "en",
                                        signoff=month_signoff(db.session, canteen, first))
    # Written aside, then renamed: a reader never sees half a workbook under the final name.
    tmp = out.with_name(out.name + ".part")
    tmp.write_bytes(content)
    tmp.replace(out)
    click.echo(f"wrote {out}")


COMMANDS = (import_ledger, export_ledger)
