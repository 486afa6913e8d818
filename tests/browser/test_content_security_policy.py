"""The main pages run under the Content-Security-Policy without a single violation, and the policy really
stops an injected inline script."""
from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from flask import Flask
from playwright.sync_api import ConsoleMessage, Page, expect

from canteen.auth.models import User
from canteen.config import AppConfig
from canteen.core.timeutil import local_today
from tests.offences.helpers import add_diner, add_event, recent, service_session

pytestmark = pytest.mark.browser

# Collects every violation the page reports, whatever the console says about it.
RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__cspViolations.push(e.violatedDirective + " " + (e.blockedURI || "inline"));
});
"""


def _watch(page: Page) -> list[str]:
    """Console lines about the Content Security Policy, collected as the pages load."""
    lines: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text or "Content-Security-Policy" in message.text:
            lines.append(message.text)

    page.on("console", on_console)
    page.add_init_script(RECORD_VIOLATIONS)
    return lines


def _open(page: Page, path: str) -> None:
    """Open a page; it must carry the policy and have the headers against framing and sniffing."""
    response = page.goto(path)
    assert response is not None and response.ok, path
    headers = response.headers
    assert "script-src 'self'" in headers.get("content-security-policy", ""), path
    assert "frame-ancestors 'none'" in headers["content-security-policy"], path
    assert headers.get("x-frame-options") == "DENY", path
    assert headers.get("x-content-type-options") == "nosniff", path
    page.wait_for_load_state("load")


def test_main_pages_report_no_policy_violation(app: Flask, settings: AppConfig, page: Page,
                                               make_user: Callable[..., User],
                                               log_in: Callable[..., None]) -> None:
    admin = make_user("admin", username="boss")
    uploader = make_user("manager", username="camera")
    with service_session(app) as session:
        add_diner(session, admin, "1001", "张三", "办公室")
        event = add_event(app, session, uploader, recent(0.2)).uuid
    console = _watch(page)
    _open(page, "/login")
    log_in(admin)
    day = (local_today(settings.zone) - timedelta(days=1)).isoformat()
    month = day[:7]
    for path in ("/dashboard", f"/ledger/daily?canteen=zonghe&day={day}",
                 f"/ledger/month?canteen=zonghe&month={month}",
                 "/review/", f"/review/events/{event}", "/offences/exposures", "/offences/approvals",
                 "/admin/users", "/account/password", "/diners/", "/assessment/", "/spot-checks/", "/reports",
                 "/api-docs", "/exposure"):
        _open(page, path)
        assert page.evaluate("window.__cspViolations") == [], path
    # The moved scripts still run: the event page's diner search fills its list as the reviewer types.
    _open(page, f"/review/events/{event}")
    page.keyboard.press("c")
    page.keyboard.type("1001")
    expect(page.locator("#diner-options option")).to_have_count(1)
    expect(page.locator("#diner-hit")).to_contain_text("张三")
    assert page.evaluate("window.__cspViolations") == []
    assert console == []


def test_an_injected_inline_script_is_refused(app: Flask, page: Page, make_user: Callable[..., User],
                                              log_in: Callable[..., None]) -> None:
    console = _watch(page)
    log_in(make_user("manager", username="wang"))
    # What a stored XSS would amount to: a script element written into the page.
    page.evaluate("""() => {
      const script = document.createElement("script");
      script.textContent = "window.__injected = true";
      document.body.appendChild(script);
    }""")
    page.wait_for_function("window.__cspViolations.length > 0")
    assert page.evaluate("window.__injected === undefined")
    assert any("script-src" in item for item in page.evaluate("window.__cspViolations"))
    assert console, "the browser reports the refused script on the console"
