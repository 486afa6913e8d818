"""The audit feature: the audit pages, their menu entry and the ``verify`` command."""
from __future__ import annotations

from flask import Flask
from flask_babel import gettext as _

from canteen.audit import web
from canteen.audit.cli import COMMANDS
from canteen.core.menu import add_menu_entry


def init_app(app: Flask) -> None:
    """Register the audit pages, the ``verify`` command and the menu entry (admins, discipline office)."""
    app.register_blueprint(web.bp)
    for command in COMMANDS:
        app.cli.add_command(command)
    add_menu_entry(app, lambda: _("Audit"), "audit.journal_page", "audit.view", 49)
