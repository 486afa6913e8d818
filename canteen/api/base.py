"""The base of the JSON API under /api/v1: bearer tokens only, JSON errors, no 500 on bad input.

Writes need a bearer token, hence CSRF-exempt; only read-only views a feature names also accept a login
session. Every feature builds its own API blueprint with :func:`api_blueprint` and registers it from its
``init_app`` with :func:`register_api`; this module imports no feature.
"""
from __future__ import annotations

from datetime import date
from typing import Any, Mapping

from flask import Blueprint, Flask, current_app, g, jsonify, request
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.exceptions import HTTPException

from canteen.api.openapi import add_to_spec
from canteen.auth.models import User
from canteen.auth.services import user_for_token
from canteen.core.errors import FieldErrors, Forbidden, ServiceError
from canteen.core.permissions import has_permission
from canteen.core.timeutil import parse_month
from canteen.extensions import csrf, db
from canteen.reference.models import Canteen
from canteen.reference.validation import resolve_canteen

API_PREFIX = "/api/v1"


def error_response(status: int, message: str, fields: dict[str, str] | None = None) -> Any:
    """The one error shape of the API: ``{"error": ..., "fields": {...}}``."""
    response = jsonify({"error": message, "fields": fields or {}})
    response.status_code = status
    return response


def http_error_response(error: HTTPException, message: str | None = None) -> Any:
    """An HTTP error (404, 405, 413, a 400 naming a field...) in the API's error shape, with its headers."""
    response = error_response(error.code or 500, message or error.description or error.name,
                              getattr(error, "fields", None))
    # Werkzeug's headers carry meaning (a 405's Allow, a 429's Retry-After); its HTML content type does not.
    for name, value in error.get_headers():
        if name.lower() != "content-type":
            response.headers[name] = value
    return response


def api_user() -> User:
    """The user the current request's token acts for."""
    return g.api_user


def json_body() -> dict[str, Any]:
    """The request's JSON object, or a ServiceError naming what is wrong with it."""
    limit = current_app.config["MAX_JSON_BYTES"]
    too_large = _TooLarge(_("the body is larger than %(limit)s bytes", limit=limit),
                          {"body": _("at most %(limit)s bytes", limit=limit)})
    # Refused before reading when the client announces the size; chunked bodies announce none, so the bytes
    # read are checked as well.
    if request.content_length is not None and request.content_length > limit:
        raise too_large
    raw = request.get_data(cache=True)
    if len(raw) > limit:
        raise too_large
    # silent: malformed JSON gets the API's error shape, not Werkzeug's HTML 400 page.
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


def api_blueprint(name: str, import_name: str, session_readable: frozenset[str] = frozenset()) -> Blueprint:
    """A feature's API blueprint under /api/v1 with token authentication and JSON errors.

    ``session_readable`` names view functions that a logged-in browser session may also call; they must be
    read-only (no state change, so no CSRF risk).
    """
    bp = Blueprint(name, import_name, url_prefix=API_PREFIX)
    readable = {f"{name}.{view}" for view in session_readable}

    @bp.before_request
    def _authenticate() -> Any:
        header = request.headers.get("Authorization", "")
        scheme, _sep, secret = header.partition(" ")
        user = None
        if scheme.lower() == "bearer" and secret.strip():
            user = user_for_token(db.session, secret.strip())
            # Commit the token's last-used time now: the view may fail and roll its own work back.
            if user is not None:
                db.session.commit()
        # A session cookie travels with any cross-site request, so it is honoured only on read-only views.
        elif request.endpoint in readable and current_user.is_authenticated:
            user = current_user._get_current_object()
        if user is None:
            return error_response(401, _("a valid API token is required"),
                                  {"Authorization": _("send 'Authorization: Bearer <token>'")})
        g.api_user = user
        return None

    bp.register_error_handler(ServiceError, _service_error)
    bp.register_error_handler(HTTPException, _http_error)
    return bp


def _service_error(error: ServiceError) -> Any:
    # Bad input never stores anything: whatever the view flushed before failing is dropped.
    db.session.rollback()
    return error_response(error.status, error.message, error.fields)


def _http_error(error: HTTPException) -> Any:
    db.session.rollback()
    return http_error_response(error)


def register_api(app: Flask, bp: Blueprint, schemas: Mapping[str, dict[str, Any]] | None = None) -> None:
    """Register a feature's API blueprint (token-only, so CSRF-exempt); add its views to the OpenAPI spec."""
    csrf.exempt(bp)
    app.register_blueprint(bp)
    # Read after registration, so the document holds exactly the routes this app serves.
    views = [(endpoint, view) for endpoint, view in app.view_functions.items()
             if endpoint.startswith(bp.name + ".")]
    add_to_spec(app, views, schemas or {})


def canteen_and_month_args() -> tuple[Canteen, date]:
    """The ``canteen`` (in the token's scope) and ``month`` (YYYY-MM) query args; a 422 names a bad one."""
    errors = FieldErrors()
    canteen = resolve_canteen(db.session, request.args.get("canteen"), api_user(), errors)
    try:
        month = parse_month(request.args.get("month", ""))
    except ValueError:
        errors["month"] = _("expected YYYY-MM")
        month = None
    errors.raise_if_any()
    # Either value missing has left a field error, and raise_if_any has raised it.
    assert canteen is not None and month is not None
    return canteen, month
