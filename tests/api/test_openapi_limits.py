"""The OpenAPI document states the limits the server enforces: ids, lengths, ranges, enums (issue 10).

What the document promises is checked against the server by the fuzz run (tests/api/test_fuzz.py) and the
hostile-value run (tests/api/test_hostile_fields.py); this test keeps the promises from being left out.
"""
from __future__ import annotations

from typing import Any, Iterator

from canteen.core.validation import DB_ID_MAX

# Free text the server takes at any length or value: a search term, a proposal key (an unknown one is a
# 404), a heartbeat's detail (cut to 500 characters, not refused) and the camera event's JSON text.
UNBOUNDED = {"q", "key", "detail", "event"}


def _inputs(document: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every value a client sends: properties of request bodies (nested too) and query/path parameters."""
    schemas = document["components"]["schemas"]

    def walk(where: str, schema: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
        if "$ref" in schema:
            yield from walk(where, schemas[schema["$ref"].rsplit("/", 1)[1]])
        elif schema.get("type") == "object":
            for name, child in schema.get("properties", {}).items():
                yield from walk(name, child)
            if isinstance(schema.get("additionalProperties"), dict):
                yield from walk(where, schema["additionalProperties"])
        elif schema.get("type") == "array":
            yield from walk(where, schema["items"])
        else:
            yield where, schema

    for operations in document["paths"].values():
        for operation in operations.values():
            for parameter in operation.get("parameters", ()):
                yield parameter["name"], parameter["schema"]
            for content in operation.get("requestBody", {}).get("content", {}).values():
                yield from walk("body", content["schema"])


def test_every_integer_and_string_a_client_sends_is_bounded(api_as: Any) -> None:
    document = api_as("admin").get("/openapi.json").get_json()
    unbounded = []
    for name, schema in _inputs(document):
        if schema.get("type") == "integer" and ("minimum" not in schema or "maximum" not in schema):
            unbounded.append(name)
        elif schema.get("type") == "number" and "minimum" not in schema:
            unbounded.append(name)
        elif (schema.get("type") == "string" and name not in UNBOUNDED
              and not {"maxLength", "enum", "pattern", "format"} & set(schema)):
            unbounded.append(name)
    assert unbounded == []


def test_path_ids_are_the_database_integer_range(api_as: Any) -> None:
    document = api_as("admin").get("/openapi.json").get_json()
    ids = [parameter["schema"] for operations in document["paths"].values()
           for operation in operations.values() for parameter in operation.get("parameters", ())
           if parameter["in"] == "path" and parameter["schema"].get("type") == "integer"]
    assert len(ids) >= 15
    assert all((schema["minimum"], schema["maximum"]) == (1, DB_ID_MAX) for schema in ids)
    weight = document["components"]["schemas"]["WasteEntryInput"]["properties"]["weight"]
    # 500 kg in grams, the unit with the largest number: config.yaml's ledger.max_entry_kg.
    assert (weight["minimum"], weight["exclusiveMinimum"], weight["maximum"]) == (0, True, 500_000)
