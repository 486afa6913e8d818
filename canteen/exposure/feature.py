"""The public exposure board: open without login, by design."""
from __future__ import annotations

from flask import Flask

from canteen.core.guard import allow_anonymous
from canteen.exposure.web import bp


def init_app(app: Flask) -> None:
    """Register the board's pages and open them to visitors without a login."""
    app.register_blueprint(bp)
    allow_anonymous(app, blueprints=(bp.name,))
