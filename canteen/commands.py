"""CLI commands; each is an entry point that commits once or rolls back."""
from __future__ import annotations

import sys
from pathlib import Path
from typing import Callable, TypeVar

import click
from flask import Flask, current_app
from flask_babel import force_locale

from canteen import migrate
from canteen.auth.models import User
from canteen.auth.services import create_token, create_user
from canteen.config import AppConfig
from canteen.errors import ServiceError
from canteen.extensions import db
from canteen.reference.services import canteen_by_code, sync_reference_data
from canteen.timeutil import parse_month

T = TypeVar("T")


def _fail(error: ServiceError) -> None:
    db.session.rollback()
    details = "; ".join(f"{field}: {text}" for field, text in error.fields.items())
    click.echo(f"error: {error.message}" + (f" ({details})" if details else ""), err=True)
    sys.exit(1)


def _system_user() -> User:
    """The account that CLI imports act as (an admin, created on first use)."""
    from sqlalchemy import select

    user = db.session.scalar(select(User).where(User.username == "system"))
    if user is None:
        import secrets
        user = create_user(db.session, "system", "admin", secrets.token_urlsafe(24), display_name="CLI")
        user.active = False  # cannot log in; it only signs CLI imports
    return user


def run_import(lang: str | None, do_import: Callable[[AppConfig, User], T]) -> T:
    """Run an all-or-nothing file import as the CLI user; print the row-by-row problems and exit 1 on failure."""
    from canteen.ledger.importer import ImportFailed

    settings = current_app.config["SETTINGS"]
    ensure_schema_current()
    try:
        # There is no request to choose a language from, so the messages need one set here.
        with force_locale(lang or settings.default_locale):
            result = do_import(settings, _system_user())
    except ImportFailed as failed:
        db.session.rollback()
        click.echo(f"error: nothing imported; {len(failed.problems)} problem(s):", err=True)
        for problem in failed.problems:
            click.echo(f"  row {problem.row}: {problem.field}: {problem.message}", err=True)
        sys.exit(1)
    except ServiceError as error:
        _fail(error)
    db.session.commit()
    return result


def ensure_schema_current() -> None:
    """Stop with a clear message when the database is not migrated to the newest schema."""
    if migrate.current_revision(db.engine) != migrate.head_revision():
        click.echo("error: the database schema is not current; run `canteen init-db` first", err=True)
        sys.exit(1)


def register_commands(app: Flask) -> None:
    """Attach the commands to ``app.cli``."""

    @app.cli.command("init-db")
    def init_db() -> None:
        """Create or migrate the database to the newest schema and load the config's reference data."""
        migrate.upgrade(db.engine)
        sync_reference_data(db.session, current_app.config["SETTINGS"])
        db.session.commit()
        click.echo(f"database ready at revision {migrate.current_revision(db.engine)}")

    @app.cli.command("create-user")
    @click.argument("username")
    @click.option("--role", required=True)
    @click.option("--canteen", "canteens", multiple=True, help="limit the user to this canteen (repeatable)")
    @click.option("--name", "display_name", default="")
    @click.option("--password-stdin", is_flag=True, required=True, help="read the password from standard input")
    def create_user_command(username: str, role: str, canteens: tuple[str, ...], display_name: str,
                            password_stdin: bool) -> None:
        """Create a user; the password is read from standard input."""
        password = sys.stdin.readline().rstrip("\n")
        try:
            create_user(db.session, username, role, password, canteen_codes=list(canteens),
                        display_name=display_name, hash_method=current_app.config["PASSWORD_HASH_METHOD"])
        except ServiceError as error:
            _fail(error)
        db.session.commit()
        click.echo(f"created {role} {username}")

    @app.cli.command("create-token")
    @click.argument("username")
    @click.option("--name", default="", help="what the token is for, e.g. 'lunch scale'")
    def create_token_command(username: str, name: str) -> None:
        """Create an API token for a user and print it (it is shown only this once)."""
        try:
            _token, secret = create_token(db.session, username, name)
        except ServiceError as error:
            _fail(error)
        db.session.commit()
        click.echo(secret)

    @app.cli.command("seed-demo")
    def seed_demo() -> None:
        """Load demo canteens, users and fifteen months of ledger data (skipped when already there)."""
        from canteen.demo.seed import DEMO_USERS, demo_password, seed_demo_data

        ensure_schema_current()
        created = seed_demo_data(db.session, current_app.config["SETTINGS"],
                                 current_app.config["PASSWORD_HASH_METHOD"])
        db.session.commit()
        click.echo("demo data loaded" if created else "demo data already present; nothing changed")
        click.echo("demo logins (user name / password):")
        for username, role, canteens, _name in DEMO_USERS:
            scope = f" ({', '.join(canteens)} only)" if canteens else ""
            click.echo(f"  {role:<11} {username} / {demo_password(username)}{scope}")

    @app.cli.command("serve")
    @click.option("--host", default="127.0.0.1", show_default=True)
    @click.option("--port", default=8000, show_default=True, type=int)
    @click.option("--threads", default=8, show_default=True, type=int)
    def serve(host: str, port: int, threads: int) -> None:
        """Run the service with the Waitress production WSGI server."""
        from waitress import serve as waitress_serve

        ensure_schema_current()
        sync_reference_data(db.session, current_app.config["SETTINGS"])
        db.session.commit()
        click.echo(f"serving on http://{host}:{port}/", err=True)
        waitress_serve(current_app._get_current_object(), host=host, port=port, threads=threads,
                       ident="canteen")

    @app.cli.command("import-ledger")
    @click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    @click.option("--lang", type=click.Choice(["zh_Hans_CN", "en"]), default=None,
                  help="language of the problem messages")
    def import_ledger(path: Path, lang: str | None) -> None:
        """Import historical ledger rows from .xlsx or .csv: all rows or none."""
        from canteen.ledger.importer import import_ledger_file

        result = run_import(lang, lambda settings, actor: import_ledger_file(
            db.session, settings, actor, path.name, path.read_bytes()))
        click.echo(f"imported {result.entries} entries and {result.diner_counts} diner counts"
                   f" ({result.skipped} rows already imported)")

    @app.cli.command("export-ledger")
    @click.option("--canteen", "canteen_code", required=True)
    @click.option("--month", required=True, help="YYYY-MM")
    @click.option("--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path))
    @click.option("--lang", type=click.Choice(["zh_Hans_CN", "en"]), default=None)
    def export_ledger(canteen_code: str, month: str, out: Path, lang: str | None) -> None:
        """Write the printable monthly ledger as .xlsx."""
        from canteen.ledger.excel import ledger_workbook_bytes
        from canteen.ledger.figures import month_ledger

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
        with force_locale(locale):
            content = ledger_workbook_bytes(month_ledger(db.session, settings, canteen, first), settings,
                                            english=locale == "en")
        tmp = out.with_name(out.name + ".part")
        tmp.write_bytes(content)
        tmp.replace(out)
        click.echo(f"wrote {out}")
