"""Every documented body field and query parameter of the API, given each hostile value, answers a 4xx.

The OpenAPI document lists the fields, so a field added later is covered without touching this test. A
valid body is the starting point (from the fuzz world's rows), and one field at a time is replaced.
"""
from __future__ import annotations

import json
from typing import Any, Callable

from flask import Flask

from tests.api.fuzz_world import build_world

# Raw JSON literals: Python's parser (which Flask uses) accepts Infinity and NaN, and a 5000-digit number.
HOSTILE_JSON = ["1e30", "1e308", "-1e308", "Infinity", "-Infinity", "NaN", "1" * 5000, "1" * 5000 + ".5",
                "-0", "-0.0", str(2**31), str(2**63), str(2**64), str(-2**63 - 1), "0.000000000000000000001",
                '"1e30"', '"1e999999"', '"Infinity"', '"nan"', '"\\u0000"', '"a\\u0000b"', '"\\ud800"',
                '"\\udfff x"', "{}", "[]", "true", "null", '""', '"20210801"', '"2021-W31-1"',
                '"0001-01-01"', '"9999-12-31"', '"9998-12-31"', '"9998-12"', '"1900-01"',
                '"0001-01-01T00:00:00+14:00"', '"9999-12-31T23:59:59-14:00"',
                '"2099-01-01T00:00:00Z"', '"x"', '"' + "x" * 5000 + '"', "[" * 36 + "]" * 36]
HOSTILE_QUERY = ["1e30", "1" * 5000, "-0", str(2**31), str(2**63), "\x00", "a\x00b", "20210801", "2021-W31-1",
                 "0001-01-01", "9999-12-31", "0001-01", "9999-12", "2021-8", "x" * 5000, "", "9998-12-31",
                 "9998-12", "1900-01-01", "1900-01"]


