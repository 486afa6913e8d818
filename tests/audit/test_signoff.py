"""Closing a month: two different people sign (填表人, 复核人), changes are refused while it is closed, a
reopening needs a reason; from the services, the ledger page (CSRF on) and the API."""
from __future__ import annotations

import re
from collections.abc import Callable
from io import BytesIO

import pytest
from flask import Flask
from flask.testing import FlaskClient
from openpyxl import load_workbook
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from canteen.audit.verify import verify
from canteen.auth.models import User
from canteen.chain.models import ChainLink
from canteen.config import AppConfig
from canteen.core.errors import Conflict, Forbidden, InvalidInput
from canteen.ledger.chained import ledger_stream
from canteen.extensions import db
from canteen.ledger.entries import correct_entry, record_entry, void_entry
from canteen.ledger.models import LedgerMonthSignoff, WasteEntryRevision
from canteen.ledger.signoff import close_month, month_signoff, prepare_month, reopen_month
from canteen.reference.models import Canteen
from tests.audit.conftest import CANTEEN, FIRST, MONTH, People, fresh_verify, links_of


def _zonghe(session: Session) -> Canteen:
    return session.scalars(select(Canteen).where(Canteen.code == CANTEEN)).one()


def _close(session: Session, settings: AppConfig, people: People) -> None:
    prepare_month(session, settings, people["manager"], CANTEEN, MONTH)
    close_month(session, settings, people["assessor"], CANTEEN, MONTH)
    session.commit()


def test_closing_takes_the_preparer_and_a_different_reviewer(ctx: Session, settings: AppConfig,
                                                             people: People, weigh: Callable) -> None:
    weigh("2021-07-05", "lunch", "plate", 12)
    with pytest.raises(Conflict, match="has not signed"):
        close_month(ctx, settings, people["assessor"], CANTEEN, MONTH)
    signed = prepare_month(ctx, settings, people["manager"], CANTEEN, MONTH)
    ctx.commit()
    assert signed.state == "prepared" and signed.current.actor_id == people["manager"].id
    # The manager keeps the ledger and may not review it; an admin who prepared may not review either.
    with pytest.raises(Forbidden):
        close_month(ctx, settings, people["manager"], CANTEEN, MONTH)
    with pytest.raises(Forbidden):
        prepare_month(ctx, settings, people["assessor"], "badajie", MONTH)
    closed = close_month(ctx, settings, people["assessor"], CANTEEN, MONTH)
    ctx.commit()
    assert closed.state == "closed"
    assert (closed.current.prepared_by_id, closed.current.actor_id) == (people["manager"].id,
                                                                        people["assessor"].id)
    links = links_of(ctx, ledger_stream(_zonghe(ctx).id, FIRST))
    assert [link.kind for link in links] == ["waste_revision", "month_prepared", "month_closed"]
    # The close records the month's hash: the chain head it signed, the preparer's signature.
    assert closed.current.head_hash == links[1].hash == links[2].prev_hash
    assert fresh_verify(ctx).breaks == []


def test_the_same_person_cannot_prepare_and_review(ctx: Session, settings: AppConfig, people: People) -> None:
    prepare_month(ctx, settings, people["admin"], CANTEEN, MONTH)
    ctx.commit()
    with pytest.raises(Forbidden, match="second person"):
        close_month(ctx, settings, people["admin"], CANTEEN, MONTH)
    assert month_signoff(ctx, _zonghe(ctx), FIRST).state == "prepared"


def test_a_month_is_signed_only_once_it_is_over(ctx: Session, settings: AppConfig, people: People) -> None:
    with pytest.raises(Conflict, match="not over"):
        prepare_month(ctx, settings, people["manager"], CANTEEN, "2999-01")
    for month in ("July", "2018-12", "0001-01", 202107):
        with pytest.raises(InvalidInput) as bad:
            prepare_month(ctx, settings, people["manager"], CANTEEN, month)
        assert set(bad.value.fields) == {"month"}


