"""Who may open which page, and the ledger pages' forms: all-or-nothing saves, reasons, disposals."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from io import BytesIO

import pytest
from flask import Flask
from flask.testing import FlaskClient
from openpyxl import load_workbook
from sqlalchemy import select

from canteen.auth.models import User
from canteen.extensions import db
from canteen.ledger.models import DinerCount, Disposal, WasteEntry

VIEW = frozenset({"admin", "manager", "assessor", "viewer", "contractor"})
EDIT = frozenset({"admin", "manager"})
ADMIN = frozenset({"admin"})
EVERYONE = frozenset({"admin", "manager", "assessor", "reviewer", "contractor", "discipline", "viewer"})


@dataclass(frozen=True)
class Variant:
    """A role, optionally limited to some canteens."""

    role: str
    canteens: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        """The test id."""
        return self.role + ("@" + "+".join(self.canteens) if self.canteens else "")


VARIANTS = [Variant("admin"), Variant("manager"), Variant("manager", ("badajie",)), Variant("assessor"),
            Variant("reviewer"), Variant("contractor"), Variant("discipline"), Variant("viewer")]

# Every GET page outside the API: who may open it, and whether it is about one canteen.
PAGES: dict[str, tuple[frozenset[str], bool]] = {
    "home.canteens_page": (EVERYONE, False),
    "home.api_docs": (EVERYONE, False),
    "ledger.month_page": (VIEW, True),
    "ledger.month_xlsx": (VIEW, True),
    "ledger.cell_page": (VIEW, True),
    "ledger.diner_history_page": (VIEW, True),
    "ledger.disposals_page": (VIEW, True),
    "ledger.daily_page": (EDIT, True),
    "ledger.import_page": (EDIT, False),
    "admin.users": (ADMIN, False),
    "admin.tokens": (ADMIN, False),
    "auth.password_page": (EVERYONE, False),
}
# Pages that need no login, and POST-only actions (tested below).
# Blueprints of later features have permission matrices of their own (tests/assessment, tests/offences,
# tests/reports); this one covers the ledger foundation.
CORE_BLUEPRINTS = {"auth", "home", "ledger", "admin"}
NOT_IN_MATRIX = {"home.index", "auth.login", "auth.logout", "auth.set_language", "healthz", "static",
                 "ledger.correct_page", "ledger.void_page", "admin.toggle_active", "admin.reset_password"}


@pytest.fixture
def world(make_user: Callable[..., User], seed: Callable[..., int], seed_diners: Callable[..., None],
          seed_disposal: Callable[..., int], past_day: date) -> dict[str, object]:
    """An admin and one entry, diner count and disposal in each canteen."""
    admin = make_user("admin", username="boss")
    ids = {}
    for canteen in ("zonghe", "badajie"):
        ids[canteen] = seed(admin, past_day, "lunch", "plate", 12000, canteen=canteen)
        seed_diners(admin, past_day, "lunch", 300, canteen=canteen)
        seed_disposal(admin, past_day, 50000, canteen=canteen)
    return {"admin": admin, "entries": ids, "day": past_day}


def page_url(endpoint: str, canteen: str, day: date) -> str:
    """The URL to open a page with everything it needs."""
    query = {
        "ledger.month_page": f"?canteen={canteen}&month={day:%Y-%m}",
        "ledger.month_xlsx": f"?canteen={canteen}&month={day:%Y-%m}",
        "ledger.cell_page": f"?canteen={canteen}&day={day}&meal=lunch&stream=plate",
        "ledger.diner_history_page": f"?canteen={canteen}&day={day}&meal=lunch",
        "ledger.disposals_page": f"?canteen={canteen}&month={day:%Y-%m}",
        "ledger.daily_page": f"?canteen={canteen}&day={day}",
    }.get(endpoint, "")
    paths = {"home.canteens_page": "/canteens", "home.api_docs": "/api-docs",
             "ledger.month_page": "/ledger/month", "ledger.month_xlsx": "/ledger/month.xlsx",
             "ledger.cell_page": "/ledger/cell",
             "ledger.diner_history_page": "/ledger/diners", "ledger.disposals_page": "/ledger/disposals",
             "ledger.daily_page": "/ledger/daily", "ledger.import_page": "/ledger/import",
             "admin.users": "/admin/users", "admin.tokens": "/admin/tokens",
             "auth.password_page": "/account/password"}
    return paths[endpoint] + query


def test_the_matrix_covers_every_page(app: Flask) -> None:
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules() if not rule.rule.startswith("/api/")
                 and (rule.endpoint.split(".")[0] in CORE_BLUEPRINTS or "." not in rule.endpoint)}
    assert endpoints == set(PAGES) | NOT_IN_MATRIX, "a new page needs a row in PAGES"
    with app.test_request_context():
        for endpoint in PAGES:
            assert page_url(endpoint, "zonghe", date(2024, 1, 1)).split("?")[0] == app.url_for(endpoint)


@pytest.mark.parametrize("variant", VARIANTS, ids=lambda variant: variant.label)
def test_page_permissions_per_role(app: Flask, client: FlaskClient, make_user: Callable[..., User],
                                   login: Callable[[User], FlaskClient], world: dict[str, object],
                                   variant: Variant) -> None:
    login(make_user(variant.role, canteens=list(variant.canteens) or None))
    day = world["day"]
    assert isinstance(day, date)
    for endpoint, (roles, per_canteen) in PAGES.items():
        for canteen in ("zonghe", "badajie") if per_canteen else ("zonghe",):
            response = client.get(page_url(endpoint, canteen, day))
            if variant.role not in roles:
                expected = 403
            elif per_canteen and variant.canteens and canteen not in variant.canteens:
                expected = 404
            else:
                expected = 200
            assert response.status_code == expected, (endpoint, canteen, response.status_code)


def test_navigation_offers_only_what_the_role_may_open(client: FlaskClient, make_user: Callable[..., User],
                                                       login: Callable[[User], FlaskClient]) -> None:
    login(make_user("viewer"))
    start = client.get("/canteens").get_data(as_text=True)
    assert 'href="/ledger/month"' in start
    assert 'href="/ledger/daily"' not in start
    assert 'href="/admin/users"' not in start


def test_manager_limited_to_badajie_sees_only_badajie(client: FlaskClient, make_user: Callable[..., User],
                                                      login: Callable[[User], FlaskClient],
                                                      world: dict[str, object]) -> None:
    login(make_user("manager", canteens=["badajie"]))
    start = client.get("/canteens").get_data(as_text=True)
    assert "八大街综合楼餐厅" in start
    assert "综合办公区餐厅" not in start
    # Without ?canteen= the pages open the user's own canteen.
    month = client.get("/ledger/month").get_data(as_text=True)
    assert "八大街综合楼餐厅" in month
    assert 'value="zonghe"' not in month


# --- actions that change the ledger ----------------------------------------------------------------------

def stored_entries(app: Flask) -> list[tuple[str, str, str, int, bool, int]]:
    """Every entry as (canteen, meal, stream, grams, voided, revisions), oldest first."""
    with app.app_context():
        return [(entry.canteen.code, entry.meal.code, entry.stream.code, entry.weight_g, entry.voided,
                 len(entry.revisions))
                for entry in db.session.scalars(select(WasteEntry).order_by(WasteEntry.id))]


def stored_disposals(app: Flask) -> list[tuple[str, int, bool]]:
    """Every disposal as (canteen code via id order, grams, voided)."""
    with app.app_context():
        return [(str(row.canteen_id), row.weight_g, row.voided)
                for row in db.session.scalars(select(Disposal).order_by(Disposal.id))]


@pytest.mark.parametrize("variant", VARIANTS, ids=lambda variant: variant.label)
def test_changes_only_for_admin_and_manager(app: Flask, client: FlaskClient, make_user: Callable[..., User],
                                            login: Callable[[User], FlaskClient], world: dict[str, object],
                                            variant: Variant) -> None:
    login(make_user(variant.role, canteens=list(variant.canteens) or None))
    day = world["day"]
    entry_id = world["entries"]["zonghe"]  # type: ignore[index]
    with app.app_context():
        disposal_id = db.session.scalar(select(Disposal.id).order_by(Disposal.id))
    before_entries, before_disposals = stored_entries(app), stored_disposals(app)
    requests = [
        ("/ledger/daily", {"canteen": "zonghe", "day": str(day), "unit": "kg", "w-dinner-plate": "9"}),
        (f"/ledger/entries/{entry_id}/correct", {"weight": "11", "unit": "kg", "reason": "re-weighed"}),
        (f"/ledger/entries/{entry_id}/void", {"reason": "entered twice"}),
        ("/ledger/disposals?canteen=zonghe", {"date": str(day), "receiver_kind": "composter",
                                              "receiver": "on-site", "weight": "5", "unit": "kg"}),
        ("/ledger/disposals?canteen=zonghe", {"action": "void", "id": str(disposal_id), "reason": "wrong"}),
    ]
    statuses = [client.post(url, data=data).status_code for url, data in requests]
    if variant.role not in EDIT:
        assert statuses == [403] * len(requests)
    elif variant.canteens:
        assert statuses == [404] * len(requests)
    else:
        assert statuses == [302] * len(requests)
        entries = stored_entries(app)
        assert entries[0][3:] == (11000, True, 3)  # corrected, then voided
        assert ("zonghe", "dinner", "plate", 9000, False, 1) in entries
        disposals = stored_disposals(app)
        assert disposals[0][2] is True and len(disposals) == len(before_disposals) + 1
        return
    assert stored_entries(app) == before_entries
    assert stored_disposals(app) == before_disposals


def test_admin_pages_only_for_admin(app: Flask, client: FlaskClient, make_user: Callable[..., User],
                                    login: Callable[[User], FlaskClient]) -> None:
    target = make_user("viewer", username="target")
    login(make_user("manager"))
    assert client.post(f"/admin/users/{target.id}/active").status_code == 403
    assert client.post("/admin/users", data={"username": "x", "role": "admin",
                                             "password": "password999"}).status_code == 403
    assert client.post("/admin/tokens", data={"username": "target"}).status_code == 403
    with app.app_context():
        assert db.session.get(User, target.id).active is True
        assert db.session.scalar(select(User).where(User.username == "x")) is None


def test_admin_deactivates_and_creates_users(app: Flask, client: FlaskClient, make_user: Callable[..., User],
                                             login: Callable[[User], FlaskClient]) -> None:
    target = make_user("viewer", username="target")
    login(make_user("admin"))
    client.post("/language/en", data={"next": "/"})
    assert client.post(f"/admin/users/{target.id}/active").status_code == 302
    response = client.post("/admin/users", data={"username": "cook", "role": "manager", "password": "short",
                                                 "canteen": "badajie"})
    assert response.status_code == 422
    assert b"at least 10 characters" in response.data
    assert client.post("/admin/users", data={"username": "cook", "role": "manager", "password": "long-enough",
                                             "canteen": "badajie"}).status_code == 302
    created = client.post("/admin/tokens", data={"username": "cook", "name": "lunch scale"})
    assert created.status_code == 200
    assert b"cw_" in created.data
    with app.app_context():
        assert db.session.get(User, target.id).active is False
        cook = db.session.scalar(select(User).where(User.username == "cook"))
        assert cook is not None and [c.code for c in cook.canteens] == ["badajie"]


# --- the daily entry form ---------------------------------------------------------------------------------

def daily_form(day: date, unit: str = "kg", **fields: str) -> dict[str, str]:
    """A daily-entry POST body; ``w_lunch_plate="12"`` becomes ``w-lunch-plate``."""
    data = {"canteen": "zonghe", "day": day.isoformat(), "unit": unit}
    data.update({key.replace("_", "-") if key[:2] in ("w_", "d_") else key: value
                 for key, value in fields.items()})
    return data


@pytest.fixture
def manager_client(client: FlaskClient, make_user: Callable[..., User],
                   login: Callable[[User], FlaskClient]) -> FlaskClient:
    """A client logged in as a manager of every canteen, in English."""
    login(make_user("manager", username="wang"))
    client.post("/language/en", data={"next": "/"})
    return client


def test_daily_post_with_one_bad_cell_stores_nothing_and_names_the_cell(
        app: Flask, manager_client: FlaskClient, past_day: date) -> None:
    response = manager_client.post("/ledger/daily", data=daily_form(
        past_day, w_breakfast_prep="3.5", w_breakfast_plate="2", w_lunch_plate="12,5", w_dinner_unsold="4",
        d_breakfast="120", d_lunch="300"))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Nothing was saved. Correct the marked fields: Lunch · Plate waste" in html
    assert 'id="cell-lunch-plate"' in html and "cell-error" in html
    assert "not a number" in html
    # The good values are still in the form, so nothing has to be typed twice.
    assert 'value="3.5"' in html and 'value="12,5"' in html and 'value="300"' in html
    assert stored_entries(app) == []
    with app.app_context():
        assert db.session.scalars(select(DinerCount)).all() == []


@pytest.mark.parametrize("fields,named", [
    ({"w_lunch_plate": "600"}, "Lunch · Plate waste"),
    ({"w_lunch_plate": "-1"}, "Lunch · Plate waste"),
    ({"w_lunch_plate": "12", "d_dinner": "many"}, "Dinner · Diner count"),
])
def test_any_bad_field_blocks_the_whole_day(app: Flask, manager_client: FlaskClient, past_day: date,
                                            fields: dict[str, str], named: str) -> None:
    response = manager_client.post("/ledger/daily", data=daily_form(past_day, w_breakfast_prep="3", **fields))
    assert response.status_code == 422
    assert named in response.get_data(as_text=True)
    assert stored_entries(app) == []


def test_daily_post_stores_grams_in_the_chosen_unit(app: Flask, manager_client: FlaskClient,
                                                    past_day: date) -> None:
    # The form's unit wins over a unit left in the query string.
    response = manager_client.post(f"/ledger/daily?canteen=zonghe&day={past_day}&unit=kg", data=daily_form(
        past_day, unit="jin", w_lunch_plate="25", w_lunch_prep="7.5", d_lunch="310"))
    assert response.status_code == 302
    assert ("zonghe", "lunch", "plate", 12500, False, 1) in stored_entries(app)
    assert ("zonghe", "lunch", "prep", 3750, False, 1) in stored_entries(app)
    page = manager_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Saved 3 change(s)." in page
    assert 'value="25"' in page  # shown again in jin
    with app.app_context():
        assert db.session.scalar(select(DinerCount.count)) == 310


def test_changing_a_saved_value_needs_a_reason(app: Flask, manager_client: FlaskClient,
                                               past_day: date) -> None:
    assert manager_client.post("/ledger/daily",
                               data=daily_form(past_day, w_lunch_plate="12")).status_code == 302
    refused = manager_client.post("/ledger/daily", data=daily_form(past_day, w_lunch_plate="13"))
    assert refused.status_code == 422
    assert "say why saved values change" in refused.get_data(as_text=True)
    assert stored_entries(app) == [("zonghe", "lunch", "plate", 12000, False, 1)]
    # Emptying a saved cell voids the entry, which needs a reason too.
    assert manager_client.post("/ledger/daily",
                               data=daily_form(past_day, w_lunch_plate="")).status_code == 422
    saved = manager_client.post("/ledger/daily", data=daily_form(past_day, w_lunch_plate="13",
                                                                 reason="scale was not zeroed"))
    assert saved.status_code == 302
    assert stored_entries(app) == [("zonghe", "lunch", "plate", 13000, False, 2)]


def test_correction_on_the_cell_page_needs_a_reason(app: Flask, manager_client: FlaskClient,
                                                    seed: Callable[..., int], make_user: Callable[..., User],
                                                    past_day: date) -> None:
    entry_id = seed(make_user("admin"), past_day, "lunch", "plate", 12000)
    response = manager_client.post(f"/ledger/entries/{entry_id}/correct", data={"weight": "13", "unit": "kg",
                                                                                "reason": "  "})
    assert response.status_code == 302
    page = manager_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Nothing was saved" in page and "reason: required" in page
    assert stored_entries(app) == [("zonghe", "lunch", "plate", 12000, False, 1)]
    manager_client.post(f"/ledger/entries/{entry_id}/correct", data={"weight": "26", "unit": "jin",
                                                                     "reason": "re-weighed"})
    page = manager_client.get(f"/ledger/cell?canteen=zonghe&day={past_day}&meal=lunch&stream=plate")
    html = page.get_data(as_text=True)
    assert stored_entries(app) == [("zonghe", "lunch", "plate", 13000, False, 2)]
    assert "re-weighed" in html and "12.000" in html and "13.000" in html and "wang" in html


def test_unknown_entry_is_404(manager_client: FlaskClient) -> None:
    assert manager_client.post("/ledger/entries/999/correct",
                               data={"weight": "1", "reason": "x"}).status_code == 404
    assert manager_client.post("/ledger/entries/999/void", data={"reason": "x"}).status_code == 404


def test_outliers_are_saved_only_after_confirming(app: Flask, manager_client: FlaskClient,
                                                  seed: Callable[..., int], make_user: Callable[..., User],
                                                  past_day: date) -> None:
    admin = make_user("admin")
    for weeks_ago in range(1, 5):
        seed(admin, past_day - timedelta(weeks=weeks_ago), "lunch", "plate", 10000 + 1000 * weeks_ago)
    before = stored_entries(app)
    # 11-14 kg before, so anything above 21 kg is far outside.
    warned = manager_client.post("/ledger/daily",
                                 data=daily_form(past_day, w_lunch_plate="40", w_lunch_prep="3"))
    assert warned.status_code == 422
    html = warned.get_data(as_text=True)
    assert "far outside the last 4 weeks (7.333-21 kg)" in html
    assert 'id="outlier-confirm" hidden' not in html
    assert stored_entries(app) == before
    confirmed = manager_client.post("/ledger/daily", data=daily_form(past_day, w_lunch_plate="40",
                                                                     w_lunch_prep="3", confirm_outliers="1"))
    assert confirmed.status_code == 302
    assert ("zonghe", "lunch", "plate", 40000, False, 1) in stored_entries(app)


def test_month_page_marks_missing_meals_and_totals(app: Flask, manager_client: FlaskClient,
                                                   seed: Callable[..., int], seed_diners: Callable[..., None],
                                                   make_user: Callable[..., User]) -> None:
    admin = make_user("admin")
    month = date(2024, 3, 1)
    for meal, grams in (("breakfast", 4000), ("lunch", 12000), ("dinner", 6000)):
        seed(admin, date(2024, 3, 5), meal, "plate", grams)
    seed(admin, date(2024, 3, 5), "lunch", "grease", 2000)
    seed(admin, date(2024, 3, 7), "dinner", "grease", 1000)  # grease alone: dinner's food waste is missing
    seed_diners(admin, date(2024, 3, 5), "lunch", 300)
    seed(admin, date(2024, 2, 10), "lunch", "plate", 30000)
    html = manager_client.get(f"/ledger/month?canteen=zonghe&month={month:%Y-%m}").get_data(as_text=True)
    assert 'id="total-kg">22.0 kg' in html
    assert 'id="month-total">22.0' in html
    assert "grease and other streams: 3.0 kg" in html
    assert ("month over month: down 8.0 kg (-26.7%)" in html
            and "(a month compared has missing entries)" in html)
    row_5 = html.split('data-day="2024-03-05"')[1].split("</tr>")[0]
    assert ">12.0</a>" in row_5 and "missing" not in row_5
    row_6 = html.split('data-day="2024-03-06"')[1].split("</tr>")[0]
    # Each meal is marked missing once, across its streams, and never shown as zero.
    assert row_6.count('class="missing meal-start" colspan="4"') == 3 and ">0.0<" not in row_6
    row_7 = html.split('data-day="2024-03-07"')[1].split("</tr>")[0]
    assert row_7.count('colspan="4"') == 2
    assert row_7.count(">missing<") == 2 + 3 and ">1.0</a>" in row_7
    assert 'id="per-diner">40.0 g' in html


def test_excel_download_holds_the_month(app: Flask, manager_client: FlaskClient, seed: Callable[..., int],
                                        make_user: Callable[..., User]) -> None:
    seed(make_user("admin"), date(2024, 3, 5), "lunch", "plate", 12500)
    response = manager_client.get("/ledger/month.xlsx?canteen=zonghe&month=2024-03")
    assert response.status_code == 200
    assert "ledger-zonghe-2024-03.xlsx" in response.headers["Content-Disposition"]
    book = load_workbook(BytesIO(response.data))
    sheet = book.active
    assert sheet.title == "2024-03"
    assert sheet["A1"].value == "Integrated Office Area Canteen Kitchen-waste ledger"
    total_row = next(row for row in sheet.iter_rows(values_only=True) if row[0] == "Month total")
    assert 12.5 in total_row
    book.close()


# --- disposals ---------------------------------------------------------------------------------------------

def test_disposals_page_adds_and_voids_a_disposal(app: Flask, manager_client: FlaskClient,
                                                  past_day: date) -> None:
    url = f"/ledger/disposals?canteen=zonghe&month={past_day:%Y-%m}"
    missing_manifest = manager_client.post(url, data={"date": str(past_day), "receiver_kind": "hauler",
                                                      "receiver": "Green Haul", "weight": "120",
                                                      "unit": "kg"})
    assert missing_manifest.status_code == 422
    assert stored_disposals(app) == []
    added = manager_client.post(url, data={"date": str(past_day), "receiver_kind": "hauler",
                                           "receiver": "Green Haul", "manifest_no": "HZ-2024-0117",
                                           "waste_type": "food", "weight": "240", "unit": "jin"})
    assert added.status_code == 302
    page = manager_client.get(url).get_data(as_text=True)
    assert "HZ-2024-0117" in page and 'id="handed-food">120.0 kg' in page
    with app.app_context():
        disposal_id = db.session.scalar(select(Disposal.id))
    no_reason = manager_client.post(url, data={"action": "void", "id": str(disposal_id), "reason": ""})
    assert no_reason.status_code == 422
    assert stored_disposals(app)[0][2] is False
    assert manager_client.post(url, data={"action": "void", "id": str(disposal_id),
                                          "reason": "manifest belongs to badajie"}).status_code == 302
    page = manager_client.get(url).get_data(as_text=True)
    row = page.split(f'id="disposal-{disposal_id}"')[1].split("</tr>")[0]
    assert "HZ-2024-0117" in row and "manifest belongs to badajie" in row and "struck" in row
    assert 'id="handed-food">0.0 kg' in page
    assert stored_disposals(app)[0][1:] == (120000, True)
    assert manager_client.post(url, data={"action": "void", "id": "abc", "reason": "x"}).status_code == 404


def test_the_start_page_is_the_dashboard(client: FlaskClient, make_user: Callable[..., User],
                                         login: Callable[[User], FlaskClient]) -> None:
    login(make_user("viewer"))
    response = client.get("/")
    assert response.status_code == 302 and response.headers["Location"].endswith("/dashboard")
    assert client.get("/dashboard").status_code == 200
