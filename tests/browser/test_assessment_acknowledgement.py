"""The caterer in the browser: sees only its months, acknowledges one, disputes another; the assessor
answers."""
from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest
from flask import Flask
from playwright.sync_api import Page, expect

from canteen.auth.models import User
from canteen.config import AppConfig
from tests.assessment.world import keep_ledger, make_contractor, sign_in, status_of, submitted_month

pytestmark = pytest.mark.browser


def test_the_caterer_acknowledges_and_disputes(app: Flask, settings: AppConfig, page: Page,
                                               make_user: Callable[..., User],
                                               screenshot: Callable[[str], None]) -> None:
    admin = make_user("admin", username="boss")
    assessor = make_user("assessor", username="li")
    caterer = make_user("contractor", username="chef")
    contractor_id = make_contractor(app, admin, caterer)
    for month in (date(2021, 6, 1), date(2021, 7, 1)):
        keep_ledger(app, admin, month)
    june = submitted_month(app, settings, assessor, contractor_id, "2021-06",
                           [{"rule": "verified_complaint", "reference": "complaint 2021-06-03"}])
    july = submitted_month(app, settings, assessor, contractor_id, "2021-07",
                           [{"rule": "late_opening", "count": 2, "ledger_day": "2021-07-12"}])

    sign_in(page, caterer)
    page.click("nav >> text=Assessment")
    page.fill("input[name=year]", "2021")
    page.click("text=Show")
    june_cell = page.locator("td[data-month='2021-06'][data-canteen='zonghe']")
    expect(june_cell).to_contain_text("99")
    expect(june_cell).to_contain_text("Submitted")
    june_cell.locator("a").click()
    expect(page.locator("#status")).to_have_text("Submitted")
    expect(page.locator("#total")).to_have_text("99")
    # The caterer reads, and answers; it cannot deduct or see the assessors' tools.
    expect(page.locator("#deduction-form")).to_have_count(0)
    expect(page.locator("#workflow")).to_have_count(0)
    page.fill("#response-text", "Agreed.")
    page.click("#acknowledge")
    expect(page.locator(".flash.success")).to_contain_text("Acknowledged; the month is final.")
    expect(page.locator("#status")).to_have_text("Final")
    expect(page.locator("#respond")).to_have_count(0)
    assert status_of(app, june) == ("final", "acknowledged", "Agreed.")
    screenshot("caterer-acknowledged")

    page.goto(f"/assessment/{july}")
    expect(page.locator("#total")).to_have_text("96")
    page.click("#dispute")
    expect(page.locator(".flash.error")).to_contain_text("a dispute needs a reason")
    assert status_of(app, july)[0] == "submitted"
    page.fill("#response-text", "The power failed on 12 July; the late opening was reported.")
    page.click("#dispute")
    expect(page.locator(".flash.success")).to_contain_text("Dispute sent to the assessor.")
    expect(page.locator("#status")).to_have_text("Disputed")
    assert status_of(app, july)[:2] == ("disputed", "disputed")

    page.click("#logout")
    sign_in(page, assessor)
    page.goto(f"/assessment/{july}")
    page.fill("#amend-reason", "power failure confirmed: one late opening only")
    page.click("#amend")
    expect(page.locator("#status")).to_have_text("Being amended")
    line = page.locator("tr[data-item='punctuality'] li[data-line]")
    line.locator("summary").click()
    line.locator("input[name=reason]").fill("replaced by one occurrence")
    line.locator("button.danger").click()
    page.select_option("#rule", "late_opening")
    page.fill("#count", "1")
    page.fill("#ledger_day", "2021-07-19")
    page.click("#apply")
    expect(page.locator("#total")).to_have_text("98")
    page.fill("#answer-text", "Agreed for the 12th; the 19th stands.")
    page.click("#answer")
    expect(page.locator(".flash.success")).to_contain_text("Answer recorded; the month is final.")
    expect(page.locator("#status")).to_have_text("Final")
    expect(page.locator("#revisions tbody tr")).to_have_count(2)
    expect(page.locator("#withdrawn")).to_contain_text("replaced by one occurrence")
    assert status_of(app, july)[0] == "final"
    screenshot("assessor-answered")
