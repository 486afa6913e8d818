"""What a canteen manager does in the browser: log in, enter a day by keyboard, read the month, correct,
download."""
from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

import pytest
from flask import Flask
from openpyxl import load_workbook
from playwright.sync_api import Page, expect
from sqlalchemy import select

from canteen.auth.models import User
from canteen.config import AppConfig
from canteen.core.timeutil import add_months, local_today, month_start
from canteen.extensions import db
from canteen.ledger.models import DinerCount, WasteEntry
from tests.web.helpers import seed_entry

pytestmark = pytest.mark.browser


@pytest.fixture
def day(settings: AppConfig) -> date:
    """The past day the manager catches up on."""
    return local_today(settings.zone) - timedelta(days=2)


def focused(page: Page) -> str:
    """The id of the element that has the keyboard focus."""
    return str(page.evaluate("document.activeElement.id"))


def type_then_enter(page: Page, text: str) -> None:
    """Type into the focused field, then press Enter."""
    if text:
        page.keyboard.type(text)
    page.keyboard.press("Enter")


def stored_day(app: Flask, day: date) -> dict[tuple[str, str], tuple[int, bool, int]]:
    """The entries of zonghe on ``day``: (meal, stream) -> (grams, voided, revisions)."""
    with app.app_context():
        entries = db.session.scalars(select(WasteEntry).where(WasteEntry.day == day)).all()
        return {(entry.meal.code, entry.stream.code): (entry.weight_g, entry.voided, len(entry.revisions))
                for entry in entries}


def stored_diners(app: Flask, day: date) -> dict[str, int]:
    """The diner counts of zonghe on ``day`` by meal."""
    with app.app_context():
        rows = db.session.scalars(select(DinerCount).where(DinerCount.day == day)).all()
        return {row.meal.code: row.count for row in rows}


def test_login_logout_and_language_switch(app: Flask, page: Page, make_user: Callable[..., User],
                                          log_in: Callable[..., None]) -> None:
    user = make_user("manager", username="wang")
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/login\?next=/$"))
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")

    page.fill("#username", "wang")
    page.fill("#password", "not-the-password")
    page.click("button[type=submit].primary")
    expect(page.locator(".flash.error")).to_be_visible()
    expect(page.locator("#password")).to_be_visible()
    expect(page.locator("#password")).to_have_value("")

    page.fill("#password", "tray-return-2021")
    page.click("button[type=submit].primary")
    page.wait_for_url("**/dashboard")
    # Chinese by default: the canteens carry their Chinese names.
    expect(page.locator("main")).to_contain_text("综合办公区餐厅")
    expect(page.locator(".who")).to_contain_text("wang")

    page.click("#switch-language")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("main")).to_contain_text("Integrated Office Area Canteen")
    expect(page.locator("#switch-language")).to_have_text("中文")
    with app.app_context():
        assert db.session.get(User, user.id).locale == "en"

    page.click("#switch-language")
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    expect(page.locator("main")).to_contain_text("综合办公区餐厅")
    with app.app_context():
        assert db.session.get(User, user.id).locale == "zh_Hans_CN"

    page.click("#logout")
    page.wait_for_url("**/login")
    page.goto("/ledger/month")
    expect(page).to_have_url(re.compile(r"/login\?next=/ledger/month$"))


