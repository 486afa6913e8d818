"""``canteen verify``: re-compute every history chain, report each break in words, exit 1 on any."""
from __future__ import annotations

import sys

import click
from flask import current_app
from flask.cli import with_appcontext
from flask_babel import force_locale
from flask_babel import gettext as _

from canteen.audit.verify import run_check
from canteen.audit.words import Names, break_words
from canteen.commands import ensure_schema_current
from canteen.core.cli import fail
from canteen.core.errors import ServiceError
from canteen.extensions import db


@click.command("verify")
@click.option("--seal-existing", is_flag=True,
              help="first chain the records that have no link yet (rows older than the chain, after an "
                   "upgrade)")
@click.option("--lang", type=click.Choice(["zh_Hans_CN", "en"]), default=None, help="language of the report")
@with_appcontext
def verify_command(seal_existing: bool, lang: str | None) -> None:
    """Re-compute every chain (ledger months, assessments, escalations); exit 1 when anything was changed."""
    ensure_schema_current()
    settings = current_app.config["SETTINGS"]
    # No request to take a language from: the report needs one set explicitly.
    with force_locale(lang or settings.default_locale):
        try:
            check, findings = run_check(db.session, "cli", seal=seal_existing)
            db.session.commit()
        except ServiceError as error:
            fail(error)
        if check.sealed:
            click.echo(_("sealed %(n)s record(s) that had no chain link", n=check.sealed))
        names = Names(db.session, settings)
        for finding in findings.breaks:
            words = break_words(names, finding)
            click.echo(_("BREAK: %(where)s: %(what)s", where=words.where, what=words.what))
        click.echo(_("checked %(links)s link(s) in %(streams)s chain(s): %(n)s break(s)", links=check.links,
                     streams=check.streams, n=check.breaks))
    # Non-zero on any break, so cron or a monitoring script can alert without reading the text.
    sys.exit(1 if findings.breaks else 0)


COMMANDS = (verify_command,)
