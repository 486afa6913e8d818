"""Weights become whole grams within the limit; dates, canteens, meals, streams and units are checked."""
from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from canteen.core.errors import FieldErrors, InvalidInput
from canteen.core.timeutil import local_today
from canteen.core.validation import parse_day, parse_weight_g
from canteen.ledger.entries import record_entry


def grams(settings, value, unit="kg"):
    """The parsed grams, or the field errors when parsing fails."""
    errors = FieldErrors()
    result = parse_weight_g(value, unit, settings, errors)
    return result if result is not None else dict(errors)


@pytest.mark.parametrize(("value", "unit", "expected"), [
    ("12.5", "kg", 12_500),
    (12.5, "kg", 12_500),
    (3, "kg", 3_000),
    (Decimal("0.001"), "kg", 1),
    ("1", "jin", 500),
    ("2.5", "jin", 1_250),
    ("7500", "jin", None),  # 3750 kg: over the limit, checked below
    ("250", "g", 250),
    ("  4.2  ", "kg", 4_200),
])
def test_units_convert_to_whole_grams(settings, value, unit, expected):
    if expected is None:
        assert "weight" in grams(settings, value, unit)
    else:
        assert grams(settings, value, unit) == expected


def test_one_jin_is_exactly_500_grams(settings):
    assert settings.unit("jin").grams == 500
    assert grams(settings, "1000", "jin") == 500_000
    assert grams(settings, "0.3", "jin") == 150


@pytest.mark.parametrize(("value", "unit", "expected"), [
    ("0.0025", "kg", 3),   # 2.5 g: half-up, not to even
    ("0.0035", "kg", 4),
    ("0.0024", "kg", 2),
    ("0.5", "g", 1),
    ("1.5", "g", 2),
    ("0.001", "jin", 1),   # 0.5 g
    ("0.0005", "kg", 1),   # the smallest weight that is still a gram
])
def test_rounding_is_half_up(settings, value, unit, expected):
    assert grams(settings, value, unit) == expected


@pytest.mark.parametrize(("value", "unit"), [("0.0004", "kg"), ("0.4", "g"), ("0.0009", "jin")])
def test_weights_rounding_to_zero_grams_are_rejected(settings, value, unit):
    assert grams(settings, value, unit) == {"weight": "must be more than zero"}


@pytest.mark.parametrize("value", ["0", 0, "-1", -0.5, "-0"])
def test_zero_and_negative_weights_are_rejected(settings, value):
    assert grams(settings, value) == {"weight": "must be more than zero"}


@pytest.mark.parametrize("value", ["abc", "1,5", "NaN", "Infinity", "-inf", "12kg", [1], {"kg": 1}])
def test_non_numbers_are_rejected(settings, value):
    assert grams(settings, value) == {"weight": "not a number"}


@pytest.mark.parametrize("value", [None, "", "   ", True, False])
def test_missing_weights_are_rejected(settings, value):
    assert grams(settings, value) == {"weight": "a weight is required"}


def test_the_maximum_entry_weight_is_500_kg_by_default(settings):
    assert settings.ledger.max_entry_kg == 500
    assert grams(settings, "500") == 500_000
    assert grams(settings, "1000", "jin") == 500_000
    assert grams(settings, "500000", "g") == 500_000
    for value, unit in (("500.001", "kg"), ("1000.01", "jin"), ("500001", "g")):
        assert list(grams(settings, value, unit)) == ["weight"], (value, unit)
    assert "500" in grams(settings, "501")["weight"]


def test_the_maximum_follows_the_config(settings):
    strict = settings.model_copy(update={"ledger": settings.ledger.model_copy(update={"max_entry_kg": 50})})
    assert grams(strict, "50") == 50_000
    assert list(grams(strict, "50.001")) == ["weight"]


@pytest.mark.parametrize("unit", ["lb", "KG", "", None, 1, "斤"])
def test_unknown_units_are_rejected_naming_the_unit(settings, unit):
    errors = grams(settings, "1", unit)
    assert list(errors) == ["unit"]
    assert "kg, jin, g" in errors["unit"]


def test_dates_must_be_iso():
    errors = FieldErrors()
    assert parse_day("2021-07-01", errors) == date(2021, 7, 1)
    assert parse_day(date(2021, 7, 1), errors) == date(2021, 7, 1)
    for value in ("2021/7/1", "01.07.2021", "2021-02-30", "", None):
        errors = FieldErrors()
        assert parse_day(value, errors) is None
        assert list(errors) == ["date"], value


def entry(**changes):
    """A valid weighing for zonghe, with some fields changed."""
    data = {"canteen": "zonghe", "date": "2021-07-01", "meal": "lunch", "stream": "plate", "weight": "12.5",
            "unit": "kg"}
    data.update(changes)
    return data


def rejected_fields(session, settings, actor, data):
    """The field names of the InvalidInput that record_entry raises for ``data``."""
    with pytest.raises(InvalidInput) as caught:
        record_entry(session, settings, actor, data)
    return caught.value.fields


@pytest.mark.parametrize(("changes", "field"), [
    ({"canteen": "nowhere"}, "canteen"),
    ({"canteen": None}, "canteen"),
    ({"meal": "supper"}, "meal"),
    ({"stream": "bones"}, "stream"),
    ({"unit": "pound"}, "unit"),
    ({"weight": "-3"}, "weight"),
    ({"date": "yesterday"}, "date"),
    ({"dish": "x" * 101}, "dish"),
    ({"note": 12}, "note"),
])
def test_each_bad_field_is_named_and_nothing_is_stored(session, settings, admin, entry_count, changes, field):
    fields = rejected_fields(session, settings, admin, entry(**changes))
    assert list(fields) == [field]
    assert fields[field]
    session.rollback()
    assert entry_count() == 0


def test_every_bad_field_is_named_at_once(session, settings, admin):
    fields = rejected_fields(session, settings, admin, entry(meal="supper", stream="bones", unit="pound"))
    assert set(fields) == {"meal", "stream", "unit"}


def test_future_dates_are_rejected(session, settings, admin, entry_count):
    tomorrow = local_today(settings.zone) + timedelta(days=1)
    fields = rejected_fields(session, settings, admin, entry(date=tomorrow.isoformat()))
    assert fields == {"date": "the date is in the future"}
    assert entry_count() == 0


def test_today_is_allowed(session, settings, admin):
    today = local_today(settings.zone)
    assert record_entry(session, settings, admin, entry(date=today.isoformat())).entry.day == today


def test_dates_before_the_canteen_opened_are_rejected(session, settings, admin, entry_count):
    opened = settings.canteen("badajie").opened_on
    assert opened == date(2020, 9, 1)
    fields = rejected_fields(session, settings, admin, entry(canteen="badajie", date="2020-08-31"))
    assert fields == {"date": "before the canteen opened on 2020-09-01"}
    assert entry_count() == 0
    stored = record_entry(session, settings, admin, entry(canteen="badajie", date="2020-09-01")).entry
    assert stored.day == opened
