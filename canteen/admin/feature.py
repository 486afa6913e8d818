"""The administration feature: users and API tokens."""
from __future__ import annotations

from flask import Flask
from flask_babel import gettext as _

from canteen.admin.web import bp
from canteen.core.menu import add_menu_entry


def init_app(app: Flask) -> None:
    """Register the user and token pages and their menu entry."""
    app.register_blueprint(bp)
    add_menu_entry(app, lambda: _("Users"), "admin.users", "users.manage", 90)
