"""The assessor's month in the browser: open a draft, decide the proposals from data, deduct, submit,
print."""
from __future__ import annotations

import io
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import Page, expect
from pypdf import PdfReader
from sqlalchemy import select

from canteen.assessment.models import Assessment, ProposalDecision
from canteen.auth.models import User
from canteen.config import AppConfig
from canteen.extensions import db
from canteen.assessment.spotchecks.draw import draw_month
from canteen.assessment.spotchecks.services import record_check
from tests.assessment.world import LATER, keep_ledger, make_contractor, sign_in

pytestmark = pytest.mark.browser

JULY = date(2021, 7, 1)


def spot_check_with_a_finding(app: Flask, settings: AppConfig, assessor: User) -> int:
    """July's draw at zonghe and one recorded check that found a missing food sample."""
    with app.test_request_context():
        actor = db.session.get(User, assessor.id)
        draw = draw_month(db.session, settings, actor, {"canteen": "zonghe", "month": "2021-07", "seed": 8},
                          now=LATER)
        slot = draw.slots[0]
        check = record_check(db.session, settings, actor, {
            "canteen": "zonghe", "date": slot.day.isoformat(), "meal": slot.meal_code, "slot": slot.id,
            "findings": [{"rule": "missing_sample", "note": "no sample of the fish"}]}, now=LATER)
        db.session.commit()
        return check.id


def test_the_assessors_month(app: Flask, settings: AppConfig, page: Page, make_user: Callable[..., User],
                             screenshot: Callable[[str], None]) -> None:
    admin = make_user("admin", username="boss")
    assessor = make_user("assessor", username="li")
    make_contractor(app, admin)
    # Two July meals were never entered in the ledger: the service proposes two deductions for them.
    keep_ledger(app, admin, JULY, skip={(date(2021, 7, 5), "lunch"), (date(2021, 7, 6), "dinner")})
    check_id = spot_check_with_a_finding(app, settings, assessor)
    sign_in(page, assessor)

    page.click("nav >> text=Assessment")
    page.wait_for_url("**/assessment/")
    page.select_option("#open-canteen", "zonghe")
    page.fill("#open-month", "2021-07")
    page.click("#open-draft")
    expect(page.locator(".flash.success")).to_contain_text("Draft opened.")
    expect(page.locator("#status")).to_have_text("Draft")
    expect(page.locator("#total")).to_have_text("100")
    expect(page.locator("#grade")).to_have_text("Excellent")
    expect(page.locator("#fee")).to_have_text("200,000.00")

    missing = page.locator("#proposals .proposal[data-key='ledger_missing']")
    expect(missing).to_contain_text("proposed: 2")
    expect(missing).to_contain_text("2021-07-05 lunch")
    finding = page.locator("#proposals .proposal[data-key^='finding:']")
    expect(finding).to_contain_text(f"spot check #{check_id}")
    screenshot("assessment-draft")

    # Submitting before the proposals are decided is refused, naming what is missing.
    page.click("#submit")
    expect(page.locator(".flash.error")).to_contain_text("decide the proposals from data first")
    expect(page.locator("#status")).to_have_text("Draft")

    missing.locator("button.accept").click()
    expect(page.locator(".flash.success")).to_contain_text("Proposal accepted.")
    expect(page.locator("#total")).to_have_text("98")

    # Overriding without a reason is refused; with a reason it is kept.
    finding = page.locator("#proposals .proposal[data-key^='finding:']")
    finding.locator("input[name=count]").fill("0")
    finding.locator("button.override").click()
    expect(page.locator(".flash.error")).to_contain_text("reason")
    finding = page.locator("#proposals .proposal[data-key^='finding:']")
    finding.locator("input[name=count]").fill("0")
    finding.locator("input[name=reason]").fill("the sample was in the second fridge")
    finding.locator("button.override").click()
    expect(page.locator(".flash.success")).to_contain_text("Proposal overridden.")
    expect(page.locator("#proposals .proposal[data-key^='finding:']")).to_contain_text(
        "the sample was in the second fridge")
    expect(page.locator("#total")).to_have_text("98")

    # A deduction by rule, with a ledger day as evidence.
    page.select_option("#rule", "late_opening")
    page.fill("#count", "1")
    page.fill("#ledger_day", "2021-07-12")
    page.fill("#note", "lunch opened 12 minutes late")
    page.click("#apply")
    expect(page.locator(".flash.success")).to_contain_text("Deduction applied.")
    punctuality = page.locator("tr[data-item='punctuality']")
    expect(punctuality.locator("td.score")).to_have_text("8")
    expect(punctuality).to_contain_text("lunch opened 12 minutes late")
    expect(page.locator("#total")).to_have_text("96")

    # A deduction worth more than its item is refused and nothing changes.
    page.select_option("#rule", "menu_not_published")
    page.fill("#points", "11")
    page.fill("#reference", "menu board")
    page.click("#apply")
    expect(page.locator(".flash.error")).to_contain_text("more than the item's 10 points")
    expect(page.locator("#total")).to_have_text("96")
    screenshot("assessment-deducted")

    page.click("#submit")
    expect(page.locator(".flash.success")).to_contain_text("Submitted to the caterer.")
    expect(page.locator("#status")).to_have_text("Submitted")
    expect(page.locator("#deduction-form")).to_have_count(0)
    expect(page.locator("#revisions")).to_contain_text("first submission")
    expect(page.locator("#history")).to_contain_text("submitted")

    with page.expect_download() as download_info:
        page.click("#sheet-pdf")
    path = download_info.value.path()
    text = "".join(part.extract_text() for part in PdfReader(io.BytesIO(Path(path).read_bytes())).pages)
    assert "96" in text and "200,000.00" in text and "考核人" in text and "承包方确认" in text

    with app.app_context():
        assessment = db.session.scalars(select(Assessment)).one()
        assert (assessment.status, assessment.revision) == ("submitted", 1)
        decisions = db.session.scalars(select(ProposalDecision).order_by(ProposalDecision.id)).all()
        assert [(item.key, item.accepted, item.decided_count) for item in decisions] == [
            ("ledger_missing", True, 2), (decisions[1].key, False, 0)]
