"""The OpenAPI 3 document, assembled per app from ``@document`` on each registered API view and each
feature's schemas (both handed over by :func:`canteen.api.base.register_api`)."""
from __future__ import annotations

from typing import Any, Callable, Iterable, Mapping, TypeVar, cast

from flask import Flask, current_app
from werkzeug.local import LocalProxy

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

# Any API route may answer these (token, scope, body size), so every operation documents them.
_ERROR_STATUSES = {400: "Malformed request", 401: "Missing or invalid token",
                   403: "Outside the token's role or scope", 404: "Not found",
                   409: "Conflicts with stored data", 413: "Body too large",
                   422: "Invalid field values (see fields)"}


def document(method: str, path: str, summary: str, *, body: str | None = None,
             query: dict[str, str] | None = None, responses: dict[int, str] | None = None,
             tag: str = "general", multipart: dict[str, Any] | None = None) -> Callable[[F], F]:
    """Describe an API view in the OpenAPI document; ``path`` is relative to /api/v1."""
    def decorator(view: F) -> F:
        operation: dict[str, Any] = {"summary": summary, "tags": [tag], "operationId": view.__name__,
                                     "responses": {}}
        parameters = [{"name": name, "in": "query", "required": False, "description": text,
                       "schema": {"type": "string"}} for name, text in (query or {}).items()]
        # Path parameters are read off the path template itself, so they cannot drift from the route.
        parameters += [{"name": part[1:-1], "in": "path", "required": True, "schema": {"type": "string"}}
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


def add_to_spec(app: Flask, views: Iterable[Callable[..., Any]],
                schemas: Mapping[str, dict[str, Any]]) -> None:
    """Add a feature's documented views and component schemas to the app's OpenAPI document."""
    spec = _spec(app)
    spec["schemas"].update(schemas)
    for view in views:
        for path, method, operation in getattr(view, _OPERATIONS, ()):
            spec["paths"].setdefault(path, {})[method] = operation


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
