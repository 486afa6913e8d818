"""The assessment feature: the caterer's monthly assessment pages, contractors, reports and API routes."""
from __future__ import annotations

from flask import Flask
from flask_babel import gettext as _

from canteen.api.base import register_api
from canteen.assessment import api, web, web_contractors, web_reports
from canteen.core.menu import add_menu_entry

# The assessment pages are one blueprint (endpoints "assessment.*") whose views are spread over three modules;
# web_contractors and web_reports add theirs to web.bp. Naming all three here keeps that wiring visible.
PAGE_MODULES = (web, web_contractors, web_reports)


def init_app(app: Flask) -> None:
    """Register the assessment pages, API routes and menu entries."""
    app.register_blueprint(PAGE_MODULES[0].bp)
    register_api(app, api.bp, api.SCHEMAS)
    add_menu_entry(app, lambda: _("Assessment"), "assessment.index", "assessment.view", 20)
    add_menu_entry(app, lambda: _("Contractors"), "assessment.contractors", "contractors.manage", 23)
