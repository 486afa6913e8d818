"""Four eyes in the browser: the confirming reviewer cannot approve, the discipline office does; appeals."""
from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from flask import Flask
from playwright.sync_api import Page, expect

from canteen.auth.models import User
from canteen.config import AppConfig
from canteen.extensions import db
from canteen.offences.models import Appeal, Escalation
from canteen.review.services import review_event
from tests.offences.helpers import add_diner, add_event, as_user, recent, service_session

pytestmark = pytest.mark.browser


def second_offence(app: Flask, settings: AppConfig, reviewer: User, admin: User, uploader: User) -> int:
    """王芳 confirmed twice by ``reviewer``: the exposure awaits a second person. Returns its id."""
    with service_session(app) as session:
        add_diner(session, admin, "1001", "王芳", "财务科")
        for days in (5, 2):
            event = add_event(app, session, uploader, recent(days))
            review_event(session, settings, as_user(session, reviewer), event.uuid,
                         {"decision": "confirmed", "card_no": "1001"}, now=recent(days - 0.1))
    with app.app_context():
        return db.session.query(Escalation.id).filter(Escalation.step == "exposure").scalar()


def log_out(page: Page) -> None:
    """Log out; the language chosen before stays with the browser session."""
    page.click("#logout")
    page.wait_for_url(re.compile("/login"))


def test_exposure_needs_a_second_person(app: Flask, settings: AppConfig, page: Page,
                                        make_user: Callable[..., User],
                                        log_in: Callable[..., None], screenshot: Callable[[str],
                                                                                          None]) -> None:
    reviewer, discipline = make_user("reviewer", username="li"), make_user("discipline", username="zhao")
    exposure = second_offence(app, settings, reviewer, make_user("admin", username="boss"),
                              make_user("manager", username="camera"))

    log_in(reviewer)
    page.goto(f"/offences/escalations/{exposure}")
    expect(page.locator("#four-eyes")).to_be_visible()
    expect(page.locator("#btn-approve")).to_have_count(0)
    log_out(page)

    log_in(discipline, english=False)
    page.goto("/offences/approvals")
    expect(page.locator("#approvals tbody tr")).to_have_count(1)
    expect(page.locator("#approvals")).to_contain_text("王芳")
    screenshot("approvals")
    page.click("#approvals a.open-escalation")
    page.wait_for_url(re.compile(f"/offences/escalations/{exposure}$"))
    page.fill("#approve-note", "核实无误")
    page.click("#btn-approve")
    expect(page.locator("#escalation-status")).to_have_text(re.compile("approved"))
    expect(page.locator("#on-board")).to_be_visible()
    expect(page.locator("#decided-by")).to_contain_text("zhao")
    screenshot("escalation-approved")
    with app.app_context():
        stored = db.session.get(Escalation, exposure)
        assert stored.status == "approved" and stored.decided_by.username == "zhao"

    page.goto("/exposure")
    expect(page.locator("#board")).to_contain_text("王芳")


def test_an_appeal_suspends_the_exposure_until_decided(app: Flask, settings: AppConfig, page: Page,
                                                       make_user: Callable[..., User],
                                                       log_in: Callable[..., None]) -> None:
    reviewer, discipline = make_user("reviewer", username="li"), make_user("discipline", username="zhao")
    exposure = second_offence(app, settings, reviewer, make_user("admin", username="boss"),
                              make_user("manager", username="camera"))
    from canteen.offences.escalations import approve

    with service_session(app) as session:
        approve(session, settings, as_user(session, discipline), exposure)

    log_in(reviewer)
    page.goto(f"/offences/escalations/{exposure}")
    page.fill("#statement", "本人称当天餐盘系同事所放")
    page.click("#btn-appeal")
    expect(page.locator("#suspended")).to_be_visible()
    expect(page.locator("#on-board")).to_have_count(0)
    page.goto("/exposure")
    expect(page.locator("#board-empty")).to_be_visible()
    page.goto("/")
    log_out(page)

    log_in(discipline, english=False)
    page.goto(f"/offences/escalations/{exposure}")
    page.check("#outcome-annulled")
    page.fill("#appeal-reason", "录像显示为他人餐盘")
    page.click("#btn-decide-appeal")
    expect(page.locator("#escalation-status")).to_have_text(re.compile("annulled"))
    page.goto("/offences/diners/1001")
    expect(page.locator("#standing-count")).to_have_text("1")
    expect(page.locator("#timeline")).to_contain_text("录像显示为他人餐盘")
    with app.app_context():
        assert db.session.query(Appeal.status).scalar() == "annulled"
