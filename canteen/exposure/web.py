"""The public exposure board (no login): active approved exposures, large type, Chinese by default.

The blueprint is named "exposure": canteen/auth/web.py treats every endpoint of that blueprint as public, so
nothing but the board and the public images of what is on it may live here.
"""
from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app, render_template, request
from flask_babel import force_locale

from canteen.camera_events.storage import media_root
from canteen.config import AppConfig
from canteen.core.locales import LOCALES
from canteen.db import utcnow
from canteen.exposure.services import board_entries, public_snapshot_path
from canteen.extensions import db

bp = Blueprint("exposure", __name__)


def _settings() -> AppConfig:
    return current_app.config["SETTINGS"]


@bp.route("/exposure")
def board() -> Any:
    """The board: only what the configuration allows, reloading itself."""
    settings = _settings()
    board_settings = settings.offences.board
    # An unknown ?lang= falls back to the configured language instead of failing on a public screen.
    locale = request.args.get("lang") if request.args.get("lang") in LOCALES else board_settings.locale
    now = utcnow()
    with force_locale(locale):
        html = render_template("exposure/board.html", entries=board_entries(db.session, settings, now),
                               fields=board_settings.fields, refresh=board_settings.refresh_seconds,
                               english=locale == "en", updated=now.astimezone(settings.zone))
    response = current_app.make_response(html)
    # A cached board would go on showing a person after the exposure ended or was suspended.
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/exposure/snapshot/<int:escalation_id>.jpg")
def snapshot(escalation_id: int) -> Any:
    """The public image of an exposure that is on the board right now; 404 for anything else."""
    # When the board shows no snapshots, their URLs must not serve them to someone who guesses one.
    if "snapshot" not in _settings().offences.board.fields:
        abort(404)
    path = public_snapshot_path(db.session, media_root(current_app.instance_path), escalation_id, utcnow())
    if path is None:
        abort(404)
    response = current_app.response_class(path.read_bytes(), mimetype="image/jpeg")
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
