"""Plain helpers (no fixtures) that build an assessment world: contractors, ledger rows, submitted months."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Any

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from canteen.assessment.assessments import add_line, open_assessment, submit
from canteen.assessment.contractors import link_user, save_contractor
from canteen.assessment.models import Assessment
from canteen.auth.models import User
from canteen.extensions import db
from canteen.ledger.models import DinerCount, DinerCountRevision, WasteEntry, WasteEntryRevision
from canteen.reference.models import Canteen, Meal, Stream

# A moment well after the assessed months, so that every 2021 month is over.
LATER = datetime(2021, 10, 8, 2, 0, tzinfo=timezone.utc)


def contractor_data(**changes: Any) -> dict[str, Any]:
    """A valid contractor: both canteens, 2021-2023."""
    data: dict[str, Any] = {
        "name": "开封味美餐饮管理有限公司", "contract_no": "KF-2021-001", "starts_on": "2021-01-01",
        "ends_on": "2023-12-31",
        "canteens": [{"canteen": "zonghe", "monthly_fee": "200000.00"},
                     {"canteen": "badajie", "monthly_fee": "100000"}]}
    data.update(changes)
    return data


def canteen_row(session: Session, code: str = "zonghe") -> Canteen:
    """The canteen row of a code."""
    return session.scalars(select(Canteen).where(Canteen.code == code)).one()


@dataclass
class References:
    """A canteen's id and the meal and stream rows by code, looked up once for many inserts."""

    canteen_id: int
    meals: dict[str, Meal]
    streams: dict[str, Stream]


def references(session: Session, canteen: str = "zonghe") -> References:
    """The reference rows ``put_entry`` and ``put_diners`` need."""
    return References(canteen_row(session, canteen).id,
                      {row.code: row for row in session.scalars(select(Meal))},
                      {row.code: row for row in session.scalars(select(Stream))})


def put_entry(session: Session, user: User, day: date, meal: str, stream: str, grams: int, *,
              canteen: str = "zonghe", created_at: datetime | None = None, source: str = "web",
              refs: References | None = None) -> WasteEntry:
    """Insert a waste entry with its first revision, stamped ``created_at`` (default: an hour after the
    day)."""
    refs = refs or references(session, canteen)
    stamp = created_at or datetime.combine(day, time(20, 0), tzinfo=timezone.utc) - timedelta(hours=8)
    entry = WasteEntry(canteen_id=refs.canteen_id, day=day, meal=refs.meals[meal],
                       stream=refs.streams[stream], weight_g=grams, source=source, created_by_id=user.id,
                       created_at=stamp)
    entry.revisions.append(WasteEntryRevision(number=1, weight_g=grams, created_by_id=user.id,
                                              created_at=stamp))
    session.add(entry)
    return entry


def put_diners(session: Session, user: User, day: date, meal: str, count: int, canteen: str = "zonghe",
               refs: References | None = None) -> None:
    """Insert a diner count."""
    refs = refs or references(session, canteen)
    row = DinerCount(canteen_id=refs.canteen_id, day=day, meal=refs.meals[meal], count=count,
                     created_by_id=user.id)
    row.revisions.append(DinerCountRevision(number=1, count=count, source="web", created_by_id=user.id))
    session.add(row)


def fill_month(session: Session, user: User, month: date, plate_g_per_diner: float, *,
               canteen: str = "zonghe", skip: set[tuple[date, str]] = frozenset(),
               diners: int = 100) -> None:
    """Every meal of every day of the month: prep 5 kg, plate waste at ``plate_g_per_diner`` x ``diners``."""
    refs = references(session, canteen)
    day = month
    # One flush at the end: the rows go in as batched INSERTs instead of one round trip each.
    with session.no_autoflush:
        while day.month == month.month:
            for meal in ("breakfast", "lunch", "dinner"):
                if (day, meal) in skip:
                    continue
                put_entry(session, user, day, meal, "prep", 5000, canteen=canteen, refs=refs)
                put_entry(session, user, day, meal, "plate", int(plate_g_per_diner * diners), canteen=canteen,
                          refs=refs)
                put_diners(session, user, day, meal, diners, canteen=canteen, refs=refs)
            day += timedelta(days=1)
    session.flush()


def make_contractor(app: Flask, admin: User, caterer: User | None = None) -> int:
    """The test contractor serving both canteens, optionally with ``caterer`` linked; returns its id."""
    with app.test_request_context():
        actor = db.session.get(User, admin.id)
        contractor = save_contractor(db.session, actor, contractor_data())
        if caterer is not None:
            link_user(db.session, actor, contractor.id, caterer.username)
        db.session.commit()
        return contractor.id


def keep_ledger(app: Flask, user: User, month: date, skip: set[tuple[date, str]] = frozenset()) -> None:
    """A complete ledger of zonghe for ``month`` except the ``skip`` meals."""
    with app.app_context():
        fill_month(db.session, db.session.get(User, user.id), month, 60, skip=skip)
        db.session.commit()


def submitted_month(app: Flask, settings: Any, assessor: User, contractor_id: int, month: str,
                    lines: list[dict[str, Any]]) -> int:
    """Open, deduct and submit a month at zonghe (its ledger must be complete); returns its id."""
    with app.test_request_context():
        actor = db.session.get(User, assessor.id)
        assessment = open_assessment(db.session, settings, actor, {"contractor": contractor_id,
                                                                   "canteen": "zonghe", "month": month},
                                     now=LATER)
        for data in lines:
            add_line(db.session, settings, actor, assessment.id, data, now=LATER)
        submit(db.session, settings, actor, assessment.id)
        db.session.commit()
        return assessment.id


def status_of(app: Flask, assessment_id: int) -> tuple[str, str | None, str | None]:
    """(status, response, response text) as stored."""
    with app.app_context():
        assessment = db.session.get(Assessment, assessment_id)
        assert assessment is not None
        return assessment.status, assessment.response, assessment.response_text


def sign_in(page: Any, user: User, english: bool = True, password: str = "tray-return-2021") -> None:
    """Log in through the login form (optionally switching to English first); wait until it lands
    elsewhere."""
    page.goto("/login")
    if english and page.locator("html").get_attribute("lang") != "en":
        page.click("#switch-language")
        page.wait_for_selector("html[lang='en']")
    page.fill("#username", user.username)
    page.fill("#password", password)
    page.click("button[type=submit].primary")
    page.wait_for_url(lambda url: "/login" not in url)
