"""The OpenAPI 3 document, assembled from ``@document`` on each API view plus shared schemas."""
from __future__ import annotations

from typing import Any, Callable, TypeVar

F = TypeVar("F", bound=Callable[..., Any])

PATHS: dict[str, dict[str, Any]] = {}
SCHEMAS: dict[str, dict[str, Any]] = {
    "Error": {
        "type": "object", "required": ["error", "fields"],
        "properties": {"error": {"type": "string"},
                       "fields": {"type": "object", "additionalProperties": {"type": "string"}}},
    },
    "WasteEntryInput": {
        "type": "object", "required": ["canteen", "date", "meal", "stream", "weight"],
        "properties": {
            "canteen": {"type": "string", "example": "zonghe"},
            "date": {"type": "string", "format": "date"},
            "meal": {"type": "string", "example": "lunch"},
            "stream": {"type": "string", "example": "plate"},
            "weight": {"type": "number", "minimum": 0, "exclusiveMinimum": True, "example": 12.5},
            "unit": {"type": "string", "enum": ["kg", "g", "jin"], "default": "kg"},
            "dish": {"type": "string", "maxLength": 100},
            "note": {"type": "string", "maxLength": 500},
            "client_id": {"type": "string", "maxLength": 64,
                          "description": "A retry with the same client_id stores nothing new (200)."},
        },
    },
    "WasteEntry": {
        "type": "object",
        "properties": {
            "id": {"type": "integer"}, "canteen": {"type": "string"}, "date": {"type": "string", "format": "date"},
            "meal": {"type": "string"}, "stream": {"type": "string"}, "dish": {"type": "string", "nullable": True},
            "weight_g": {"type": "integer"}, "weight_kg": {"type": "number"}, "note": {"type": "string"},
            "source": {"type": "string", "enum": ["web", "api", "import"]},
            "client_id": {"type": "string", "nullable": True}, "voided": {"type": "boolean"},
            "revision": {"type": "integer"}, "created_by": {"type": "string"},
            "created_at": {"type": "string", "format": "date-time"},
        },
    },
    "WasteEntryList": {"type": "object", "properties": {
        "entries": {"type": "array", "items": {"$ref": "#/components/schemas/WasteEntry"}}}},
    "DinerCountInput": {
        "type": "object", "required": ["canteen", "date", "meal", "count"],
        "properties": {"canteen": {"type": "string"}, "date": {"type": "string", "format": "date"},
                       "meal": {"type": "string"}, "count": {"type": "integer", "minimum": 0},
                       "reason": {"type": "string", "description": "Why a stored count changes."}},
    },
    "DinerCount": {"type": "object", "properties": {
        "canteen": {"type": "string"}, "date": {"type": "string", "format": "date"}, "meal": {"type": "string"},
        "count": {"type": "integer"}, "revision": {"type": "integer"}}},
    "MonthRef": {"type": "object", "nullable": True, "properties": {
        "month": {"type": "string"}, "total_kg": {"type": "number"}, "missing_slots": {"type": "integer"}}},
    "LedgerDay": {"type": "object", "properties": {
        "date": {"type": "string", "format": "date"},
        "total_kg": {"type": "number", "nullable": True, "description": "null when no food waste was weighed"},
        "plate_kg": {"type": "number", "nullable": True}, "diners": {"type": "integer"},
        "missing_meals": {"type": "array", "items": {"type": "string"}}}},
    "Ledger": {
        "type": "object",
        "properties": {
            "canteen": {"type": "string"}, "month": {"type": "string", "example": "2021-08"},
            "total_kg": {"type": "number", "description": "Food-waste streams only (grease excluded)."},
            "other_kg": {"type": "number"},
            "by_stream": {"type": "object", "additionalProperties": {"type": "number"}},
            "by_meal": {"type": "object", "additionalProperties": {"type": "number"}},
            "by_dish": {"type": "object", "additionalProperties": {"type": "number"}},
            "days": {"type": "array", "items": {"$ref": "#/components/schemas/LedgerDay"}},
            "diner_meals": {"type": "integer"},
            "plate_g_per_diner_meal": {"type": "number", "nullable": True},
            "complete": {"type": "boolean"},
            "previous_month": {"$ref": "#/components/schemas/MonthRef"},
            "mom_change_kg": {"type": "number", "nullable": True,
                              "description": "null when the previous month has no entries"},
            "mom_change_pct": {"type": "number", "nullable": True},
            "same_month_last_year": {"$ref": "#/components/schemas/MonthRef"},
            "yoy_change_kg": {"type": "number", "nullable": True},
            "yoy_change_pct": {"type": "number", "nullable": True},
            "missing": {"type": "array", "items": {"type": "object", "properties": {
                "date": {"type": "string", "format": "date"}, "meal": {"type": "string"}}}},
            "disposals_kg": {"type": "object", "additionalProperties": {"type": "number"}},
        },
    },
}

_ERROR_STATUSES = {400: "Malformed request", 401: "Missing or invalid token", 403: "Outside the token's role or scope",
                   404: "Not found", 409: "Conflicts with stored data", 413: "Body too large",
                   422: "Invalid field values (see fields)"}


def register_schema(name: str, schema: dict[str, Any]) -> None:
    """Add a component schema (feature modules call this for their own shapes)."""
    SCHEMAS[name] = schema


def document(method: str, path: str, summary: str, *, body: str | None = None,
             query: dict[str, str] | None = None, responses: dict[int, str] | None = None,
             tag: str = "general", multipart: dict[str, Any] | None = None) -> Callable[[F], F]:
    """Describe an API view in the OpenAPI document; ``path`` is relative to /api/v1."""
    def decorator(view: F) -> F:
        operation: dict[str, Any] = {"summary": summary, "tags": [tag], "operationId": view.__name__,
                                     "responses": {}}
        parameters = [{"name": name, "in": "query", "required": False, "description": text,
                       "schema": {"type": "string"}} for name, text in (query or {}).items()]
        parameters += [{"name": part[1:-1], "in": "path", "required": True, "schema": {"type": "string"}}
                       for part in path.split("/") if part.startswith("{")]
        if parameters:
            operation["parameters"] = parameters
        if body:
            operation["requestBody"] = {"required": True, "content": {
                "application/json": {"schema": {"$ref": f"#/components/schemas/{body}"}}}}
        if multipart:
            operation["requestBody"] = {"required": True, "content": {"multipart/form-data": {"schema": multipart}}}
        for status, schema in (responses or {200: ""}).items():
            if schema == "xlsx":
                content = {"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {
                    "schema": {"type": "string", "format": "binary"}}}
            elif schema:
                content = {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}}
            else:
                content = {"application/json": {"schema": {"type": "object"}}}
            operation["responses"][str(status)] = {"description": "OK" if status < 300 else "", "content": content}
        for status, text in _ERROR_STATUSES.items():
            operation["responses"].setdefault(str(status), {"description": text, "content": {
                "application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}})
        PATHS.setdefault(path, {})[method] = operation
        return view
    return decorator


def openapi_document() -> dict[str, Any]:
    """The whole OpenAPI 3.0 document."""
    return {
        "openapi": "3.0.3",
        "info": {"title": "Canteen food-waste API", "version": "1",
                 "description": "Token-authenticated JSON API. Send `Authorization: Bearer <token>`; "
                                "tokens are created with `canteen create-token USER` or on the admin page."},
        "servers": [{"url": "/api/v1"}],
        "security": [{"bearer": []}],
        "components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
                       "schemas": SCHEMAS},
        "paths": dict(sorted(PATHS.items())),
    }
