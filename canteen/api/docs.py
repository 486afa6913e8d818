"""Serves the OpenAPI document and its human-readable page."""
from __future__ import annotations

from typing import Any

from flask import jsonify

from canteen.api.blueprint import bp
from canteen.api.openapi import openapi_document


@bp.get("/openapi.json")
def openapi_json() -> Any:
    """The OpenAPI 3 document (token or logged-in session)."""
    return jsonify(openapi_document())
