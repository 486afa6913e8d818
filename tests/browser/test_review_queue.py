"""A reviewer works through the queue by keyboard: open, see the evidence, confirm with a diner, dismiss."""
from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from flask import Flask
from playwright.sync_api import Page, expect
from sqlalchemy import select

from canteen.auth.models import User
from canteen.config import AppConfig
from canteen.extensions import db
from canteen.camera_events.models import EventReview
from tests.offences.helpers import add_diner, add_event, recent, service_session

pytestmark = pytest.mark.browser


def loaded(page: Page, selector: str) -> bool:
    """True when the image has really been decoded (served, and a real JPEG)."""
    return bool(page.eval_on_selector(selector, "img => img.complete && img.naturalWidth > 0"))


def test_reviewer_decides_by_keyboard(app: Flask, settings: AppConfig, page: Page,
                                      make_user: Callable[..., User],
                                      log_in: Callable[..., None], screenshot: Callable[[str], None]) -> None:
    reviewer = make_user("reviewer", username="li")
    admin = make_user("admin", username="boss")
    uploader = make_user("manager", username="camera")
    with service_session(app) as session:
        add_diner(session, admin, "1001", "张三", "办公室")
        add_diner(session, admin, "1002", "张三丰", "财务科")
        older = add_event(app, session, uploader, recent(0.3)).uuid
        newer = add_event(app, session, uploader, recent(0.2), canteen="badajie").uuid

    log_in(reviewer)
    page.goto("/review/")
    rows = page.locator("#queue tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.first).to_have_attribute("data-event", newer)
    page.wait_for_function("Array.from(document.querySelectorAll('#queue img')).every(i => i.complete)")
    assert loaded(page, "#queue tbody tr:first-child img")
    screenshot("review-queue")

    # The first event has the focus: j moves down, k back up, Enter opens.
    page.keyboard.press("j")
    page.keyboard.press("k")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(f"/review/events/{newer}"))
    page.wait_for_function("document.querySelector('#snapshot').complete")
    assert loaded(page, "#snapshot") and loaded(page, "#crop-before") and loaded(page, "#crop-after")
    expect(page.locator("video#clip")).to_have_count(1)
    screenshot("review-event")

    # c: find the diner (the search offers both 张三 cards), then Enter confirms.
    page.keyboard.press("c")
    expect(page.locator("#card_no")).to_be_focused()
    page.keyboard.type("张三")
    expect(page.locator("#diner-options option")).to_have_count(2)
    page.fill("#card_no", "")
    page.keyboard.type("1001")
    expect(page.locator("#diner-hit")).to_contain_text("张三")
    page.keyboard.press("Enter")
    # The next (older) pending event opens by itself.
    page.wait_for_url(re.compile(f"/review/events/{older}"))
    expect(page.locator(".flash.success")).to_be_visible()

    # An unknown card is refused with the field named, and nothing is stored.
    page.keyboard.press("c")
    page.keyboard.type("9999")
    page.keyboard.press("Enter")
    expect(page.locator("#error-card_no")).to_be_visible()
    expect(page.locator("#card_no")).to_have_value("9999")

    # d then Enter: not a dump. The queue is empty afterwards.
    page.locator("body").click(position={"x": 5, "y": 5})
    page.keyboard.press("d")
    expect(page.locator("#btn-dismissed")).to_be_focused()
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/review/$"))
    expect(page.locator("#empty-queue")).to_be_visible()

    with app.app_context():
        stored = {(review.event.uuid, review.decision, review.diner.card_no if review.diner else None)
                  for review in db.session.scalars(select(EventReview))}
    assert stored == {(newer, "confirmed", "1001"), (older, "dismissed", None)}


def test_reviewer_corrects_a_decision_with_a_reason(app: Flask, page: Page, make_user: Callable[..., User],
                                                    log_in: Callable[..., None]) -> None:
    reviewer = make_user("reviewer", username="li")
    admin = make_user("admin", username="boss")
    uploader = make_user("manager", username="camera")
    with service_session(app) as session:
        add_diner(session, admin, "1001", "张三", "办公室")
        event = add_event(app, session, uploader, recent(0.2)).uuid

    log_in(reviewer)
    page.goto(f"/review/events/{event}")
    page.keyboard.press("u")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/review/$"))
    page.goto(f"/review/events/{event}")
    page.select_option("#c-decision", "confirmed")
    page.fill("#c-card_no", "1001")
    page.click("#btn-correct")
    expect(page.locator("#error-reason, input#c-reason:invalid")).to_have_count(1)
    page.fill("#c-reason", "复看录像，侧脸可辨")
    page.click("#btn-correct")
    expect(page.locator("#decisions tr.review-row")).to_have_count(2)
    expect(page.locator("#decisions")).to_contain_text("复看录像，侧脸可辨")
    expect(page.locator("#event-status")).to_have_text(re.compile("Confirmed"))
    expect(page.locator("#offence-info")).to_contain_text("张三")