def _valid_bodies(ids: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """A body each input schema accepts (or refuses for a state reason only), to vary one field at a time."""
    return {
        "WasteEntryInput": {"canteen": "zonghe", "date": "2021-07-05", "meal": "lunch", "stream": "plate",
                            "weight": 1.5, "unit": "kg", "dish": "米饭", "note": "n", "client_id": "c1"},
        "DinerCountInput": {"canteen": "zonghe", "date": "2021-07-05", "meal": "lunch", "count": 100,
                            "reason": "r"},
        "AssessmentInput": {"contractor": ids["contractor"], "canteen": "zonghe", "month": "2021-08"},
        "DeductionInput": {"rule": ids["rule"], "count": 1, "note": "n", "reference": "r",
                           "ledger_day": "2021-07-05", "spot_check": ids["check_id"]},
        "WithdrawalInput": {"reason": "r"}, "AmendmentInput": {"reason": "r"},
        "DisputeInput": {"reason": "r"},
        "CommentInput": {"comment": "c"}, "AnswerInput": {"answer": "a"},
        "ProposalDecisionInput": {"key": "ledger_missing", "accept": False, "count": 1, "reason": "r"},
        "SpotCheckDrawInput": {"canteen": "zonghe", "month": "2021-09", "seed": 7},
        "SpotCheckInput": {"canteen": "zonghe", "date": "2021-07-06", "meal": "lunch", "kind": "ad_hoc",
                           "summary": "s", "checklist": {}, "reweighs": [{"stream": "plate", "weight": 1}],
                           "findings": [{"rule": ids["rule"], "count": 1}], "closes": []},
        "FindingInput": {"rule": ids["rule"], "count": 1, "note": "n", "rectify": True,
                         "rectify_by": "2021-08-01"},
        "CameraHeartbeat": {"camera": "tray-zonghe", "state": "ok", "last_frame_at": "2021-07-05T04:00:00Z",
                            "detail": "d"},
        "DinerInput": {"card_no": "H1", "name": "李四", "department": "办公室", "active": True},
        "ApprovalInput": {"note": "n"}, "RejectionInput": {"reason": "r"},
        "WarningGivenInput": {"given_at": "2021-07-05T12:00", "note": "n"},
        "LetterSentInput": {"sent_on": "2021-07-05", "note": "n"},
        "AppealInput": {"statement": "s", "received_on": "2021-07-05"},
        "AppealDecisionInput": {"outcome": "upheld", "reason": "r"},
        "ReviewInput": {"decision": "dismissed", "note": "n"},
        "LedgerMonthInput": {"canteen": "zonghe", "month": "2021-07"},
        "LedgerMonthReopenInput": {"canteen": "zonghe", "month": "2021-07", "reason": "r"},
        "CorrectionInput": {"decision": "dismissed", "note": "n", "reason": "r"},
    }


# Fields inside arrays and objects of a body: (schema, field, how to put a hostile literal there).
NESTED = [("SpotCheckInput", "reweighs[0].weight", '"reweighs": [{{"stream": "plate", "weight": {0}}}]'),
          ("SpotCheckInput", "reweighs[0].stream", '"reweighs": [{{"stream": {0}, "weight": 1}}]'),
          ("SpotCheckInput", "reweighs[0].unit",
           '"reweighs": [{{"stream": "plate", "weight": 1, "unit": {0}}}]'),
          ("SpotCheckInput", "findings[0].count", '"findings": [{{"rule": "RULE", "count": {0}}}]'),
          ("SpotCheckInput", "findings[0].rule", '"findings": [{{"rule": {0}}}]'),
          ("SpotCheckInput", "findings[0].rectify_by", '"findings": [{{"rule": "RULE", "rectify_by": {0}}}]'),
          ("SpotCheckInput", "closes[0].finding", '"closes": [{{"finding": {0}}}]'),
          ("SpotCheckInput", "checklist.x", '"checklist": {{"x": {0}}}'),
          ("SpotCheckInput", "checklist key", '"checklist": {{{0}: "ok"}}'),
          ]


def _send(client: Any, method: str, path: str, auth: dict[str, str], raw: str) -> Any:
    return client.open(f"/api/v1{path}", method=method.upper(), headers=auth, data=raw,
                       content_type="application/json")


def test_hostile_values_in_every_documented_field_answer_4xx(
        app: Flask, make_user: Callable[..., Any], make_token: Callable[[Any], str]) -> None:
    admin = make_user("admin")
    token = make_token(admin)
    auth = {"Authorization": f"Bearer {token}"}
    world = build_world(app, admin, token)
    client = app.test_client()
    document = client.get("/api/v1/openapi.json", headers=auth).get_json()
    schemas = document["components"]["schemas"]
    failures: list[str] = []
    sent = 0

    def check(method: str, path: str, what: str, send: Callable[[], Any]) -> None:
        try:
            response = send()
        # The test app propagates exceptions (TESTING) instead of answering 500: each one is a 5xx.
        except Exception as error:  # noqa: BLE001
            failures.append(f"{method} {path} {what}: {error!r:.200}")
            return
        if response.status_code >= 500:
            failures.append(f"{method} {path} {what}: {response.status_code}")

    bodies = _valid_bodies(world.ids)
    for template, operations in document["paths"].items():
        path = template
        for name, value in world.path_parameters(template).items():
            path = path.replace("{" + name + "}", str(value))
        for method, operation in operations.items():
            content = operation.get("requestBody", {}).get("content", {})
            body_schema = content.get("application/json", {}).get("schema")
            if body_schema:
                name = body_schema["$ref"].rsplit("/", 1)[1]
                base = bodies[name]
                cases = [(field, literal, lambda f, lit: _replace(base, f, lit))
                         for field in schemas[name].get("properties", {}) for literal in HOSTILE_JSON]
                rule = world.ids["rule"]
                cases += [(field, literal, lambda f, lit, t=template: _nested(base, t, lit, rule))
                          for schema, field, template in NESTED if schema == name for literal in HOSTILE_JSON]
                for field, literal, build in cases:
                    raw = build(field, literal)
                    sent += 1
                    check(method, path, f"{field}={literal[:40]}",
                          lambda: _send(client, method, path, auth, raw))
            for parameter in operation.get("parameters", ()):
                if parameter["in"] != "query":
                    continue
                for value in HOSTILE_QUERY:
                    sent += 1
                    check(method, path, f"?{parameter['name']}={value[:40]!r}",
                          lambda: client.open(f"/api/v1{path}", method=method.upper(), headers=auth,
                                              query_string={parameter["name"]: value}))
    print(f"hostile: {sent} requests")
    assert not failures, "\n".join(failures)


def _replace(base: dict[str, Any], field: str, literal: str) -> str:
    """The base body as JSON with one top-level field set to a raw literal."""
    others = json.dumps({key: value for key, value in base.items() if key != field}, ensure_ascii=False)
    return others[:-1] + (", " if len(others) > 2 else "") + f'"{field}": {literal}}}'


def _nested(base: dict[str, Any], template: str, literal: str, rule: str) -> str:
    """The base body with a nested field set to a raw literal through ``template``."""
    part = template.replace("RULE", rule).format(literal)
    key = part.split(":", 1)[0].strip().strip('"')
    others = json.dumps({k: v for k, v in base.items() if k != key}, ensure_ascii=False)
    return others[:-1] + ", " + part + "}"
