"""The monthly ledger's figures on hand-built data from 2021, so that 'today' does not matter."""
from __future__ import annotations

from datetime import date

import pytest

from canteen.ledger.diners import set_diner_count
from canteen.ledger.entries import void_entry
from canteen.ledger.figures import ledger_as_dict, month_ledger
from canteen.reference.services import canteen_by_code

JULY, AUGUST = date(2021, 7, 1), date(2021, 8, 1)


@pytest.fixture
def zonghe(session):
    """The zonghe canteen row."""
    return canteen_by_code(session, "zonghe")


@pytest.fixture
def diners(session, settings, admin):
    """``diners("2021-07-01", "lunch", 500)``: store a diner count."""
    def store(day, meal, count, canteen="zonghe"):
        set_diner_count(session, settings, admin, canteen=canteen, day=day, meal=meal, count=count)
        session.commit()

    return store


@pytest.fixture
def july(add_entry, diners):
    """A few days of July 2021 in zonghe (food waste 18.5 kg, grease 3 kg)."""
    add_entry("2021-07-01", "lunch", "plate", "10")
    add_entry("2021-07-01", "lunch", "prep", "5", dish="土豆烧牛肉")
    add_entry("2021-07-01", "dinner", "unsold", "4", unit="jin")
    add_entry("2021-07-01", "lunch", "grease", "3")
    add_entry("2021-07-02", "breakfast", "plate", "1500", unit="g")
    diners("2021-07-01", "lunch", 500)
    diners("2021-07-01", "dinner", 100)  # a count without a plate weight
    # 2021-07-02 breakfast has a plate weight but no count


def test_totals_by_stream_meal_and_day(session, settings, zonghe, july):
    ledger = month_ledger(session, settings, zonghe, JULY)
    assert ledger.total_g == 18_500
    assert ledger.other_g == 3_000
    assert ledger.by_stream_g == {"prep": 5_000, "unsold": 2_000, "plate": 11_500, "grease": 3_000}
    assert ledger.by_meal_g == {"breakfast": 1_500, "lunch": 15_000, "dinner": 2_000}
    assert ledger.by_dish_g == {"土豆烧牛肉": 5_000}
    first, second = ledger.days[0], ledger.days[1]
    assert (first.day, first.food_waste_g, first.other_g, first.plate_g) == (JULY, 17_000, 3_000, 10_000)
    assert first.cells[("lunch", "grease")] == 3_000
    assert (second.food_waste_g, second.plate_g) == (1_500, 1_500)
    assert [row.day for row in ledger.days] == [date(2021, 7, day) for day in range(1, 32)]

    shown = ledger_as_dict(ledger)
    assert (shown["canteen"], shown["month"], shown["total_kg"],
            shown["other_kg"]) == ("zonghe", "2021-07", 18.5, 3.0)
    assert shown["by_stream"] == {"prep": 5.0, "unsold": 2.0, "plate": 11.5, "grease": 3.0}
    assert shown["by_meal"] == {"breakfast": 1.5, "lunch": 15.0, "dinner": 2.0}
    assert shown["days"][0] == {"date": "2021-07-01", "total_kg": 17.0, "plate_kg": 10.0, "diners": 600,
                                "missing_meals": ["breakfast"]}


def test_grease_stays_out_of_the_food_waste_total(session, settings, zonghe, add_entry):
    add_entry("2021-07-01", "lunch", "grease", "40")
    ledger = month_ledger(session, settings, zonghe, JULY)
    assert (ledger.total_g, ledger.other_g, ledger.by_meal_g["lunch"]) == (0, 40_000, 0)
    # Grease alone does not fill a meal: the ledger still asks for its food-waste weighing.
    assert (JULY, "lunch") in ledger.missing


def test_plate_waste_per_diner_meal_uses_slots_with_both(session, settings, zonghe, july):
    ledger = month_ledger(session, settings, zonghe, JULY)
    assert ledger.diner_meals == 600
    # Only 2021-07-01 lunch has both: 10 kg / 500 diners. Breakfast on the 2nd has no count, dinner no plate.
    assert ledger.plate_g_per_diner_meal == 20.0
    assert ledger_as_dict(ledger)["plate_g_per_diner_meal"] == 20.0


def test_plate_waste_per_diner_meal_is_null_without_matching_slots(session, settings, zonghe, add_entry,
                                                                   diners):
    add_entry("2021-07-01", "lunch", "plate", "10")
    diners("2021-07-01", "dinner", 300)
    ledger = month_ledger(session, settings, zonghe, JULY)
    assert ledger.plate_g_per_diner_meal is None
    assert ledger_as_dict(ledger)["plate_g_per_diner_meal"] is None


def test_plate_waste_per_diner_meal_rounds_to_a_tenth(session, settings, zonghe, add_entry, diners):
    add_entry("2021-07-01", "lunch", "plate", "10")
    add_entry("2021-07-02", "lunch", "plate", "5")
    diners("2021-07-01", "lunch", 200)
    diners("2021-07-02", "lunch", 100)
    # 15000 g / 300 diner-meals.
    assert month_ledger(session, settings, zonghe, JULY).plate_g_per_diner_meal == 50.0
    diners("2021-07-02", "lunch", 250)
    # 15000 g / 450 = 33.33...
    assert month_ledger(session, settings, zonghe, JULY).plate_g_per_diner_meal == 33.3


