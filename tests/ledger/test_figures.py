"""The ledger's figures on a small hand-made month, July 2021 in zonghe, against June 2021 and July 2020.

Food waste in July: 10 + 5 + 2 + 1.5 + 4 = 22.5 kg; grease 4 kg; a 50 kg plate weight voided. June: 20 kg.
July 2020: 30 kg. The numbers are worked out by hand, not read back from the code under test.
"""
from __future__ import annotations

from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any, Callable

import pytest
from sqlalchemy.orm import Session

from canteen.auth.models import User
from canteen.config import AppConfig
from canteen.ledger import figures
from canteen.ledger.diners import set_diner_count
from canteen.ledger.entries import void_entry
from canteen.reference.models import Canteen
from canteen.reference.services import canteen_by_code

JUNE, JULY, AUGUST = date(2021, 6, 1), date(2021, 7, 1), date(2021, 8, 1)
JULY_2020 = date(2020, 7, 1)
NOW = datetime(2021, 10, 1, tzinfo=timezone.utc)  # every month shown is over: 'today' does not matter


@pytest.fixture
def month(session: Session, settings: AppConfig, admin: User, add_entry: Callable[..., Any]) -> None:
    """The hand-made month and the months it is compared with."""
    def diners(day: str, meal: str, count: int) -> None:
        set_diner_count(session, settings, admin, canteen="zonghe", day=day, meal=meal, count=count)
        session.commit()

    add_entry("2021-07-01", "lunch", "plate", "10")
    add_entry("2021-07-01", "lunch", "prep", "5", dish="土豆烧牛肉")
    add_entry("2021-07-01", "lunch", "grease", "3")
    diners("2021-07-01", "lunch", 500)
    add_entry("2021-07-01", "dinner", "unsold", "4", unit="jin")
    diners("2021-07-01", "dinner", 100)  # a count without a plate weight: not in the per-diner figure
    add_entry("2021-07-02", "breakfast", "plate", "1500", unit="g")  # a plate weight without a count
    add_entry("2021-07-02", "lunch", "plate", "4")
    diners("2021-07-02", "lunch", 0)  # a count of zero: not in the per-diner figure either
    wrong = add_entry("2021-07-03", "lunch", "plate", "50")
    void_entry(session, admin, wrong.id, "weighed the wrong bin")
    session.commit()
    add_entry("2021-07-04", "dinner", "grease", "1")  # grease alone does not make a meal entered
    add_entry("2021-06-15", "lunch", "plate", "20")
    add_entry("2020-07-10", "lunch", "plate", "25")
    add_entry("2020-07-10", "lunch", "prep", "5")
    add_entry("2021-07-05", "lunch", "plate", "6", canteen="badajie")


def _canteen(session: Session, code: str) -> Canteen:
    canteen = canteen_by_code(session, code)
    assert canteen is not None
    return canteen


def _july(session: Session, settings: AppConfig, code: str = "zonghe") -> dict[date, figures.LedgerMonth]:
    canteen = _canteen(session, code)
    return figures.month_series(session, settings, [canteen], figures.compared_months(JULY), NOW)[canteen.id]


def test_month_totals_by_stream_and_meal(session: Session, settings: AppConfig, month: None) -> None:
    july = _july(session, settings)[JULY]
    assert july.total_g == 22_500
    assert july.by_stream_g == {"prep": 5_000, "unsold": 2_000, "plate": 15_500, "grease": 4_000}
    assert july.by_meal_g == {"breakfast": 1_500, "lunch": 19_000, "dinner": 2_000}
    assert july.has_entries and july.weighed
    ledger = figures.month_ledger(session, settings, _canteen(session, "zonghe"), JULY, NOW)
    assert (ledger.total_g, ledger.other_g) == (22_500, 4_000)
    assert ledger.by_dish_g == {"土豆烧牛肉": 5_000}
    first = ledger.days[0]
    assert (first.day, first.food_waste_g, first.other_g, first.plate_g) == (JULY, 17_000, 3_000, 10_000)


def test_voided_entries_and_grease_stay_out_of_the_food_waste_total(session: Session, settings: AppConfig,
                                                                    month: None) -> None:
    july = _july(session, settings)[JULY]
    assert july.other_g == 4_000  # the grease, counted apart
    assert 50_000 not in july.by_stream_g.values() and july.by_stream_g["plate"] == 15_500
    zonghe = _canteen(session, "zonghe")
    assert figures.slot_grams(session, zonghe.id, date(2021, 7, 3), "lunch") == {}
    assert figures.day_cells(session, zonghe.id, date(2021, 7, 4)) == {("dinner", "grease"): 1_000}
    filled = figures.filled_slots(session, [zonghe.id], JULY, date(2021, 7, 31))
    assert filled == {(zonghe.id, date(2021, 7, 1), "lunch"), (zonghe.id, date(2021, 7, 1), "dinner"),
                      (zonghe.id, date(2021, 7, 2), "breakfast"), (zonghe.id, date(2021, 7, 2), "lunch")}
    assert figures.top_dishes(session, [zonghe.id], JULY, date(2021, 7, 31)) == [("土豆烧牛肉", 5_000)]


