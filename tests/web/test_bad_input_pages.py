"""Bad input on the pages: the form comes back with the field's error, or a 400/404 page; never a 500.

The page-side twin of tests/api/test_bad_input.py (issue 10), one test per root cause, on both databases.
"""
from __future__ import annotations

from datetime import date
from typing import Any, Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from canteen.assessment.models import Contractor
from canteen.auth.models import User
from canteen.extensions import db
from canteen.ledger.models import Disposal, WasteEntry
from tests.assessment.world import make_contractor


@pytest.fixture
def admin_client(client: FlaskClient, make_user: Callable[..., User],
                 login: Callable[[User], FlaskClient]) -> FlaskClient:
    """A client logged in as an admin, in English."""
    login(make_user("admin", username="boss"))
    client.post("/language/en", data={"next": "/"})
    return client


def _count(app: Flask, model: Any) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


# --- numbers beyond what Decimal arithmetic takes: the form is shown again with the field's error ----------

@pytest.mark.parametrize("weight", ["1e30", "1e308", "1" * 5000, "inf", "nan"])
def test_the_daily_form_names_a_weight_beyond_any_scale(app: Flask, admin_client: FlaskClient, past_day: date,
                                                        weight: str) -> None:
    response = admin_client.post("/ledger/daily", data={
        "canteen": "zonghe", "day": past_day.isoformat(), "unit": "kg", "w-lunch-plate": weight,
        "d-lunch": "1" * 5000})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'id="cell-lunch-plate"' in html and "cell-error" in html
    assert "Lunch · Plate waste" in html and "Lunch · Diner count" in html
    assert _count(app, WasteEntry) == 0


def test_the_disposal_form_names_a_weight_of_1e308(app: Flask, admin_client: FlaskClient,
                                                   past_day: date) -> None:
    response = admin_client.post(f"/ledger/disposals?canteen=zonghe&month={past_day:%Y-%m}", data={
        "date": past_day.isoformat(), "receiver_kind": "hauler", "receiver": "Hauler Ltd",
        "manifest_no": "M-1", "waste_type": "food", "weight": "1e308", "unit": "kg"})
    assert response.status_code == 422
    assert "more than the 500 kg one entry may hold" in response.get_data(as_text=True)
    assert _count(app, Disposal) == 0


def test_the_contractor_form_names_a_fee_of_1e30(app: Flask, admin_client: FlaskClient) -> None:
    response = admin_client.post("/assessment/contractors", data={
        "name": "Big Catering", "contract_no": "BC-1", "starts_on": "2021-01-01", "ends_on": "2021-12-31",
        "serve-zonghe": "1", "fee-zonghe": "1e30"})
    assert response.status_code == 422
    assert 'value="1e30"' in response.get_data(as_text=True)
    assert _count(app, Contractor) == 0


# --- ids beyond the database's integer range: a 404, or the form's own "unknown" answer ------------------

def test_page_and_form_ids_beyond_the_database_range_are_refused(app: Flask, admin_client: FlaskClient,
                                                                 make_user: Callable[..., User]) -> None:
    for path in ("/assessment/2147483648", "/spot-checks/9223372036854775808",
                 "/diners/" + "9" * 5000 + "/edit"):
        assert admin_client.get(path).status_code == 404
    revoked = admin_client.post("/admin/tokens", data={"action": "revoke", "id": "9" * 5000})
    assert revoked.status_code < 500
    assert admin_client.post("/ledger/disposals?canteen=zonghe", data={
        "action": "void", "id": "2147483648", "reason": "typo"}).status_code == 404
    contractor = make_contractor(app, make_user("admin"))
    unlinked = admin_client.post(f"/assessment/contractors/{contractor}", data={
        "action": "unlink", "user_id": "2147483648"})
    assert unlinked.status_code == 404


# --- text no database can store: 400 naming the field, even before login -----------------------------------

def test_nul_in_a_form_field_or_query_is_400_naming_it(admin_client: FlaskClient) -> None:
    response = admin_client.post("/diners/new", data={"card_no": "1001", "name": "张\x00三"})
    assert response.status_code == 400
    assert "name" in response.get_data(as_text=True)
    query = admin_client.get("/ledger/daily?canteen=zong%00he")
    assert query.status_code == 400 and "canteen" in query.get_data(as_text=True)


# --- days and months at the edge of the calendar: a page, or a 400/422 naming the field; no OverflowError ---

@pytest.mark.parametrize("path", ["/ledger/daily?canteen=zonghe&day=0001-01-01",
                                  "/ledger/daily?canteen=zonghe&day=9999-12-31",
                                  "/ledger/month?canteen=zonghe&month=0001-01",
                                  "/ledger/month?canteen=zonghe&month=9999-12",
                                  "/ledger/daily?canteen=zonghe&day=9998-12-31",
                                  "/ledger/month?canteen=zonghe&month=9998-12",
                                  "/ledger/month?canteen=zonghe&month=1900-01",
                                  "/spot-checks/?canteen=zonghe&month=9998-12",
                                  "/audit/?month=9998-12",
                                  "/review/?day=0001-01-01"])
def test_a_day_or_month_at_the_edge_of_the_calendar_shows_a_page(
        admin_client: FlaskClient, path: str) -> None:
    assert admin_client.get(path).status_code in (200, 400, 422)