def test_daily_entry_by_keyboard_in_jin_with_an_outlier(app: Flask, settings: AppConfig, page: Page,
                                                        make_user: Callable[..., User],
                                                        log_in: Callable[..., None], day: date,
                                                        screenshot: Callable[[str], None]) -> None:
    manager = make_user("manager", username="wang")
    admin = make_user("admin", username="boss")
    # Four weeks of dinner plate waste between 8 and 10 kg, so the page knows what is usual.
    for offset in range(1, 29):
        seed_entry(app, settings, admin, day - timedelta(days=offset), "dinner", "plate",
                   8000 + 500 * (offset % 5))
    log_in(manager)
    page.goto(f"/ledger/daily?canteen=zonghe&day={day}")
    expect(page.locator("h1")).to_contain_text(day.isoformat())

    assert focused(page) == "w-breakfast-prep"
    type_then_enter(page, "6")
    assert focused(page) == "w-breakfast-unsold"
    type_then_enter(page, "2")
    type_then_enter(page, "4")
    type_then_enter(page, "")  # no grease at breakfast
    assert focused(page) == "d-breakfast"
    type_then_enter(page, "120")
    assert focused(page) == "w-lunch-prep"
    for text in ("10", "5", "24", ""):
        type_then_enter(page, text)
    assert focused(page) == "d-lunch"
    page.keyboard.type("300")
    # Enter never submitted the form: nothing is stored until Save.
    assert stored_day(app, day) == {}
    page.select_option("#unit-select", "jin")
    expect(page.locator(".unit-label").first).to_have_text("jin")
    screenshot("daily-typed")
    page.click("#save")

    expect(page.locator(".flash.success")).to_contain_text("Saved 8 change(s).")
    assert stored_day(app, day) == {
        ("breakfast", "prep"): (3000, False, 1), ("breakfast", "unsold"): (1000, False, 1),
        ("breakfast", "plate"): (2000, False, 1), ("lunch", "prep"): (5000, False, 1),
        ("lunch", "unsold"): (2500, False, 1), ("lunch", "plate"): (12000, False, 1)}
    assert stored_diners(app, day) == {"breakfast": 120, "lunch": 300}
    expect(page.locator("#unit-select")).to_have_value("jin")
    expect(page.locator("#w-lunch-plate")).to_have_value("24")

    # 60 jin is 30 kg, twice the most of the last four weeks: warned before anything is saved.
    page.click("#w-dinner-plate")
    page.keyboard.type("60")
    page.click("#save")
    expect(page.locator("#outlier-confirm")).to_be_visible()
    expect(page.locator("#cell-dinner-plate .warnmsg")).to_contain_text("far outside the last 4 weeks")
    expect(page.locator("#cell-dinner-plate")).to_contain_class("cell-outlier")
    assert focused(page) == "confirm-outliers"
    assert ("dinner", "plate") not in stored_day(app, day)
    screenshot("daily-outlier")

    page.keyboard.press("Space")
    page.click("#save")
    expect(page.locator(".flash.success")).to_contain_text("Saved 1 change(s).")
    assert stored_day(app, day)[("dinner", "plate")] == (30000, False, 1)
    screenshot("daily-saved")


def test_monthly_ledger_shows_the_day_totals_missing_meals_and_mom(app: Flask, settings: AppConfig,
                                                                   page: Page, make_user: Callable[..., User],
                                                                   log_in: Callable[..., None], day: date,
                                                                   screenshot: Callable[[str], None]) -> None:
    manager = make_user("manager", username="wang")
    previous = add_months(month_start(day), -1)
    seed_entry(app, settings, manager, previous + timedelta(days=9), "lunch", "plate", 30000)
    log_in(manager)
    page.goto(f"/ledger/daily?canteen=zonghe&day={day}")
    page.fill("#w-breakfast-plate", "4")
    page.fill("#w-lunch-prep", "3")
    page.fill("#w-lunch-plate", "12")
    page.fill("#d-lunch", "300")
    page.click("#save")
    expect(page.locator(".flash.success")).to_be_visible()

    page.click("#month-link")
    page.wait_for_url(f"**/ledger/month?canteen=zonghe&month={day:%Y-%m}")
    row = page.locator(f"tr[data-day='{day}']")
    expect(row.locator("td[data-cell='lunch-plate']")).to_have_text("12.0")
    expect(row.locator("td[data-cell='breakfast-plate']")).to_have_text("4.0")
    expect(row.locator("td.day-total")).to_have_text("19.0")
    # Dinner was not entered: marked missing across its streams, never shown as zero.
    dinner = row.locator("td[data-meal='dinner']")
    expect(dinner).to_contain_class("missing")
    expect(dinner).to_have_attribute("colspan", "4")
    expect(dinner).not_to_contain_text("0")
    expect(row.locator("td[data-cell^='dinner-']")).to_have_count(0)
    expect(page.locator("#month-total")).to_have_text("19.0")
    expect(page.locator("#total-kg")).to_have_text("19.0 kg")
    expect(page.locator("#per-diner")).to_have_text("40.0 g")
    expect(page.locator("#mom")).to_have_text(
        "month over month: down 11.0 kg (-36.7%) (a month compared has missing entries)")
    assert int(page.locator("#missing-count").inner_text()) >= 1
    screenshot("month")


