"""A bounded property-based run of the whole API against its own OpenAPI document (schemathesis).

Every documented operation gets generated requests, both valid by the document (positive) and violating it
(negative), with a fixed seed: no answer may be a 5xx, and every answer must be documented (status, content
type, body schema). Ids of real rows (an assessment, a deduction, a spot check, an escalation, an appeal, a
camera event) are fed to the path parameters in a second round, so the bodies reach the services behind the
id lookups too.
"""
from __future__ import annotations

from typing import Any, Callable

import schemathesis
from flask import Flask
from hypothesis import HealthCheck, Phase, given, seed, settings
from schemathesis import GenerationMode
from schemathesis.core.failures import FailureGroup

from tests.api.fuzz_world import FuzzWorld, build_world

SEED = 20211001
# Per operation, mode and round: 41 operations give a few hundred requests in all.
CASES = 4
CHECKS = [schemathesis.checks.not_a_server_error, schemathesis.checks.status_code_conformance,
          schemathesis.checks.content_type_conformance, schemathesis.checks.response_schema_conformance]


def _run_operation(operation: Any, mode: GenerationMode, auth: dict[str, str],
                   path_parameters: dict[str, Any], found: dict[str, list[str]], counter: list[int]) -> None:
    strategy = operation.as_strategy(generation_mode=mode, path_parameters=path_parameters or None)

    # Fixed seed, no example database, no deadline (tests never assert timings), no shrinking phase: every
    # failure is collected with its curl line rather than minimised.
    @seed(SEED)
    @settings(max_examples=CASES, derandomize=True, database=None, deadline=None,
              suppress_health_check=list(HealthCheck), phases=[Phase.explicit, Phase.generate])
    @given(case=strategy)
    def run(case: Any) -> None:
        counter[0] += 1
        try:
            response = case.call(headers=auth)
        # The test app propagates exceptions (TESTING) instead of answering 500: each one is a 5xx.
        except Exception as error:  # noqa: BLE001
            found.setdefault(operation.label, []).append(f"500 {error!r:.300}\n{case.as_curl_command(auth)}")
            return
        try:
            case.validate_response(response, checks=CHECKS, headers=auth)
        except FailureGroup as group:
            found.setdefault(operation.label, []).append(str(group)[:1500])

    run()


def test_generated_requests_get_no_5xx_and_only_documented_answers(
        app: Flask, make_user: Callable[..., Any], make_token: Callable[[Any], str]) -> None:
    admin = make_user("admin")
    token = make_token(admin)
    auth = {"Authorization": f"Bearer {token}"}
    world: FuzzWorld = build_world(app, admin, token)
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app, headers=auth)
    found: dict[str, list[str]] = {}
    counter = [0]
    operations = [result.ok() for result in schema.get_all_operations()]
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            _run_operation(operation, mode, auth, {}, found, counter)
            known = world.path_parameters(operation.path)
            if known:
                _run_operation(operation, mode, auth, known, found, counter)
    print(f"fuzz: {counter[0]} requests over {len(operations)} operations")
    assert len(operations) >= 40
    assert counter[0] >= 300
    assert not found, "\n".join(f"{label}:\n" + "\n".join(items[:2]) for label, items in found.items())
