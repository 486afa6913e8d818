"""The ledger feature: monthly ledger, daily entry and import pages, its API routes and commands."""
from __future__ import annotations

from flask import Flask
from flask_babel import gettext as _

from canteen.api.base import register_api
from canteen.core.menu import add_menu_entry
from canteen.ledger import api, api_signoff, web, web_signoff
from canteen.ledger.cli import COMMANDS


def init_app(app: Flask) -> None:
    """Register the ledger pages (with the sign-off buttons), API routes, ``import-ledger``/``export-ledger``
    and menu entries."""
    app.register_blueprint(web.bp)
    app.register_blueprint(web_signoff.bp)
    register_api(app, api.bp, api.schemas(app.config["SETTINGS"]))
    register_api(app, api_signoff.bp, api_signoff.SCHEMAS)
    for command in COMMANDS:
        app.cli.add_command(command)
    add_menu_entry(app, lambda: _("Ledger"), "ledger.month_page", "ledger.view", 10)
    add_menu_entry(app, lambda: _("Daily entry"), "ledger.daily_page", "ledger.edit", 11)
    add_menu_entry(app, lambda: _("Import"), "ledger.import_page", "ledger.import", 12)