def test_correcting_and_voiding_keep_the_history(app: Flask, settings: AppConfig, page: Page,
                                                 make_user: Callable[..., User], log_in: Callable[..., None],
                                                 day: date, screenshot: Callable[[str], None]) -> None:
    colleague = make_user("manager", username="li")
    manager = make_user("manager", username="wang")
    seed_entry(app, settings, colleague, day, "lunch", "plate", 12000)
    log_in(manager)
    page.goto(f"/ledger/daily?canteen=zonghe&day={day}")
    expect(page.locator("#w-lunch-plate")).to_have_value("12")

    page.fill("#w-lunch-plate", "12.8")
    page.click("#save")
    expect(page.locator("#reason-error")).to_be_visible()
    assert stored_day(app, day) == {("lunch", "plate"): (12000, False, 1)}
    page.fill("#reason", "re-weighed after the lunch rush")
    page.click("#save")
    expect(page.locator(".flash.success")).to_be_visible()
    assert stored_day(app, day) == {("lunch", "plate"): (12800, False, 2)}

    # One click from the month page to the cell's history.
    page.click("#month-link")
    page.click(f"tr[data-day='{day}'] td[data-cell='lunch-plate'] a")
    revisions = page.locator("tr.revision")
    expect(revisions).to_have_count(2)
    expect(revisions.nth(0)).to_contain_text("12.000")
    expect(revisions.nth(0)).to_contain_text("entered")
    expect(revisions.nth(0)).to_contain_text("li")
    expect(revisions.nth(1)).to_contain_text("12.800")
    expect(revisions.nth(1)).to_contain_text("corrected")
    expect(revisions.nth(1)).to_contain_text("re-weighed after the lunch rush")
    expect(revisions.nth(1)).to_contain_text("wang")

    page.fill(".void-form input[name=reason]", "belongs to the badajie canteen")
    page.click(".void-form button")
    expect(page.locator(".flash.success")).to_contain_text("voided")
    expect(page.locator("section.entry .badge")).to_have_text("void")
    expect(revisions).to_have_count(3)
    expect(revisions.nth(2)).to_contain_text("belongs to the badajie canteen")
    expect(page.locator(".void-form")).to_have_count(0)
    assert stored_day(app, day) == {("lunch", "plate"): (12800, True, 3)}
    screenshot("cell")

    page.click("#month-link")
    # The voided weight leaves the ledger: lunch of that day is missing again.
    expect(page.locator(f"tr[data-day='{day}'] td[data-meal='lunch']")).to_have_text("missing")


def test_excel_download_of_the_month(app: Flask, settings: AppConfig, page: Page,
                                     make_user: Callable[..., User], log_in: Callable[..., None], day: date,
                                     tmp_path: Path) -> None:
    viewer = make_user("viewer", username="zhao")
    manager = make_user("manager", username="wang")
    seed_entry(app, settings, manager, day, "lunch", "plate", 12500)
    seed_entry(app, settings, manager, day, "breakfast", "prep", 2000)
    seed_entry(app, settings, manager, day, "lunch", "grease", 1500)  # not food waste: not in the total
    log_in(viewer)
    page.goto(f"/ledger/month?canteen=zonghe&month={day:%Y-%m}")
    with page.expect_download() as download_info:
        page.click("#download-xlsx")
    download = download_info.value
    assert download.suggested_filename == f"ledger-zonghe-{day:%Y-%m}.xlsx"
    path = tmp_path / download.suggested_filename
    download.save_as(path)

    book = load_workbook(path)
    try:
        sheet = book.active
        assert sheet["A1"].value == "Integrated Office Area Canteen Kitchen-waste ledger"
        header = [cell.value for cell in sheet[3]]
        total_column = header.index("Food waste total")
        total_row = next(row for row in sheet.iter_rows(values_only=True) if row[0] == "Month total")
        assert total_row[total_column] == pytest.approx(14.5)
        day_row = next(row for row in sheet.iter_rows(values_only=True) if row[0] == day.isoformat())
        assert day_row[total_column] == pytest.approx(14.5)
    finally:
        book.close()