def test_missing_meals_are_marked_missing_not_zero(session: Session, settings: AppConfig,
                                                   month: None) -> None:
    july = _july(session, settings)[JULY]
    assert july.expected_slots == 31 * 3
    assert july.missing_slots == 31 * 3 - 4 and not july.complete
    assert (date(2021, 7, 3), "lunch") in july.missing  # its only weight was voided
    assert (date(2021, 7, 4), "dinner") in july.missing  # grease only
    assert (date(2021, 7, 1), "lunch") not in july.missing
    zonghe = _canteen(session, "zonghe")
    shown = figures.ledger_as_dict(figures.month_ledger(session, settings, zonghe, JULY, NOW))
    days = {row["date"]: row for row in shown["days"]}
    assert days["2021-07-03"]["total_kg"] is None and days["2021-07-03"]["missing_meals"] == [
        "breakfast", "lunch", "dinner"]
    assert days["2021-07-04"]["total_kg"] is None  # grease weighed, but no food waste: not a zero
    assert days["2021-07-01"]["total_kg"] == 17.0 and days["2021-07-01"]["missing_meals"] == ["breakfast"]
    assert {"date": "2021-07-04", "meal": "dinner"} in shown["missing"] and shown["complete"] is False
    first_days = figures.range_totals(session, settings, [zonghe], JULY, date(2021, 7, 2), NOW)[zonghe.id]
    assert (first_days.total_g, first_days.missing_slots) == (22_500, 2)


def test_month_over_month_and_year_over_year(session: Session, settings: AppConfig, month: None) -> None:
    zonghe = _canteen(session, "zonghe")
    series = _july(session, settings)
    assert series[JUNE].total_g == 20_000 and series[JULY_2020].total_g == 30_000
    last_year = figures.year_ago(zonghe, series, JULY)
    assert last_year is series[JULY_2020]
    changes = figures.month_changes(series[JULY], series[JUNE], last_year)
    assert (changes.mom_g, changes.mom_pct) == (2_500, 12.5)
    assert (changes.yoy_g, changes.yoy_pct) == (-7_500, -25.0)
    # The month before is incomplete: a flag the ledger shows next to the change.
    assert series[JUNE].missing_slots == 30 * 3 - 1
    shown = figures.ledger_as_dict(figures.month_ledger(session, settings, zonghe, JULY, NOW))
    assert (shown["mom_change_kg"], shown["mom_change_pct"]) == (2.5, 12.5)
    assert (shown["yoy_change_kg"], shown["yoy_change_pct"]) == (-7.5, -25.0)
    assert shown["previous_month"] == {"month": "2021-06", "total_kg": 20.0, "missing_slots": 89}
    assert shown["same_month_last_year"]["total_kg"] == 30.0

    # badajie opened in September 2020 and has nothing in June 2021: no change to state either way.
    badajie = _canteen(session, "badajie")
    other = _july(session, settings, "badajie")
    assert other[JULY].total_g == 6_000
    assert figures.year_ago(badajie, other, JULY) is None
    none = figures.month_changes(other[JULY], other[JUNE], None)
    assert (none.mom_g, none.mom_pct, none.yoy_g, none.yoy_pct) == (None, None, None, None)


def test_plate_waste_per_diner_meal_over_matched_meals(session: Session, settings: AppConfig,
                                                       month: None) -> None:
    july = _july(session, settings)[JULY]
    # Only 1 July lunch has both a plate weight and a count above zero: 10 kg over 500 diner-meals.
    assert (july.plate_matched_g, july.diners_matched) == (10_000, 500)
    assert july.plate_g_per_diner_meal == 20.0
    assert july.diner_meals == 600
    assert _july(session, settings)[JUNE].plate_g_per_diner_meal is None  # no count at all: no figure


def test_only_the_figures_module_sums_waste_entries() -> None:
    root = Path(__file__).resolve().parents[2]
    owner = root / "canteen" / "ledger" / "figures.py"
    summing = [path.relative_to(root).as_posix() for folder in ("canteen", "reports")
               for path in sorted((root / folder).rglob("*.py"))
               if path != owner and "sum(WasteEntry" in path.read_text(encoding="utf-8")]
    assert summing == []
    assert "func.sum(WasteEntry.weight_g)" in owner.read_text(encoding="utf-8")
