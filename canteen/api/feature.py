"""The API's own routes and app-wide JSON errors: the OpenAPI document, ``/healthz``, 404/405/413 in /api."""
from __future__ import annotations

from typing import Any

from flask import Flask, jsonify, request
from flask_babel import gettext as _
from sqlalchemy import text
from werkzeug.exceptions import HTTPException

from canteen.api.base import API_PREFIX, api_blueprint, http_error_response, register_api
from canteen.api.openapi import openapi_document
from canteen.core.guard import allow_anonymous
from canteen.extensions import db

bp = api_blueprint("api_docs", __name__, session_readable=frozenset({"openapi_json"}))


@bp.get("/openapi.json")
def openapi_json() -> Any:
    """The OpenAPI 3 document (token or logged-in session)."""
    return jsonify(openapi_document())


def healthz() -> Any:
    """``{"status": "ok"}`` when the database answers, 503 otherwise."""
    try:
        db.session.execute(text("SELECT 1"))
    except Exception:  # noqa: BLE001  (any database failure means unhealthy)
        db.session.rollback()
        return jsonify({"status": "error", "database": "unreachable"}), 503
    return jsonify({"status": "ok"})


def init_app(app: Flask) -> None:
    """The OpenAPI document, the health check and JSON answers for unknown or too large API requests."""
    register_api(app, bp)
    # On the app, not on the token-checking API blueprint: monitors call it without a token.
    app.add_url_rule("/healthz", "healthz", healthz)
    allow_anonymous(app, endpoints=("healthz",))

    # App-wide, not on the blueprints: an unknown URL or an oversized body fails before any blueprint is
    # chosen, so only these handlers can still answer /api paths in JSON.
    @app.errorhandler(413)
    def _too_large(error: HTTPException) -> Any:
        if request.path.startswith(API_PREFIX):
            return http_error_response(error, _("the request is too large"))
        return error, 413

    @app.errorhandler(404)
    def _not_found(error: HTTPException) -> Any:
        if request.path.startswith(API_PREFIX):
            return http_error_response(error, _("no such endpoint"))
        return error, 404

    @app.errorhandler(405)
    def _not_allowed(error: HTTPException) -> Any:
        if request.path.startswith(API_PREFIX):
            return http_error_response(error, _("method not allowed"))
        return error, 405
