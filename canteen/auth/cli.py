"""CLI commands of the accounts feature: ``canteen create-user`` and ``canteen create-token``."""
from __future__ import annotations

import sys

import click
from flask import current_app
from flask.cli import with_appcontext

from canteen.auth.services import create_token, create_user
from canteen.core.cli import fail
from canteen.core.errors import ServiceError
from canteen.extensions import db


@click.command("create-user")
@click.argument("username")
@click.option("--role", required=True)
@click.option("--canteen", "canteens", multiple=True, help="limit the user to this canteen (repeatable)")
@click.option("--name", "display_name", default="")
@click.option("--password-stdin", is_flag=True, required=True, help="read the password from standard input")
@with_appcontext
def create_user_command(username: str, role: str, canteens: tuple[str, ...], display_name: str,
                        password_stdin: bool) -> None:
    """Create a user; the password is read from standard input."""
    # Never an argument (visible in `ps` and shell history); strip only the newline, spaces may be meant.
    password = sys.stdin.readline().rstrip("\n")
    try:
        create_user(db.session, username, role, password, canteen_codes=list(canteens),
                    display_name=display_name, hash_method=current_app.config["PASSWORD_HASH_METHOD"])
    except ServiceError as error:
        fail(error)
    db.session.commit()
    click.echo(f"created {role} {username}")


@click.command("create-token")
@click.argument("username")
@click.option("--name", default="", help="what the token is for, e.g. 'lunch scale'")
@with_appcontext
def create_token_command(username: str, name: str) -> None:
    """Create an API token for a user and print it (it is shown only this once)."""
    try:
        _token, secret = create_token(db.session, username, name)
    except ServiceError as error:
        fail(error)
    db.session.commit()
    click.echo(secret)


COMMANDS = (create_user_command, create_token_command)