def test_a_closed_month_refuses_every_change_until_reopened(ctx: Session, settings: AppConfig, people: People,
                                                            weigh: Callable, count_diners: Callable) -> None:
    entry = weigh("2021-07-05", "lunch", "plate", 12)
    count_diners("2021-07-05", "lunch", 300)
    _close(ctx, settings, people)
    refusals = [
        lambda: weigh("2021-07-06", "lunch", "plate", 3),
        lambda: correct_entry(ctx, settings, people["manager"], entry.id, weight="11", unit="kg", reason="x"),
        lambda: void_entry(ctx, people["manager"], entry.id, "x"),
        lambda: count_diners("2021-07-05", "lunch", 310, reason="recount"),
    ]
    for change in refusals:
        with pytest.raises(Conflict) as refused:
            change()
        assert refused.value.status == 409
        assert "was closed by assessor" in refused.value.message
        # Refused before anything was written, not rolled back after.
        assert ctx.scalar(select(func.count()).select_from(WasteEntryRevision)) == 1
        ctx.rollback()
    # Other months and canteens are untouched by the close.
    weigh("2021-08-02", "lunch", "plate", 3)
    weigh("2021-07-06", "lunch", "plate", 3, canteen="badajie")
    with pytest.raises(InvalidInput):
        reopen_month(ctx, settings, people["assessor"], CANTEEN, MONTH, "  ")
    with pytest.raises(Forbidden):
        reopen_month(ctx, settings, people["manager"], CANTEEN, MONTH, "a typo")
    reopened = reopen_month(ctx, settings, people["assessor"], CANTEEN, MONTH,
                            "diner count of the 5th was wrong")
    ctx.commit()
    assert reopened.state == "open" and reopened.last_reopening.reason == "diner count of the 5th was wrong"
    count_diners("2021-07-05", "lunch", 310, reason="recount")
    kinds = [link.kind for link in links_of(ctx, ledger_stream(_zonghe(ctx).id, FIRST))]
    assert kinds == ["waste_revision", "diner_revision", "month_prepared", "month_closed", "month_reopened",
                     "diner_revision"]
    assert fresh_verify(ctx).breaks == []


def test_a_change_after_the_preparer_signed_asks_for_a_new_signature(ctx: Session, settings: AppConfig,
                                                                     people: People, weigh: Callable) -> None:
    prepare_month(ctx, settings, people["manager"], CANTEEN, MONTH)
    ctx.commit()
    weigh("2021-07-20", "dinner", "prep", 2, actor="manager2")
    state = month_signoff(ctx, _zonghe(ctx), FIRST)
    assert state.state == "open" and state.stale_preparation.actor_id == people["manager"].id
    with pytest.raises(Conflict, match="changed after manager signed"):
        close_month(ctx, settings, people["assessor"], CANTEEN, MONTH)


# -- the ledger page, with CSRF protection on ----------------------------------------------------------------

PASSWORD = "tray-return-2021"  # what make_user gives every test user


def _token(page: bytes) -> str:
    found = re.search(rb'name="csrf_token" value="([^"]+)"', page)
    assert found, "the page has no CSRF token"
    return found.group(1).decode()


def _login(client: FlaskClient, user: User) -> None:
    page = client.get("/login")
    response = client.post("/login", data={"username": user.username, "password": PASSWORD,
                                           "csrf_token": _token(page.data)})
    assert response.status_code == 302


def _month_page(client: FlaskClient) -> str:
    response = client.get(f"/ledger/month?canteen={CANTEEN}&month={MONTH}&lang=en")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def _post(client: FlaskClient, action: str, **extra: str) -> object:
    page = client.get(f"/ledger/month?canteen={CANTEEN}&month={MONTH}")
    data = {"canteen": CANTEEN, "month": MONTH, "csrf_token": _token(page.data), **extra}
    return client.post(f"/ledger/month/{action}", data=data)


def _weigh_now(app: Flask, settings: AppConfig, user: User, day: str) -> None:
    # In a context of its own: the web clients below must not share an outer app context (and its ``g``).
    with app.test_request_context():
        record_entry(db.session, settings, db.session.get(User, user.id),
                     {"canteen": CANTEEN, "date": day, "meal": "lunch", "stream": "plate", "weight": 12})
        db.session.commit()


def test_closing_and_reopening_from_the_ledger_page(csrf_app: Flask, settings: AppConfig,
                                                    make_user: Callable[..., User]) -> None:
    people = {role: make_user(role, username=role) for role in ("manager", "assessor")}
    _weigh_now(csrf_app, settings, people["manager"], "2021-07-05")
    client = csrf_app.test_client()
    _login(client, people["manager"])
    page = _month_page(client)
    assert 'id="sign-prepared"' in page and 'id="sign-close"' not in page
    # Without the CSRF token nothing is signed.
    refused = client.post("/ledger/month/prepare", data={"canteen": CANTEEN, "month": MONTH})
    assert refused.status_code == 400
    response = _post(client, "prepare")
    assert response.status_code == 303
    page = _month_page(client)
    assert "Signed by manager as preparer (填表人)" in page and 'id="sign-close"' not in page
    # The manager cannot review: the button is not there and the post is refused.
    assert _post(client, "close").status_code == 403

    reviewer = csrf_app.test_client()
    _login(reviewer, people["assessor"])
    assert 'id="sign-close"' in _month_page(reviewer)
    assert _post(reviewer, "close").status_code == 303
    page = _month_page(reviewer)
    assert re.search(r"Closed</strong>\s+Prepared by manager on 20\d\d-\d\d-\d\d \d\d:\d\d; reviewed and "
                     r"closed "
                     r"by assessor on 20\d\d-\d\d-\d\d \d\d:\d\d\.", page)
    assert 'id="reopen-form"' in page
    # A save on the daily page of a closed month is a conflict, in words.
    daily = client.get(f"/ledger/daily?canteen={CANTEEN}&day=2021-07-06")
    saved = client.post(f"/ledger/daily?canteen={CANTEEN}&day=2021-07-06&lang=en",
                        data={"w-lunch-plate": "3", "csrf_token": _token(daily.data), "unit": "kg"})
    assert saved.status_code == 409
    assert "was closed by assessor" in saved.get_data(as_text=True)

    missing_reason = _post(reviewer, "reopen", reason="")
    assert missing_reason.status_code == 422
    assert _post(reviewer, "reopen", reason="the 6th was never weighed").status_code == 303
    page = _month_page(reviewer)
    assert "Reopened by assessor on" in page and "the 6th was never weighed" in page
    with csrf_app.app_context():
        assert verify(db.session).breaks == []


