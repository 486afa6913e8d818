"""The daily form carries what each cell showed: a cell saved by someone else meanwhile is a 409."""
from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from canteen.auth.models import User
from canteen.extensions import db
from canteen.ledger.models import DinerCount
from tests.concurrency.conftest import hidden_fields
from tests.web.test_pages import stored_entries


@pytest.fixture
def manager_client(client: FlaskClient, make_user: Callable[..., User],
                   login: Callable[[User], FlaskClient]) -> FlaskClient:
    """A client logged in as a manager, in English."""
    login(make_user("manager", username="wang"))
    client.post("/language/en", data={"next": "/"})
    return client


def opened(client: FlaskClient, day: date) -> dict[str, str]:
    """The hidden fields of the daily page as the browser got it (canteen, day, each cell's state)."""
    return hidden_fields(client.get(f"/ledger/daily?canteen=zonghe&day={day}").get_data(as_text=True))


def diner_counts(app: Flask) -> list[int]:
    with app.app_context():
        return list(db.session.scalars(select(DinerCount.count)))


def test_a_cell_saved_meanwhile_is_a_409_naming_it_and_nothing_is_saved(
        app: Flask, manager_client: FlaskClient, seed: Callable[..., int], make_user: Callable[..., User],
        past_day: date) -> None:
    form = opened(manager_client, past_day)
    assert form["s-lunch-plate"] == "" and form["ds-lunch"] == ""
    # Another manager saves the same cell before this one does.
    seed(make_user("manager"), past_day, "lunch", "plate", 12000)
    response = manager_client.post("/ledger/daily", data=dict(
        form, unit="kg", **{"w-lunch-plate": "9", "w-lunch-prep": "3", "d-lunch": "300"}))
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "Nothing was saved: someone else changed Lunch · Plate waste while you were editing" in page
    assert "someone else saved 12 kg here while you were editing (you entered 9)" in page
    # The field now holds the stored value, with the state it has now, so saving again is a decision.
    assert re.search(r'name="w-lunch-plate"[^>]*value="12"', page)
    assert hidden_fields(page)["s-lunch-plate"] != ""
    # All or nothing: neither the other cell nor the diner count was stored.
    assert stored_entries(app) == [("zonghe", "lunch", "plate", 12000, False, 1)]
    assert diner_counts(app) == []


def test_a_cell_changed_meanwhile_but_left_as_shown_is_kept(
        app: Flask, manager_client: FlaskClient, seed: Callable[..., int], make_user: Callable[..., User],
        past_day: date) -> None:
    entry_id = seed(make_user("manager"), past_day, "lunch", "plate", 12000)
    form = opened(manager_client, past_day)
    assert form["s-lunch-plate"] == f"{entry_id}.1"
    # Someone corrects the cell; this manager saves the page without touching that field.
    other = make_user("manager")
    with app.test_request_context():
        from canteen.ledger.entries import correct_entry

        correct_entry(db.session, app.config["SETTINGS"], db.session.get(User, other.id), entry_id, weight=13,
                      unit="kg", reason="re-weighed")
        db.session.commit()
    response = manager_client.post("/ledger/daily", data=dict(
        form, unit="kg", **{"w-lunch-plate": "12", "w-lunch-prep": "3"}))
    assert response.status_code == 302
    # The correction is not reverted to the value the page showed; the new cell is stored.
    assert stored_entries(app) == [("zonghe", "lunch", "plate", 13000, False, 2),
                                   ("zonghe", "lunch", "prep", 3000, False, 1)]


def test_a_diner_count_changed_meanwhile_is_a_409(app: Flask, manager_client: FlaskClient,
                                                  seed_diners: Callable[..., None],
                                                  make_user: Callable[..., User], past_day: date) -> None:
    form = opened(manager_client, past_day)
    seed_diners(make_user("manager"), past_day, "lunch", 280)
    response = manager_client.post("/ledger/daily", data=dict(form, unit="kg", **{"d-lunch": "300"}))
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "someone else changed Lunch · Diner count while you were editing" in page
    assert diner_counts(app) == [280]


def test_a_correction_from_an_old_cell_page_is_a_409(app: Flask, manager_client: FlaskClient,
                                                     seed: Callable[..., int], make_user: Callable[..., User],
                                                     past_day: date) -> None:
    entry_id = seed(make_user("manager"), past_day, "lunch", "plate", 12000)
    for weight, status in (("13", 302), ("14", 409)):
        # Both corrections come from the page showing revision 1; the second would overwrite the first.
        response = manager_client.post(f"/ledger/entries/{entry_id}/correct", data={
            "weight": weight, "unit": "kg", "reason": "re-weighed", "revision": "1"})
        assert response.status_code == status
    assert "someone else changed this entry while you were editing" in response.get_data(as_text=True)
    assert stored_entries(app) == [("zonghe", "lunch", "plate", 13000, False, 2)]


def test_a_cell_that_became_several_weighings_meanwhile_is_a_409(
        app: Flask, manager_client: FlaskClient, seed: Callable[..., int], make_user: Callable[..., User],
        past_day: date) -> None:
    seed(make_user("manager"), past_day, "lunch", "plate", 12000)
    form = opened(manager_client, past_day)
    # A scale adds a second weighing: the cell is now their sum and no longer one field.
    with app.test_request_context():
        from canteen.ledger.entries import record_entry

        record_entry(db.session, app.config["SETTINGS"], db.session.get(User, make_user("manager").id),
                     {"canteen": "zonghe", "date": past_day, "meal": "lunch", "stream": "plate", "weight": 2,
                      "unit": "kg"}, source="api")
        db.session.commit()
    response = manager_client.post("/ledger/daily", data=dict(
        form, unit="kg", reason="re-weighed", **{"w-lunch-plate": "13", "w-lunch-prep": "3"}))
    assert response.status_code == 409
    assert "someone else saved 14 kg here while you were editing (you entered 13)" in response.get_data(
        as_text=True)
    assert [row[3] for row in stored_entries(app)] == [12000, 2000]
