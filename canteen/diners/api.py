"""Diner endpoints of the JSON API: register a diner, search the registry."""
from __future__ import annotations

from typing import Any

from flask import jsonify, request

from canteen.api.base import api_blueprint, api_user, json_body, require_api
from canteen.api.openapi import document, param, text
from canteen.diners.services import create_diner, diner_as_dict, search_diners
from canteen.extensions import db

bp = api_blueprint("diners_api", __name__)
# This feature's component schemas, added to the OpenAPI document by its init_app.
SCHEMAS: dict[str, dict[str, Any]] = {}

# A meal-card number as diners.services.CARD_PATTERN accepts it.
CARD_NO = {"type": "string", "pattern": "^[A-Za-z0-9_-]{1,32}$", "example": "100234"}
SCHEMAS["DinerInput"] = {"type": "object", "required": ["card_no", "name"], "properties": {
    "card_no": CARD_NO,
    "name": dict(text(100), minLength=1, example="张三"),
    "department": dict(text(100), example="办公室"),
    "active": {"type": "boolean", "default": True}}}
SCHEMAS["Diner"] = {"type": "object", "properties": {
    "card_no": {"type": "string"}, "name": {"type": "string"}, "department": {"type": "string"},
    "active": {"type": "boolean"}}}
SCHEMAS["DinerList"] = {"type": "object", "properties": {
    "diners": {"type": "array", "items": {"$ref": "#/components/schemas/Diner"}}}}


@bp.post("/diners")
@document("post", "/diners", "Register a diner (meal card number, name, department)", body="DinerInput",
          responses={201: "Diner"}, tag="diners")
def create_diner_api() -> Any:
    """Register one diner; a card number already registered answers 409."""
    # The revision records where each change came from: web, API, import or demo.
    diner = create_diner(db.session, api_user(), json_body(), source="api")
    db.session.commit()
    return jsonify(diner_as_dict(diner)), 201


@bp.get("/diners")
@document("get", "/diners", "Search diners by card number (prefix), name or department (contains)",
          query={"q": "search text",
                 "active": param("'1' for active cards only", {"type": "string", "enum": ["1", "0"]})},
          responses={200: "DinerList"},
          tag="diners")
def search_diners_api() -> Any:
    """Up to 50 matching diners, exact card matches first."""
    require_api("diners.view")
    diners = search_diners(db.session, request.args.get("q", ""),
                           active_only=request.args.get("active") == "1")
    return jsonify({"diners": [diner_as_dict(diner) for diner in diners]})
