"""The JSON API under /api/v1: bearer tokens only (hence CSRF-exempt), JSON errors, no 500 on bad input."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, current_app, g, jsonify, request
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import text
from werkzeug.exceptions import HTTPException

from canteen.auth.models import User
from canteen.auth.permissions import has_permission
from canteen.auth.services import user_for_token
from canteen.errors import Forbidden, ServiceError
from canteen.extensions import csrf, db

bp = Blueprint("api", __name__, url_prefix="/api/v1")

# Endpoints reachable without a token.
OPEN_ENDPOINTS: set[str] = set()
# Read-only endpoints a logged-in browser session may also use (no state change, so no CSRF risk).
SESSION_READABLE = {"api.openapi_json"}


def error_response(status: int, message: str, fields: dict[str, str] | None = None) -> Any:
    """The one error shape of the API: ``{"error": ..., "fields": {...}}``."""
    response = jsonify({"error": message, "fields": fields or {}})
    response.status_code = status
    return response


def api_user() -> User:
    """The user the current request's token acts for."""
    return g.api_user


def json_body() -> dict[str, Any]:
    """The request's JSON object, or a ServiceError naming what is wrong with it."""
    limit = current_app.config["MAX_JSON_BYTES"]
    too_large = _TooLarge(_("the body is larger than %(limit)s bytes", limit=limit),
                          {"body": _("at most %(limit)s bytes", limit=limit)})
    if request.content_length is not None and request.content_length > limit:
        raise too_large
    raw = request.get_data(cache=True)
    if len(raw) > limit:
        raise too_large
    data = request.get_json(silent=True)
    if data is None:
        raise ServiceError(_("the body is not valid JSON"), {"body": _("expected a JSON object")})
    if not isinstance(data, dict):
        raise ServiceError(_("expected a JSON object"), {"body": _("expected a JSON object")})
    return data


def require_api(permission: str) -> None:
    """Raise Forbidden unless the token's user has ``permission``."""
    if not has_permission(api_user(), permission):
        raise Forbidden(_("your role may not do this"))


class _TooLarge(ServiceError):
    status = 413


@bp.before_request
def _authenticate() -> Any:
    if request.endpoint in OPEN_ENDPOINTS:
        return None
    header = request.headers.get("Authorization", "")
    scheme, _sep, secret = header.partition(" ")
    user = None
    if scheme.lower() == "bearer" and secret.strip():
        user = user_for_token(db.session, secret.strip())
        if user is not None:
            db.session.commit()
    elif request.endpoint in SESSION_READABLE and current_user.is_authenticated:
        user = current_user._get_current_object()
    if user is None:
        return error_response(401, _("a valid API token is required"),
                              {"Authorization": _("send 'Authorization: Bearer <token>'")})
    g.api_user = user
    return None


@bp.errorhandler(ServiceError)
def _service_error(error: ServiceError) -> Any:
    db.session.rollback()
    return error_response(error.status, error.message, error.fields)


@bp.errorhandler(HTTPException)
def _http_error(error: HTTPException) -> Any:
    db.session.rollback()
    return error_response(error.code or 500, error.description or error.name)


def register_api(app: Flask) -> None:
    """Attach every feature's API routes and exempt the token-only API from CSRF."""
    import canteen.camera_events.api  # noqa: F401  (registers routes on bp)
    import canteen.ledger.api  # noqa: F401
    import canteen.diners.api, canteen.review.api, canteen.offences.api  # noqa: F401,E401  (issue 5)
    import canteen.assessment.api  # noqa: F401  (issue 4, with the spot-check routes)
    import canteen.api.docs  # noqa: F401

    csrf.exempt(bp)
    app.register_blueprint(bp)
    app.add_url_rule("/healthz", "healthz", healthz)

    @app.errorhandler(413)
    def _too_large(error: HTTPException) -> Any:
        if request.path.startswith(bp.url_prefix or "/api"):
            return error_response(413, _("the request is too large"))
        return error, 413

    @app.errorhandler(404)
    def _not_found(error: HTTPException) -> Any:
        if request.path.startswith(bp.url_prefix or "/api"):
            return error_response(404, _("no such endpoint"))
        return error, 404

    @app.errorhandler(405)
    def _not_allowed(error: HTTPException) -> Any:
        if request.path.startswith(bp.url_prefix or "/api"):
            return error_response(405, _("method not allowed"))
        return error, 405


def healthz() -> Any:
    """``{"status": "ok"}`` when the database answers, 503 otherwise."""
    try:
        db.session.execute(text("SELECT 1"))
    except Exception:  # noqa: BLE001  (any database failure means unhealthy)
        db.session.rollback()
        return jsonify({"status": "error", "database": "unreachable"}), 503
    return jsonify({"status": "ok"})
