"""A day or month in a ledger page's address is used as given or refused, never replaced by today."""
from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from canteen.auth.models import User
from canteen.extensions import db
from canteen.ledger.models import WasteEntry


@pytest.fixture
def manager_client(client: FlaskClient, make_user: Callable[..., User],
                   login: Callable[[User], FlaskClient]) -> FlaskClient:
    """A client logged in as a manager, in English."""
    login(make_user("manager"))
    client.post("/language/en", data={"next": "/"})
    return client


@pytest.mark.parametrize("day", ["20210801", "2021-W31-1", "0001-01-01", "2021-02-30"])
def test_a_malformed_day_is_refused_naming_it(manager_client: FlaskClient, day: str) -> None:
    page = manager_client.get(f"/ledger/daily?canteen=zonghe&day={day}")
    assert page.status_code == 400
    assert "day" in page.get_data(as_text=True)


def test_a_post_with_a_malformed_day_stores_nothing(app: Flask, manager_client: FlaskClient) -> None:
    answer = manager_client.post("/ledger/daily", data={"canteen": "zonghe", "day": "20210801",
                                                        "unit": "kg", "w-dinner-grease": "1.5"})
    assert answer.status_code == 400
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(WasteEntry)) == 0


@pytest.mark.parametrize("month", ["2021-13", "bad", "202108"])
def test_a_malformed_month_is_refused_naming_it(manager_client: FlaskClient, month: str) -> None:
    for path in ("/ledger/month", "/ledger/month.xlsx"):
        page = manager_client.get(f"{path}?canteen=zonghe&month={month}")
        assert page.status_code == 400, path
        assert "month" in page.get_data(as_text=True)


def test_no_day_or_month_opens_today(manager_client: FlaskClient) -> None:
    assert manager_client.get("/ledger/daily?canteen=zonghe").status_code == 200
    assert manager_client.get("/ledger/month?canteen=zonghe").status_code == 200
