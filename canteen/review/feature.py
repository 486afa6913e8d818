"""The review feature: the camera-event queue, camera status and their API routes."""
from __future__ import annotations

from flask import Flask
from flask_babel import gettext as _

from canteen.api.base import register_api
from canteen.core.menu import add_menu_entry
from canteen.review import api, web


def init_app(app: Flask) -> None:
    """Register the review pages, API routes and menu entries."""
    app.register_blueprint(web.bp)
    register_api(app, api.bp, api.SCHEMAS)
    add_menu_entry(app, lambda: _("Review"), "review.queue", "camera.view", 30)
    add_menu_entry(app, lambda: _("Cameras"), "review.cameras", "camera.view", 31)
