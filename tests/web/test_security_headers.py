"""Every response carries the security headers: pages, the API, static files and error answers; and no
template holds inline script."""
from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from canteen import create_app
from canteen.auth.models import User
from canteen.config import AppConfig
from canteen.core.guard import allow_anonymous

ROOT = Path(__file__).resolve().parents[2]


def assert_hardened(response: TestResponse, what: str) -> None:
    """The headers against script injection, framing, content sniffing and leaking full URLs."""
    policy = response.headers.get("Content-Security-Policy", "")
    directives = dict((part.strip().split(" ", 1) + [""])[:2] for part in policy.split(";") if part.strip())
    assert directives.get("script-src") == "'self'", what
    assert directives.get("frame-ancestors") == "'none'", what
    assert directives.get("object-src") == "'none'", what
    assert "'unsafe-inline'" not in directives.get("default-src", ""), what
    assert response.headers.get("X-Frame-Options") == "DENY", what
    assert response.headers.get("X-Content-Type-Options") == "nosniff", what
    assert response.headers.get("Referrer-Policy") == "strict-origin-when-cross-origin", what


def test_pages_api_static_and_errors_carry_the_headers(
        app: Flask, client: FlaskClient, make_user: Callable[..., User], login: Callable[[User], FlaskClient],
        api_as: Callable[..., Any]) -> None:
    anonymous = app.test_client()
    for path, status in (("/login", 200), ("/exposure", 200), ("/healthz", 200), ("/dashboard", 302),
                         ("/api/v1/openapi.json", 401), ("/api/v1/ledger", 401),
                         ("/api/v1/no-such-endpoint", 404)):
        response = anonymous.get(path)
        assert response.status_code == status, path
        assert_hardened(response, path)
    with anonymous.get("/static/style.css") as response:
        assert response.status_code == 200
        assert_hardened(response, "static")
    assert_hardened(anonymous.post("/login", data={}), "refused login")
    assert_hardened(anonymous.delete("/api/v1/ledger"), "405")
    api = api_as("manager")
    answer = api.get("/ledger?canteen=zonghe&month=2021-07")
    assert answer.status_code == 200 and answer.is_json
    assert_hardened(answer, "API JSON")
    assert_hardened(api.post("/waste-entries", json={"weight": "x"}), "API 422")

    login(make_user("admin", username="boss"))
    for path in ("/dashboard", "/admin/users", "/review/", "/ledger/month?canteen=zonghe&month=2021-07",
                 "/api-docs"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert_hardened(response, path)
    assert_hardened(client.get("/no-such-page"), "404 page")
    with client.get("/ledger/month.xlsx?canteen=zonghe&month=2021-07") as response:
        assert response.status_code == 200
        assert_hardened(response, "download")


def test_a_server_error_page_carries_the_headers(tmp_path: Path, settings: AppConfig) -> None:
    app = create_app({"SECRET_KEY": "test-secret", "SETTINGS": settings,
                      "DATABASE_URL": f"sqlite:///{tmp_path / 'unused.db'}",
                      "INSTANCE_PATH": str(tmp_path / "instance")})

    @app.get("/explode")
    def explode() -> str:
        raise RuntimeError("boom")

    allow_anonymous(app, endpoints=("explode",))
    app.config["PROPAGATE_EXCEPTIONS"] = False
    try:
        response = app.test_client().get("/explode")
        assert response.status_code == 500
        assert_hardened(response, "500")
    finally:
        app.extensions["canteen_db"].engine.dispose()


@pytest.mark.parametrize("folder", ["canteen/templates", "reports"])
def test_no_template_holds_inline_script(folder: str) -> None:
    """The policy allows only the site's own script files: an inline script or handler would not run."""
    offenders = []
    for path in sorted((ROOT / folder).rglob("*.html")):
        text = path.read_text(encoding="utf-8")
        for match in re.finditer(r"<script\b[^>]*>", text):
            if "src=" not in match.group(0) and 'type="application/json"' not in match.group(0):
                offenders.append(f"{path.relative_to(ROOT)}: {match.group(0)}")
        offenders += [f"{path.relative_to(ROOT)}: {handler}"
                      for handler in re.findall(r"\son[a-z]+\s*=", text)]
        offenders += [f"{path.relative_to(ROOT)}: javascript: URL" for _ in re.findall(r"javascript:", text)]
    assert offenders == []
