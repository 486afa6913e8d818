"""Browser journeys: the dashboard after login, and the monthly reports page with its downloads."""
from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Callable

import pytest
from flask import Flask
from playwright.sync_api import Page, expect
from sqlalchemy import select

from canteen.auth.models import User
from canteen.config import AppConfig
from canteen.core.timeutil import add_months, local_today
from canteen.extensions import db
from canteen.ledger.diners import set_diner_count
from canteen.ledger.entries import record_entry
from canteen.reference.models import Canteen
from reports.service import produce_report

pytestmark = pytest.mark.browser


def _weigh(app: Flask, settings: AppConfig, user: User, day: date, meal: str, kg: float, diners: int) -> None:
    with app.app_context():
        actor = db.session.get(User, user.id)
        record_entry(db.session, settings, actor, {"canteen": "zonghe", "date": day.isoformat(), "meal": meal,
                                                   "stream": "plate", "weight": kg, "unit": "kg"})
        set_diner_count(db.session, settings, actor, canteen="zonghe", day=day.isoformat(), meal=meal,
                        count=diners)
        db.session.commit()


def _image_loaded(page: Page, selector: str) -> bool:
    return page.eval_on_selector(selector, "img => img.complete && img.naturalWidth > 0")


def test_dashboard_shows_the_month_so_far_and_links_to_the_pages(
        page: Page, app: Flask, settings: AppConfig, make_user: Callable[..., User],
        log_in: Callable[..., None], screenshot: Callable[[str], None]) -> None:
    admin = make_user("admin")
    today = local_today(settings.zone)
    _weigh(app, settings, admin, today.replace(day=1), "lunch", 12.5, 300)
    _weigh(app, settings, admin, add_months(today.replace(day=1), -1), "lunch", 20, 300)
    log_in(admin)
    page.click("nav >> text=Dashboard")
    expect(page).to_have_url(re.compile(r"/dashboard$"))
    zonghe = page.locator("#so-far tr[data-canteen='zonghe']")
    expect(zonghe.locator(".so-far-this")).to_have_text("12.5")
    expect(zonghe).to_contain_text("-7.5")
    expect(page.locator("#so-far tr[data-canteen='all']")).to_contain_text("Total")
    for name in ("monthly_totals", "plate_per_diner"):
        page.wait_for_function(f"() => document.querySelector('#chart-{name}').naturalWidth > 0")
        assert _image_loaded(page, f"#chart-{name}")
    expect(page.locator("#pending-events")).to_be_visible()
    screenshot("dashboard")
    # A meal of today without entries links to the daily entry page.
    open_meal = page.locator("#open-meals li[data-canteen='badajie'] a").first
    expect(open_meal).to_be_visible()
    open_meal.click()
    daily = f"/ledger/daily?canteen=badajie&day={today.isoformat()}"
    expect(page).to_have_url(re.compile(re.escape(daily) + "$"))
    page.go_back()
    page.locator("#so-far tr[data-canteen='zonghe'] a").click()
    expect(page).to_have_url(re.compile(re.escape(f"/ledger/month?canteen=zonghe&month={today:%Y-%m}") + "$"))


def test_reports_page_lists_and_downloads_the_reports(
        page: Page, app: Flask, settings: AppConfig, make_user: Callable[..., User],
        log_in: Callable[..., None], tmp_path: Path, screenshot: Callable[[str], None]) -> None:
    manager = make_user("manager")
    _weigh(app, settings, manager, date(2021, 7, 5), "lunch", 20, 300)
    _weigh(app, settings, manager, date(2021, 8, 5), "lunch", 15, 300)
    # With the optional SVG copies, whose download link the page then offers.
    settings = settings.model_copy(
        update={"reports": settings.reports.model_copy(update={"chart_svg": True})})
    with app.app_context():
        zonghe = db.session.scalar(select(Canteen).where(Canteen.code == "zonghe"))
        for target in (None, zonghe):
            run = produce_report(db.session, settings, date(2021, 8, 1), target,
                                 Path(app.instance_path) / "reports", trigger="scheduler")
            assert run.status == "ok", run.error
        db.session.commit()
    log_in(make_user("viewer"))
    page.click("nav >> text=Reports")
    section = page.locator("section[data-month='2021-08']")
    expect(section.locator("tr[data-target]")).to_have_count(2)
    screenshot("reports")

    with page.expect_download() as download_info:
        section.locator("tr[data-target='zonghe'] a.report-pdf").click()
    pdf = tmp_path / "report.pdf"
    download_info.value.save_as(pdf)
    assert pdf.read_bytes().startswith(b"%PDF")
    assert download_info.value.suggested_filename == "2021-08-zonghe-report.pdf"

    with page.expect_download() as svg_info:
        section.locator("tr[data-target='zonghe'] .chart-links a", has_text="SVG").first.click()
    svg = tmp_path / "chart.svg"
    svg_info.value.save_as(svg)
    assert b"<svg" in svg.read_bytes()

    section.locator("tr[data-target='zonghe'] a.report-html").click()
    expect(page.locator("#report-title")).to_contain_text("2021-08")
    expect(page.locator("#summary-total")).to_have_text("15.0 kg")
    expect(page.locator("#mom-line")).to_contain_text("-25.0%")
    page.wait_for_function("() => [...document.images].every(img => img.complete && img.naturalWidth > 0)")
    assert page.locator("figure img").count() == 8
