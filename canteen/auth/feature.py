"""The accounts feature: login, logout and language pages, the login requirement and account commands."""
from __future__ import annotations

from flask import Flask

from canteen.auth.cli import COMMANDS
from canteen.auth.web import bp, init_login


def init_app(app: Flask) -> None:
    """Register the login pages, the app-wide login guard and ``create-user``/``create-token``."""
    init_login(app)
    app.register_blueprint(bp)
    for command in COMMANDS:
        app.cli.add_command(command)
