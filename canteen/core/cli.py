"""What every command does with a service error: roll back, say what is wrong, exit 1."""
from __future__ import annotations

import sys
from typing import NoReturn

import click

from canteen.core.errors import ServiceError
from canteen.extensions import db


def fail(error: ServiceError) -> NoReturn:
    """Roll back, print the error and its fields, and exit 1."""
    # Whatever the command flushed before failing must not reach the database.
    db.session.rollback()
    details = "; ".join(f"{field}: {text}" for field, text in error.fields.items())
    click.echo(f"error: {error.message}" + (f" ({details})" if details else ""), err=True)
    sys.exit(1)
