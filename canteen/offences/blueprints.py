"""Registers the pages of camera review and the offender ladder (diners, review, offences, public board)."""
from __future__ import annotations

from flask import Flask


def register_offence_pages(app: Flask) -> None:
    """Attach the four blueprints; their menu entries register themselves on import."""
    from canteen.diners.web import bp as diners_bp
    from canteen.exposure.web import bp as exposure_bp
    from canteen.offences.web import bp as offences_bp
    from canteen.review.web import bp as review_bp

    for blueprint in (diners_bp, review_bp, offences_bp, exposure_bp):
        app.register_blueprint(blueprint)
