"""The counting window's edges: the last 12 months (to the day before the anniversary) or a calendar year."""
from __future__ import annotations

from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

import pytest

from canteen.offences.window import in_window, window_start
from canteen.settings.offences import OffenceSettings

ROLLING = OffenceSettings()
CALENDAR = OffenceSettings(window="calendar_year")
SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.mark.parametrize("today, first_counted", [
    (date(2024, 6, 15), date(2023, 6, 16)),
    (date(2025, 2, 28), date(2024, 2, 29)),   # the leap day counts until 28 February ...
    (date(2025, 3, 1), date(2024, 3, 2)),     # ... and no longer on 1 March
    (date(2024, 2, 29), date(2023, 3, 1)),
    (date(2024, 1, 1), date(2023, 1, 2)),
])
def test_rolling_window_starts_the_day_after_a_year_earlier(today, first_counted):
    assert window_start(ROLLING, today) == first_counted


@pytest.mark.parametrize("today, first_counted", [
    (date(2024, 6, 15), date(2024, 1, 1)), (date(2024, 1, 1), date(2024, 1, 1)), (date(2024, 12, 31),
                                                                                  date(2024, 1, 1)),
])
def test_calendar_window_starts_on_new_year(today, first_counted):
    assert window_start(CALENDAR, today) == first_counted


def test_an_offence_counts_until_the_day_before_its_anniversary():
    offence = datetime(2023, 6, 15, 4, 0, tzinfo=timezone.utc)
    assert in_window(ROLLING, SHANGHAI, offence, date(2023, 6, 15))
    assert in_window(ROLLING, SHANGHAI, offence, date(2024, 6, 14))
    assert not in_window(ROLLING, SHANGHAI, offence, date(2024, 6, 15))
    assert not in_window(ROLLING, SHANGHAI, offence,
                         date(2023, 6, 14)), "an offence after the day does not count"


def test_the_local_date_decides_not_the_utc_date():
    # 17:30 UTC on 31 December is 01:30 on 1 January in Shanghai: next year's offence.
    late = datetime(2023, 12, 31, 17, 30, tzinfo=timezone.utc)
    assert in_window(CALENDAR, SHANGHAI, late, date(2024, 1, 1))
    assert not in_window(CALENDAR, SHANGHAI, late, date(2023, 12, 31))
    assert not in_window(CALENDAR, SHANGHAI, datetime(2023, 12, 31, 15, 0, tzinfo=timezone.utc),
                         date(2024, 1, 1))


def test_step_for_repeats_the_last_step():
    assert [ROLLING.step_for(count) for count in range(0, 6)] == [
        None, "warning", "exposure", "referral", "referral", "referral"]
    two_warnings = OffenceSettings(steps=["warning", "warning", "exposure"])
    assert [two_warnings.step_for(count) for count in (1, 2, 3, 4)] == ["warning", "warning", "exposure",
                                                                        "exposure"]
