"""The offender ladder: approvals, warnings, referrals, appeals, their API routes and ``retention``."""
from __future__ import annotations

from flask import Flask
from flask_babel import gettext as _

from canteen.api.base import register_api
from canteen.core.menu import add_menu_entry
from canteen.offences import api, web
from canteen.offences.cli import retention


def init_app(app: Flask) -> None:
    """Register the offence pages, API routes, ``retention`` and menu entries."""
    app.register_blueprint(web.bp)
    register_api(app, api.bp, api.SCHEMAS)
    app.cli.add_command(retention)
    # Positions 34-36 put the ladder after review (30, 31) and diners (33), the steps it builds on.
    add_menu_entry(app, lambda: _("Approvals"), "offences.approvals", "offences.approve", 34)
    add_menu_entry(app, lambda: _("Offences"), "offences.warnings", "offences.view", 35)
    add_menu_entry(app, lambda: _("Referrals"), "offences.referrals", "referrals.view", 36)
