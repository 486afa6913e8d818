"""The ``canteen`` console script: Flask's CLI group bound to the app factory."""
from __future__ import annotations

import sys

import click
from flask import Flask
from flask.cli import FlaskGroup

from canteen.config import ConfigError


def _create_app() -> Flask:
    # Imported late so that a bad config.yaml fails inside main(), which turns ConfigError into a message.
    from canteen import create_app

    return create_app()


@click.group(cls=FlaskGroup, create_app=_create_app, add_default_commands=False, load_dotenv=False)
def cli() -> None:
    """Food-waste ledger service for office canteens."""


def main() -> None:
    """Entry point; a bad config file ends the process with the key's path, not a traceback."""
    try:
        cli.main(prog_name="canteen")
    except ConfigError as exc:
        click.echo(f"configuration error: {exc}", err=True)
        sys.exit(2)


if __name__ == "__main__":
    main()
