"""The diners feature: the register of meal-card holders, its API routes and ``import-diners``."""
from __future__ import annotations

from flask import Flask
from flask_babel import gettext as _

from canteen.api.base import register_api
from canteen.core.menu import add_menu_entry
from canteen.diners import api, web
from canteen.diners.cli import import_diners


def init_app(app: Flask) -> None:
    """Register the diner pages, API routes, ``import-diners`` and the menu entry."""
    app.register_blueprint(web.bp)
    register_api(app, api.bp, api.SCHEMAS)
    app.cli.add_command(import_diners)
    add_menu_entry(app, lambda: _("Diners"), "diners.index", "diners.view", 33)