def test_the_excel_ledger_names_who_signed(app: Flask, client: FlaskClient, ctx: Session, settings: AppConfig,
                                           people: People, login: Callable, weigh: Callable) -> None:
    weigh("2021-07-05", "lunch", "plate", 12)
    _close(ctx, settings, people)
    login(people["viewer"])
    response = client.get(f"/ledger/month.xlsx?canteen={CANTEEN}&month={MONTH}")
    sheet = load_workbook(BytesIO(response.data)).active
    texts = [cell for row in sheet.iter_rows(values_only=True) for cell in row if isinstance(cell, str)]
    prepared = next(item for item in texts if item.startswith("填表人") or "填表人" in item)
    reviewed = next(item for item in texts if "复核人" in item)
    assert "manager" in prepared and "____" not in prepared
    assert "assessor" in reviewed and "____" not in reviewed
    closed = ctx.scalars(select(LedgerMonthSignoff).where(LedgerMonthSignoff.action == "closed")).one()
    head = closed.head_hash
    assert any(head in item for item in texts)


# -- the API ------------------------------------------------------------------------------------------------

def test_closing_and_reopening_through_the_api(api_as: Callable, session: Session) -> None:
    manager, assessor = api_as("manager"), api_as("assessor")
    stored = manager.post("/waste-entries", json={"canteen": CANTEEN, "date": "2021-07-05", "meal": "lunch",
                                                  "stream": "plate", "weight": 12})
    assert stored.status_code == 201
    count = {"canteen": CANTEEN, "date": "2021-07-05", "meal": "lunch", "count": 300}
    assert manager.put("/diner-counts", json=count).status_code == 201
    body = {"canteen": CANTEEN, "month": MONTH}
    assert manager.post("/ledger-months/close", json=body).status_code == 403
    prepared = manager.post("/ledger-months/prepare", json=body)
    assert prepared.status_code == 200 and prepared.json["state"] == "prepared"
    assert manager.post("/ledger-months/prepare", json=body).status_code == 409
    closed = assessor.post("/ledger-months/close", json=body)
    assert closed.status_code == 200
    state = closed.json
    assert (state["state"], state["prepared_by"][:7], state["reviewed_by"][:8]) == ("closed", "manager",
                                                                                    "assessor")
    assert manager.get(f"/ledger-months?canteen={CANTEEN}&month={MONTH}").json == state
    refused = manager.post("/waste-entries", json={"canteen": CANTEEN, "date": "2021-07-06", "meal": "lunch",
                                                   "stream": "plate", "weight": 3})
    assert refused.status_code == 409 and refused.json["fields"] == {"month": "已关账"}
    counted = manager.put("/diner-counts", json={"canteen": CANTEEN, "date": "2021-07-06", "meal": "lunch",
                                                 "count": 200})
    assert counted.status_code == 409
    # A count sent again unchanged (a retry) changes nothing, so a closed month answers it; a new value not.
    assert manager.put("/diner-counts", json=count).status_code == 200
    assert manager.put("/diner-counts", json=count | {"count": 310, "reason": "recount"}).status_code == 409
    assert assessor.post("/ledger-months/reopen", json=body).status_code == 422
    reopened = assessor.post("/ledger-months/reopen", json=body | {"reason": "late diner counts"})
    assert reopened.status_code == 200 and reopened.json["reopen_reason"] == "late diner counts"
    assert manager.put("/diner-counts", json={"canteen": CANTEEN, "date": "2021-07-06", "meal": "lunch",
                                              "count": 200}).status_code == 201
    signoffs = session.scalars(select(LedgerMonthSignoff.action).order_by(LedgerMonthSignoff.id)).all()
    assert signoffs == ["prepared", "closed", "reopened"]
    assert session.scalar(select(ChainLink).where(ChainLink.kind == "month_reopened")) is not None
    assert fresh_verify(session).breaks == []


def test_the_sign_off_endpoints_are_documented(api_as: Callable) -> None:
    spec = api_as("viewer").get("/openapi.json").json
    for path in ("/ledger-months/prepare", "/ledger-months/close", "/ledger-months/reopen"):
        assert "post" in spec["paths"][path]
    assert "reason" in spec["components"]["schemas"]["LedgerMonthReopenInput"]["required"]
