"""The OpenAPI 3 document, assembled per app from ``@document`` on each registered API view and each
feature's schemas (both handed over by :func:`canteen.api.base.register_api`)."""
from __future__ import annotations

import re
from typing import Any, Callable, Iterable, Mapping, TypeVar, cast

from flask import Flask, current_app
from werkzeug.local import LocalProxy

from canteen.core.validation import DB_ID_MAX

F = TypeVar("F", bound=Callable[..., Any])

_KEY = "canteen_openapi"
_OPERATIONS = "openapi_operations"  # the attribute ``@document`` leaves on a view
BASE_SCHEMAS: dict[str, dict[str, Any]] = {
    "Error": {
        "type": "object", "required": ["error", "fields"],
        "properties": {"error": {"type": "string"},
                       "fields": {"type": "object", "additionalProperties": {"type": "string"}}},
    },
}

# What the bounded ``int`` path converter (canteen.core.inputguard) matches: a database row id.
ID_SCHEMA = {"type": "integer", "minimum": 1, "maximum": DB_ID_MAX}
_RULE_PARAM = re.compile(r"<(?:(\w+)(?:\([^)]*\))?:)?(\w+)>")

# Shapes of the values the services parse (canteen.core.validation), for the features' schemas.
CODE = {"type": "string", "pattern": "^[a-z][a-z0-9_-]{0,31}$", "description": "a code of config.yaml"}
DAY = {"type": "string", "format": "date", "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$",
       "description": "YYYY-MM-DD, from 1900-01-01 to 9998-12-31"}
MONTH = {"type": "string", "pattern": "^[0-9]{4}-(0[1-9]|1[0-2])$", "example": "2021-07",
         "description": "YYYY-MM"}
TIME = {"type": "string", "format": "date-time",
        "description": "ISO 8601 with a zone (Z or +08:00), from 2000 to a few minutes from now"}


def text(limit: int, description: str = "") -> dict[str, Any]:
    """A text field of at most ``limit`` characters (after trimming); NUL and lone surrogates are refused."""
    schema: dict[str, Any] = {"type": "string", "maxLength": limit}
    if description:
        schema["description"] = description
    return schema


# Any API route may answer these (token, scope, body size), so every operation documents them.
_ERROR_STATUSES = {400: "Malformed request", 401: "Missing or invalid token",
                   403: "Outside the token's role or scope", 404: "Not found",
                   409: "Conflicts with stored data", 413: "Body too large",
                   422: "Invalid field values (see fields)"}


def param(description: str, schema: dict[str, Any] | None = None, required: bool = False) -> dict[str, Any]:
    """A query or path parameter's description, schema (default: a string) and whether it is required."""
    return {"description": description, "schema": schema or {"type": "string"}, "required": required}


def document(method: str, path: str, summary: str, *, body: str | None = None,
             query: Mapping[str, str | dict[str, Any]] | None = None,
             path_params: Mapping[str, dict[str, Any]] | None = None,
             responses: dict[int, str] | None = None, tag: str = "general",
             multipart: dict[str, Any] | None = None) -> Callable[[F], F]:
    """Describe an API view in the OpenAPI document; ``path`` is relative to /api/v1.

    ``query`` maps each query parameter to a description or a :func:`param`; ``path_params`` gives schemas for
    path parameters that are not integer ids (those are typed from the route's converter).
    """
    def decorator(view: F) -> F:
        operation: dict[str, Any] = {"summary": summary, "tags": [tag], "operationId": view.__name__,
                                     "responses": {}}
        parameters = []
        for name, spec in (query or {}).items():
            spec = param(spec) if isinstance(spec, str) else spec
            parameters.append({"name": name, "in": "query", **spec})
        # Path parameters are read off the path template itself, so they cannot drift from the route.
        parameters += [{"name": part[1:-1], "in": "path", "required": True,
                        "schema": dict((path_params or {}).get(part[1:-1], {"type": "string"}))}
                       for part in path.split("/") if part.startswith("{")]
        if parameters:
            operation["parameters"] = parameters
        if body:
            operation["requestBody"] = {"required": True, "content": {
                "application/json": {"schema": {"$ref": f"#/components/schemas/{body}"}}}}
        if multipart:
            operation["requestBody"] = {"required": True,
                                        "content": {"multipart/form-data": {"schema": multipart}}}
        for status, schema in (responses or {200: ""}).items():
            if schema == "xlsx":
                content = {"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {
                    "schema": {"type": "string", "format": "binary"}}}
            elif schema:
                content = {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}}
            else:
                content = {"application/json": {"schema": {"type": "object"}}}
            operation["responses"][str(status)] = {"description": "OK" if status < 300 else "",
                                                   "content": content}
        for status, text in _ERROR_STATUSES.items():
            operation["responses"].setdefault(str(status), {"description": text, "content": {
                "application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}})
        # Kept on the view: the spec lists only views an app registers (see add_to_spec).
        view.__dict__.setdefault(_OPERATIONS, []).append((path, method, operation))
        return view
    return decorator


def _spec(app: Flask) -> dict[str, dict[str, Any]]:
    return app.extensions.setdefault(_KEY, {"paths": {}, "schemas": dict(BASE_SCHEMAS)})


def _typed_path_parameters(app: Flask, endpoint: str, operation: dict[str, Any]) -> dict[str, Any]:
    """The operation with each path parameter the route converts with ``int`` typed as a bounded id."""
    converters = {name: converter for rule in app.url_map.iter_rules(endpoint)
                  for converter, name in _RULE_PARAM.findall(rule.rule)}
    parameters = [dict(item, schema=dict(ID_SCHEMA))
                  if item["in"] == "path" and converters.get(item["name"]) == "int" else item
                  for item in operation.get("parameters", ())]
    return dict(operation, parameters=parameters) if parameters else operation


def add_to_spec(app: Flask, views: Iterable[tuple[str, Callable[..., Any]]],
                schemas: Mapping[str, dict[str, Any]]) -> None:
    """Add a feature's documented (endpoint, view) pairs and component schemas to the OpenAPI document."""
    spec = _spec(app)
    spec["schemas"].update(schemas)
    for endpoint, view in views:
        for path, method, operation in getattr(view, _OPERATIONS, ()):
            spec["paths"].setdefault(path, {})[method] = _typed_path_parameters(app, endpoint, operation)


def openapi_document(app: Flask | None = None) -> dict[str, Any]:
    """The whole OpenAPI 3.0 document of ``app`` (default: the current app)."""
    # Flask declares current_app as Flask though it is a proxy; the cast lets mypy see the proxy's accessor.
    spec = _spec(app or cast("LocalProxy[Flask]", current_app)._get_current_object())
    return {
        "openapi": "3.0.3",
        "info": {"title": "Canteen food-waste API", "version": "1",
                 "description": "Token-authenticated JSON API. Send `Authorization: Bearer <token>`; "
                                "tokens are created with `canteen create-token USER` or on the admin page."},
        "servers": [{"url": "/api/v1"}],
        "security": [{"bearer": []}],
        "components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
                       "schemas": dict(spec["schemas"])},
        # Sorted, so the document does not depend on the order the features registered in.
        "paths": dict(sorted(spec["paths"].items())),
    }