def test_missing_slots_are_shown_as_missing_not_as_zero(session, settings, zonghe, july):
    ledger = month_ledger(session, settings, zonghe, JULY)
    assert not ledger.complete
    missing = set(ledger.missing)
    assert (JULY, "breakfast") in missing
    assert {(JULY, "lunch"), (JULY, "dinner"), (date(2021, 7, 2), "breakfast")}.isdisjoint(missing)
    for meal in ("breakfast", "lunch", "dinner"):
        assert (date(2021, 7, 3), meal) in missing
    # 31 days x 3 meals, less the three filled slots.
    assert len(ledger.missing) == 31 * 3 - 3

    shown = ledger_as_dict(ledger)
    third = shown["days"][2]
    assert third == {"date": "2021-07-03", "total_kg": None, "plate_kg": None, "diners": 0,
                     "missing_meals": ["breakfast", "lunch", "dinner"]}
    assert {"date": "2021-07-03", "meal": "lunch"} in shown["missing"]
    assert shown["complete"] is False


def test_days_before_the_canteen_opened_are_not_missing(session, settings):
    badajie = canteen_by_code(session, "badajie")
    ledger = month_ledger(session, settings, badajie, date(2020, 8, 1))
    assert ledger.missing == [] and ledger.complete
    assert not any(row.serving for row in ledger.days)
    september = month_ledger(session, settings, badajie, date(2020, 9, 1))
    assert len(september.missing) == 30 * 3


def test_month_over_month_change_in_kg_and_percent(session, settings, zonghe, add_entry):
    # The source's figures: 4700 kg in July 2021, 4301 kg in August (down 399 kg, -8.5 %).
    for day in range(1, 11):
        add_entry(f"2021-07-{day:02d}", "lunch", "plate", "470")
    for day in range(1, 9):
        add_entry(f"2021-08-{day:02d}", "lunch", "plate", "500")
    add_entry("2021-08-09", "lunch", "prep", "301")
    add_entry("2021-08-09", "dinner", "grease", "80")  # not food waste: no part of the comparison

    ledger = month_ledger(session, settings, zonghe, AUGUST)
    assert (ledger.total_g, ledger.previous.total_g) == (4_301_000, 4_700_000)
    assert ledger.mom_change_g == -399_000
    assert ledger.mom_change_pct == -8.5
    shown = ledger_as_dict(ledger)
    assert shown["total_kg"] == 4301.0
    assert shown["previous_month"]["month"] == "2021-07"
    assert shown["previous_month"]["total_kg"] == 4700.0
    assert (shown["mom_change_kg"], shown["mom_change_pct"]) == (-399.0, -8.5)


def test_year_over_year_is_null_without_data_a_year_earlier(session, settings, zonghe, add_entry):
    add_entry("2021-08-02", "lunch", "plate", "100")
    ledger = month_ledger(session, settings, zonghe, AUGUST)
    assert ledger.last_year is None and ledger.yoy_change_g is None and ledger.yoy_change_pct is None
    shown = ledger_as_dict(ledger)
    assert shown["same_month_last_year"] is None
    assert shown["yoy_change_kg"] is None and shown["yoy_change_pct"] is None


def test_month_over_month_is_null_without_data_the_month_before(session, settings, zonghe, add_entry):
    add_entry("2021-08-02", "lunch", "plate", "100")
    shown = ledger_as_dict(month_ledger(session, settings, zonghe, AUGUST))
    assert shown["previous_month"]["month"] == "2021-07"
    assert shown["mom_change_kg"] is None and shown["mom_change_pct"] is None


def test_year_over_year_with_data(session, settings, zonghe, add_entry):
    add_entry("2020-08-03", "lunch", "plate", "200")
    add_entry("2021-08-02", "lunch", "plate", "150")
    shown = ledger_as_dict(month_ledger(session, settings, zonghe, AUGUST))
    assert shown["same_month_last_year"]["month"] == "2020-08"
    assert shown["same_month_last_year"]["total_kg"] == 200.0
    assert (shown["yoy_change_kg"], shown["yoy_change_pct"]) == (-50.0, -25.0)


def test_voided_entries_are_left_out(session, settings, zonghe, admin, add_entry, diners):
    add_entry("2021-07-01", "lunch", "plate", "10")
    wrong = add_entry("2021-07-01", "dinner", "plate", "90", dish="米饭")
    add_entry("2021-06-30", "lunch", "plate", "7")
    voided_june = add_entry("2021-06-30", "dinner", "prep", "30")
    diners("2021-07-01", "lunch", 100)
    diners("2021-07-01", "dinner", 100)
    void_entry(session, admin, wrong.id, "wrong meal")
    void_entry(session, admin, voided_june.id, "typo")
    session.commit()

    ledger = month_ledger(session, settings, zonghe, JULY)
    assert ledger.total_g == 10_000
    assert ledger.by_meal_g["dinner"] == 0 and ledger.by_dish_g == {}
    assert (JULY, "dinner") in ledger.missing
    assert ledger.plate_g_per_diner_meal == 100.0
    assert ledger.previous.total_g == 7_000
