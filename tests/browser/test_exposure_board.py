"""The screen at the canteen entrance: no login, Chinese, large type, blurred snapshots only, reloading."""
from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask
from playwright.sync_api import Page, expect

from canteen.auth.models import User
from canteen.config import AppConfig
from canteen.offences.escalations import approve
from canteen.review.services import review_event
from tests.offences.helpers import add_diner, add_event, as_user, recent, service_session

pytestmark = pytest.mark.browser


def test_public_board_shows_the_approved_exposure(app: Flask, settings: AppConfig, page: Page,
                                                  make_user: Callable[..., User],
                                                  screenshot: Callable[[str], None],
                                                  log_in: Callable[..., None]) -> None:
    reviewer, discipline = make_user("reviewer", username="li"), make_user("discipline", username="zhao")
    admin, uploader = make_user("admin", username="boss"), make_user("manager", username="camera")
    with service_session(app) as session:
        add_diner(session, admin, "1001", "王芳", "财务科")
        add_diner(session, admin, "1002", "李四", "人事科")
        for card in ("1001", "1002"):
            for days in (5, 2):
                event = add_event(app, session, uploader, recent(days))
                review_event(session, settings, as_user(session, reviewer), event.uuid,
                             {"decision": "confirmed", "card_no": card}, now=recent(days - 0.1))
        session.flush()
        from sqlalchemy import select

        from canteen.diners.services import diner_by_card
        from canteen.offences.models import Escalation

        wang = diner_by_card(session, "1001")
        exposure = session.scalar(select(Escalation).where(Escalation.diner_id == wang.id,
                                                           Escalation.step == "exposure"))
        approve(session, settings, as_user(session, discipline), exposure.id, now=recent(1))
        day = exposure.offence.occurred_at.astimezone(settings.zone).date().isoformat()

    page.goto("/exposure")
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    entries = page.locator("#board article.entry")
    expect(entries).to_have_count(1)
    expect(entries.first).to_contain_text("王芳")
    expect(entries.first).to_contain_text("财务科")
    expect(entries.first).to_contain_text(day)
    expect(page.locator("#board")).not_to_contain_text("李四")  # awaits approval
    expect(page.locator("#board")).not_to_contain_text("1001")  # no card numbers
    image = entries.first.locator("img")
    expect(image).to_have_attribute("src", f"/exposure/snapshot/{exposure.id}.jpg")
    page.wait_for_function("document.querySelector('#board img').complete")
    assert page.eval_on_selector("#board img", "img => img.naturalWidth") > 0
    expect(page.locator("video")).to_have_count(0)
    expect(page.locator("meta[http-equiv='refresh']")).to_have_attribute("content", str(
        settings.offences.board.refresh_seconds))
    # Readable from a few metres: the name is set in large type.
    size = page.eval_on_selector("#board .who", "el => parseFloat(getComputedStyle(el).fontSize)")
    assert size >= 32
    screenshot("exposure-board")

    # Nothing behind it is reachable without a login.
    page.goto(f"/offences/escalations/{exposure.id}")
    expect(page.locator("#username")).to_be_visible()

    # On a phone the board and the approver's page fit the screen's width (no sideways scrolling).
    page.set_viewport_size({"width": 375, "height": 800})
    page.goto("/exposure")
    expect(page.locator("#board article.entry")).to_have_count(1)
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    screenshot("exposure-board-phone")
    log_in(discipline)
    page.goto(f"/offences/escalations/{exposure.id}")
    expect(page.locator("#decided-by")).to_contain_text("zhao")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    screenshot("escalation-phone")
