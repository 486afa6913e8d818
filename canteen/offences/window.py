"""The counting window: which offence dates still count on a given day."""
from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from canteen.settings.offences import OffenceSettings


def year_earlier(day: date) -> date:
    """The same date a year before (29 February becomes 28 February)."""
    try:
        return day.replace(year=day.year - 1)
    except ValueError:
        return day.replace(year=day.year - 1, day=28)


def window_start(settings: OffenceSettings, day: date) -> date:
    """The first offence date that still counts on ``day``.

    The last 12 months: an offence counts up to the day before its anniversary. A calendar year: offences of
    ``day``'s year count.
    """
    if settings.window == "calendar_year":
        return date(day.year, 1, 1)
    # One day later: an offence stops counting on its anniversary, not the day after it.
    return year_earlier(day) + timedelta(days=1)


def local_day(moment: datetime, zone: ZoneInfo) -> date:
    """The local date of a UTC moment."""
    # Days are the canteens' local days: a dump at 23:30 local time counts on that date, not on UTC's.
    return moment.astimezone(zone).date()


def in_window(settings: OffenceSettings, zone: ZoneInfo, occurred_at: datetime, day: date) -> bool:
    """True when an offence at ``occurred_at`` counts on ``day``."""
    offence_day = local_day(occurred_at, zone)
    return window_start(settings, day) <= offence_day <= day
