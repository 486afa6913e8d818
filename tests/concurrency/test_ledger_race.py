"""Two managers on one empty cell, a scale retrying its weighing 4 times at once, simultaneous corrections."""
from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from datetime import date, timedelta

import pytest
import requests
from flask import Flask
from sqlalchemy import func, select

from canteen.auth.models import User
from canteen.core.timeutil import local_today
from canteen.extensions import db
from canteen.ledger.models import DinerCount, WasteEntry, WasteEntryRevision
from tests.concurrency.conftest import ROUNDS, TIMEOUT, Api, hidden_fields, race

pytestmark = pytest.mark.isolated


def live_entries(app: Flask, day: date, meal: str = "lunch", stream: str = "plate") -> list[int]:
    """The weights of the cell's entries that count."""
    with app.app_context():
        return [entry.weight_g for entry in db.session.scalars(select(WasteEntry).where(
            WasteEntry.day == day, WasteEntry.voided.is_(False)).order_by(WasteEntry.id))
            if (entry.meal.code, entry.stream.code) == (meal, stream)]


def test_two_managers_on_one_empty_cell_store_one_entry(
        app: Flask, server_url: str, make_user: Callable[..., User],
        browser_as: Callable[[User], requests.Session]) -> None:
    managers = [browser_as(make_user("manager")) for _ in range(2)]
    today = local_today(app.config["SETTINGS"].zone)
    doubled = not_one_saved = unclear = 0
    statuses: Counter[int] = Counter()
    for round_no in range(ROUNDS):
        day = today - timedelta(days=round_no + 1)
        url = f"{server_url}/ledger/daily?canteen=zonghe&day={day}"
        # Both open the day while the cell is empty, then save their own value at the same moment.
        forms = [hidden_fields(manager.get(url, timeout=TIMEOUT).text) for manager in managers]

        def save(index: int) -> requests.Response:
            form = dict(forms[index], unit="kg", reason="")
            form["w-lunch-plate"] = str(10 + index)
            # Every other round the diner count goes with it, so the all-or-nothing rule is raced too.
            if round_no % 2:
                form["d-lunch"] = str(300 + index)
            return managers[index].post(f"{server_url}/ledger/daily", data=form, allow_redirects=False,
                                        timeout=TIMEOUT)

        results = race(lambda: save(0), lambda: save(1))
        statuses.update(response.status_code for response in results)
        weights = live_entries(app, day)
        doubled += len(weights) > 1
        saved = [response for response in results if response.status_code == 302]
        not_one_saved += len(saved) != 1
        for response in results:
            if response.status_code == 409:
                # The page names the cell that changed and shows what it holds now.
                page = response.text
                unclear += not ("午餐 · 回收处剩餐" in page and re.search(r'value="1[01]"', page))
        with app.app_context():
            counts = db.session.scalars(select(DinerCount.count).where(DinerCount.day == day)).all()
        # All or nothing: the winner's weight with the winner's diner count, never a mix of the two posts.
        if len(weights) == 1 and round_no % 2:
            doubled += counts != [300 + weights[0] // 1000 - 10]
    report = (f"statuses {dict(statuses)}; cells with two live entries: {doubled}/{ROUNDS}; "
              f"rounds without exactly one save: {not_one_saved}/{ROUNDS}; unclear 409 pages: {unclear}")
    assert set(statuses) <= {302, 409}, report
    assert (doubled, not_one_saved, unclear) == (0, 0, 0), report


def test_a_scale_retrying_four_times_at_once_stores_one_row(app: Flask, make_user: Callable[..., User],
                                                            api_client: Callable[..., Api]) -> None:
    api = api_client(make_user("manager"))
    statuses: Counter[int] = Counter()
    rounds_not_one_created = 0
    for round_no in range(ROUNDS):
        body = {"canteen": "zonghe", "date": "2021-07-05", "meal": "lunch", "stream": "plate",
                "weight": 12.5, "unit": "kg", "client_id": f"scale-1:{round_no}"}
        results = race(*[lambda: api.post("/waste-entries", json=body).status_code] * 4)
        statuses.update(results)
        rounds_not_one_created += results.count(201) != 1
    with app.app_context():
        rows = db.session.scalar(select(func.count()).select_from(WasteEntry))
    report = (f"statuses {dict(statuses)}; rounds without exactly one 201: "
              f"{rounds_not_one_created}/{ROUNDS}; rows {rows} for {ROUNDS} weighings")
    assert set(statuses) <= {200, 201}, report
    assert (rounds_not_one_created, rows) == (0, ROUNDS), report
    # The same client_id for another weighing is refused, naming what differs.
    changed = {"canteen": "zonghe", "date": "2021-07-05", "meal": "lunch", "stream": "plate", "weight": 13,
               "unit": "kg", "client_id": "scale-1:0"}
    response = api.post("/waste-entries", json=changed)
    assert response.status_code == 409, response.text
    assert set(response.json()["fields"]) == {"client_id", "weight"}


def test_simultaneous_corrections_keep_one(app: Flask, server_url: str, make_user: Callable[..., User],
                                           browser_as: Callable[[User], requests.Session],
                                           api_client: Callable[..., Api]) -> None:
    owner = make_user("manager")
    api = api_client(owner)
    managers = [browser_as(make_user("manager")) for _ in range(3)]
    statuses: Counter[int] = Counter()
    not_one_saved = lost = 0
    for round_no in range(ROUNDS):
        body = {"canteen": "zonghe", "date": "2021-07-06", "meal": "lunch", "stream": "plate", "weight": 12,
                "unit": "kg", "client_id": f"correct-{round_no}"}
        entry_id = api.post("/waste-entries", json=body).json()["id"]
        cell = f"{server_url}/ledger/cell?canteen=zonghe&day=2021-07-06&meal=lunch&stream=plate"
        # Each manager opens the cell page first; its correction form carries the revision it showed.
        pages = [manager.get(cell, timeout=TIMEOUT).text for manager in managers]

        def correct(index: int) -> requests.Response:
            action = pages[index].index(f"/ledger/entries/{entry_id}/correct")
            form = hidden_fields(pages[index][action:pages[index].index("</form>", action)])
            form.update(weight=str(20 + index), unit="kg", reason=f"re-weighed by {index}")
            return managers[index].post(f"{server_url}/ledger/entries/{entry_id}/correct", data=form,
                                        allow_redirects=False, timeout=TIMEOUT)

        results = race(*[(lambda index=index: correct(index)) for index in range(3)])
        statuses.update(response.status_code for response in results)
        not_one_saved += sum(response.status_code == 302 for response in results) != 1
        with app.app_context():
            revisions = db.session.scalar(select(func.count()).select_from(WasteEntryRevision).where(
                WasteEntryRevision.entry_id == entry_id))
        # Two corrections made from the same revision would each silently overwrite the other.
        lost += revisions != 2
    report = (f"statuses {dict(statuses)}; rounds without exactly one correction: {not_one_saved}/{ROUNDS}; "
              f"entries with more or fewer than one correction: {lost}/{ROUNDS}")
    assert set(statuses) <= {302, 409}, report
    assert (not_one_saved, lost) == (0, 0), report
