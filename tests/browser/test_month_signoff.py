"""Closing a month from the ledger page in a browser: the manager signs, the assessor closes, the page says
so in words, the daily page refuses a change, and the assessor reopens it with a reason; on a phone too."""
from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from flask import Flask
from playwright.sync_api import Page, expect

from canteen.auth.models import User
from canteen.config import AppConfig
from canteen.extensions import db
from canteen.ledger.entries import record_entry

pytestmark = pytest.mark.browser

MONTH_PAGE = "/ledger/month?canteen=zonghe&month=2021-07"


def _weigh(app: Flask, settings: AppConfig, user: User) -> None:
    with app.test_request_context():
        data = {"canteen": "zonghe", "date": "2021-07-05", "meal": "lunch", "stream": "plate", "weight": 12}
        record_entry(db.session, settings, db.session.get(User, user.id), data)
        db.session.commit()


def _log_out(page: Page) -> None:
    page.click("#logout")
    page.wait_for_url(re.compile("/login"))


def test_a_month_is_closed_by_two_people_and_reopened_with_a_reason(
        app: Flask, settings: AppConfig, page: Page, make_user: Callable[..., User],
        log_in: Callable[..., None], screenshot: Callable[[str], None]) -> None:
    manager = make_user("manager", username="wang")
    assessor = make_user("assessor", username="li")
    _weigh(app, settings, manager)

    log_in(manager, english=False)
    page.goto(MONTH_PAGE)
    expect(page.locator("#signoff-state")).to_contain_text("未签字")
    expect(page.locator("#sign-close")).to_have_count(0)
    page.click("#sign-prepared")
    page.wait_for_url(re.compile(r"/ledger/month\?"))
    expect(page.locator("#signoff")).to_have_attribute("data-state", "prepared")
    expect(page.locator("#signoff-state")).to_contain_text("wang")
    _log_out(page)

    log_in(assessor, english=False)
    page.goto(MONTH_PAGE)
    page.click("#sign-close")
    page.wait_for_url(re.compile(r"/ledger/month\?"))
    expect(page.locator(".flash.success")).to_be_visible()
    state = page.locator("#signoff-state")
    expect(state).to_contain_text("已关账")
    expect(state).to_contain_text("填表人")
    expect(state).to_contain_text("wang")
    expect(state).to_contain_text("li")
    screenshot("month-closed")
    # A phone shows the sign-off too, within the screen's width.
    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    expect(page.locator("#signoff")).to_be_visible()
    box = page.locator("#reopen-form").bounding_box()
    assert box is not None and box["x"] + box["width"] <= 390
    page.set_viewport_size({"width": 1400, "height": 900})
    # The reason is required: the browser will not send an empty one.
    page.click("#reopen")
    expect(page.locator("#signoff")).to_have_attribute("data-state", "closed")
    _log_out(page)

    log_in(manager)
    page.goto("/ledger/daily?canteen=zonghe&day=2021-07-06")
    page.fill("#w-lunch-plate", "3")
    page.click("#save")
    expect(page.locator(".flash.error")).to_contain_text("was closed by li")
    _log_out(page)

    # The browser session keeps English from the manager's login.
    log_in(assessor, english=False)
    page.goto(MONTH_PAGE)
    page.fill("#reopen-reason", "the 6th was never weighed")
    page.click("#reopen")
    page.wait_for_url(re.compile(r"/ledger/month\?"))
    expect(page.locator("#signoff")).to_have_attribute("data-state", "open")
    expect(page.locator("#signoff-state")).to_contain_text("the 6th was never weighed")
