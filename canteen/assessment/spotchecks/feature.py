"""The spot-check feature: check pages, API routes and the draw commands."""
from __future__ import annotations

from flask import Flask
from flask_babel import gettext as _

from canteen.api.base import register_api
from canteen.core.menu import add_menu_entry
from canteen.assessment.spotchecks import api, web
from canteen.assessment.spotchecks.cli import COMMANDS


def init_app(app: Flask) -> None:
    """Register the spot-check pages, API routes, the draw and verify commands and the menu entry."""
    app.register_blueprint(web.bp)
    register_api(app, api.bp, api.SCHEMAS)
    for command in COMMANDS:
        app.cli.add_command(command)
    add_menu_entry(app, lambda: _("Spot checks"), "spotchecks.index", "spotcheck.view", 21)
