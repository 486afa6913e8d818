"""Spot checks in the browser: draw the month, record a drawn slot, order a fix, close it at a follow-up."""
from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest
from flask import Flask
from playwright.sync_api import Page, expect
from sqlalchemy import select

from canteen.auth.models import User
from canteen.config import AppConfig
from canteen.extensions import db
from canteen.assessment.spotchecks.draw import draw_slots
from canteen.assessment.spotchecks.models import SpotCheckDraw, SpotCheckFinding
from tests.assessment.world import keep_ledger, make_contractor, sign_in

pytestmark = pytest.mark.browser


def test_draw_record_and_follow_up(app: Flask, settings: AppConfig, page: Page,
                                   make_user: Callable[..., User], screenshot: Callable[[str], None]) -> None:
    admin = make_user("admin", username="boss")
    assessor = make_user("assessor", username="li")
    caterer = make_user("contractor", username="chef")
    make_contractor(app, admin, caterer)
    keep_ledger(app, admin, date(2021, 7, 1))
    sign_in(page, assessor)

    page.click("nav >> text=Spot checks")
    page.goto("/spot-checks/?canteen=zonghe&month=2021-07")
    page.fill("input[name=seed]", "20210701")
    page.click("#draw-button")
    expect(page.locator(".flash.success")).to_contain_text("Slots drawn.")
    expect(page.locator("#seed")).to_have_text("20210701")
    expect(page.locator("#slots tbody tr")).to_have_count(4)
    with app.app_context():
        draw = db.session.scalars(select(SpotCheckDraw)).one()
        expected = draw_slots(settings, draw.canteen, draw.month, 20210701, 4)
        assert [(slot.day, slot.meal_code) for slot in draw.slots] == expected
        first = draw.slots[0]
        first_day, first_id = first.day, first.id

    page.locator(f"tr[data-slot='{first_id}'] a.record-slot").click()
    expect(page.locator("#date")).to_have_value(first_day.isoformat())
    page.check("input[name='cl-food_safety'][value='finding']")
    page.fill("#rw-plate", "7.5")  # the ledger holds 6 kg: 20 % off
    page.select_option("#f0-rule", "missing_sample")
    page.fill("#f0-note", "no sample of the soup")
    page.check("#f0-rectify")
    page.fill("#summary", "lunch service, busy")
    page.click("#save-check")
    expect(page.locator(".flash.success")).to_contain_text("Check recorded.")
    expect(page.locator("#reweighs tr[data-stream='plate']")).to_contain_text("-20.0")
    expect(page.locator("#reweighs tr[data-stream='plate']")).to_have_class("up")
    expect(page.locator("#findings")).to_contain_text("no sample of the soup")
    expect(page.locator("#findings")).to_contain_text("overdue")  # July 2021 is long past
    screenshot("spot-check")

    page.goto("/spot-checks/rectifications?status=overdue")
    expect(page.locator("#rectifications tbody tr[data-finding]")).to_have_count(1)
    page.click("text=record a follow-up")
    page.fill("#date", "2021-07-28")
    with app.app_context():
        finding_id = db.session.scalars(select(SpotCheckFinding)).one().id
    page.check(f"input[name='close-{finding_id}']")
    page.fill(f"input[name='close-note-{finding_id}']", "sample fridge in place")
    page.click("#save-check")
    expect(page.locator(".flash.success")).to_contain_text("Check recorded.")
    expect(page.locator("#findings")).to_contain_text("This follow-up closed")
    page.goto("/spot-checks/rectifications?status=overdue")
    expect(page.locator("#rectifications tbody tr[data-finding]")).to_have_count(0)

    # The caterer sees the record and signs it.
    page.click("#logout")
    sign_in(page, caterer)
    page.goto("/spot-checks/?canteen=zonghe&month=2021-07")
    expect(page.locator("#slots tbody tr")).to_have_count(4)  # the month is over: every slot is shown
    page.locator("#records a").first.click()
    page.click("button[value=signed]")
    expect(page.locator(".flash.success")).to_contain_text("Your answer is recorded.")
    expect(page.locator("#response")).to_contain_text("signed")
    expect(page.locator("#draw-form")).to_have_count(0)
