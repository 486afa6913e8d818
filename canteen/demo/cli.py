"""``canteen seed-demo``: demo canteens, users and data for a first look at the service."""
from __future__ import annotations

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

from canteen.commands import ensure_schema_current
from canteen.demo.seed import DEMO_USERS, demo_password, seed_demo_data
from canteen.extensions import db


@click.command("seed-demo")
@with_appcontext
def seed_demo() -> None:
    """Load demo canteens, users and fifteen months of ledger data (skipped when already there)."""
    ensure_schema_current()
    created = seed_demo_data(db.session, current_app.config["SETTINGS"],
                             current_app.config["PASSWORD_HASH_METHOD"])
    db.session.commit()
    click.echo("demo data loaded" if created else "demo data already present; nothing changed")
    click.echo("demo logins (user name / password):")
    for username, role, canteens, _name in DEMO_USERS:
        scope = f" ({', '.join(canteens)} only)" if canteens else ""
        click.echo(f"  {role:<11} {username} / {demo_password(username)}{scope}")


def init_app(app: Flask) -> None:
    """Register ``seed-demo`` on the app's CLI."""
    app.cli.add_command(seed_demo)
