"""Triage in the browser: visits that changed the bin first, the change filter, bulk dismissal (desktop and
phone)."""
from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from flask import Flask
from playwright.sync_api import Page, expect
from sqlalchemy import select

from canteen.auth.models import User
from canteen.camera_events.models import CameraEvent, EventReview
from canteen.extensions import db
from tests.offences.helpers import add_event, recent, service_session

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("width", [1400, 375])
def test_reviewer_filters_the_queue_and_dismisses_unchanged_visits_together(
        app: Flask, page: Page, make_user: Callable[..., User], log_in: Callable[..., None],
        screenshot: Callable[[str], None], width: int) -> None:
    reviewer = make_user("reviewer", username="li")
    uploader = make_user("manager", username="camera")
    with service_session(app) as session:
        changed = [add_event(app, session, uploader, recent(0.2 + n / 10), confidence=0.9 - n / 5).uuid
                   for n in range(2)]
        unchanged = [add_event(app, session, uploader, recent(0.1 + n / 10), scene_changed=False,
                               confidence=0.2).uuid for n in range(3)]
    page.set_viewport_size({"width": width, "height": 900})
    log_in(reviewer, english=False)

    page.goto("/review/")
    rows = page.locator("#queue tbody tr")
    expect(rows).to_have_count(5)
    # The visits that changed the bin come first, said in words with the confidence as a level.
    assert [rows.nth(n).get_attribute("data-change") for n in range(5)] == ["changed"] * 2 + ["unchanged"] * 3
    expect(rows.first).to_contain_text("桶内有变化")
    expect(rows.first).to_contain_text("高")
    expect(rows.nth(4)).to_contain_text("桶内无变化")
    expect(rows.nth(4)).to_contain_text("低")
    screenshot(f"review-triage-{width}")
    # Nothing but the table scrolls sideways, even on a phone.
    assert page.evaluate("document.documentElement.scrollWidth") <= width

    page.select_option("#f-change", "unchanged")
    page.click("#btn-filter")
    page.wait_for_url(re.compile(r"change=unchanged"))
    expect(rows).to_have_count(3)
    expect(page.locator("#bulk-count")).to_have_text("0")
    page.check("#bulk-all")
    expect(page.locator("#bulk-count")).to_have_text("3")
    # One visit is left for a closer look.
    page.locator(f"input.bulk-pick[value='{unchanged[0]}']").uncheck()
    expect(page.locator("#bulk-count")).to_have_text("2")
    button = page.locator("#btn-bulk-dismiss")
    button.scroll_into_view_if_needed()
    box = button.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width, box
    page.fill("#bulk-note", "空盘放回")
    button.click()
    page.wait_for_url(re.compile(r"/review/\?change=unchanged$"))
    expect(page.locator(".flash.success")).to_contain_text("2")
    expect(rows).to_have_count(1)
    expect(rows.first).to_have_attribute("data-event", unchanged[0])

    with app.app_context():
        reviews = db.session.scalars(select(EventReview).order_by(EventReview.event_id)).all()
        decided = {review.event.uuid: (review.decision, review.created_by.username, review.note)
                   for review in reviews}
        statuses = {event.uuid: event.status for event in db.session.scalars(select(CameraEvent))}
    assert decided == {uuid: ("dismissed", "li", "空盘放回") for uuid in unchanged[1:]}
    assert [statuses[uuid] for uuid in changed + unchanged[:1]] == ["pending"] * 3
