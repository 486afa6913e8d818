"""The service's own commands (``init-db``, ``serve``) and the helpers every feature's commands share.

Each command is an entry point that commits once or rolls back.
"""
from __future__ import annotations

import sys
from typing import Callable, TypeVar, cast

import click
from flask import Flask, current_app
from flask.cli import with_appcontext
from flask_babel import force_locale
from werkzeug.local import LocalProxy

from canteen.auth.models import User
from canteen.auth.services import create_user
from canteen.config import AppConfig
from canteen.core.cli import fail
from canteen.core.errors import ServiceError
from canteen.core.startup import run_startup_tasks
from canteen.core.tabular import ImportFailed
from canteen.extensions import db
from canteen.migrate import current_revision, head_revision, upgrade
from canteen.reference.services import sync_reference_data

T = TypeVar("T")


def _system_user() -> User:
    """The account that CLI imports act as (an admin, created on first use)."""
    from sqlalchemy import select

    user = db.session.scalar(select(User).where(User.username == "system"))
    if user is None:
        import secrets
        # Imports need an actor for the revision trail; the password is random and never shown.
        user = create_user(db.session, "system", "admin", secrets.token_urlsafe(24), display_name="CLI")
        user.active = False  # cannot log in; it only signs CLI imports
    return user


def run_import(lang: str | None, do_import: Callable[[AppConfig, User], T]) -> T:
    """Run an all-or-nothing file import as the CLI user; on failure print each row's problems and exit 1."""
    settings = current_app.config["SETTINGS"]
    ensure_schema_current()
    try:
        # There is no request to choose a language from, so the messages need one set here.
        with force_locale(lang or settings.default_locale):
            result = do_import(settings, _system_user())
    except ImportFailed as failed:
        # All rows or none: rows already flushed must not reach the database.
        db.session.rollback()
        click.echo(f"error: nothing imported; {len(failed.problems)} problem(s):", err=True)
        for problem in failed.problems:
            click.echo(f"  row {problem.row}: {problem.field}: {problem.message}", err=True)
        sys.exit(1)
    except ServiceError as error:
        fail(error)
    db.session.commit()
    return result


def ensure_schema_current() -> None:
    """Stop with a clear message when the database is not migrated to the newest schema."""
    if current_revision(db.engine) != head_revision():
        click.echo("error: the database schema is not current; run `canteen init-db` first", err=True)
        sys.exit(1)


@click.command("init-db")
@with_appcontext
def init_db() -> None:
    """Create or migrate the database to the newest schema and load the config's reference data."""
    upgrade(db.engine)
    sync_reference_data(db.session, current_app.config["SETTINGS"])
    db.session.commit()
    click.echo(f"database ready at revision {current_revision(db.engine)}")


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--threads", default=8, show_default=True, type=int)
@with_appcontext
def serve(host: str, port: int, threads: int) -> None:
    """Run the service with the Waitress production WSGI server."""
    from waitress import serve as waitress_serve

    # Serving on an old schema would fail on the first request; refuse at start instead.
    ensure_schema_current()
    # Canteens, meals and streams edited in config.yaml since the last start reach the database first.
    sync_reference_data(db.session, current_app.config["SETTINGS"])
    db.session.commit()
    # The features' start-up work (e.g. repairing what a crash left in the evidence store).
    run_startup_tasks(cast("LocalProxy[Flask]", current_app)._get_current_object())
    click.echo(f"serving on http://{host}:{port}/", err=True)
    # Waitress gets the app object itself, not the context-bound proxy (Flask types the proxy as Flask).
    waitress_serve(cast("LocalProxy[Flask]", current_app)._get_current_object(), host=host, port=port,
                   threads=threads, ident="canteen")


def init_app(app: Flask) -> None:
    """Register ``init-db`` and ``serve`` on the app's CLI."""
    for command in (init_db, serve):
        app.cli.add_command(command)
