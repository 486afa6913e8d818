"""Local dates and months in the configured time zone."""
from __future__ import annotations

import calendar
import re
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

# Dates the service accepts: the bounds keep date arithmetic in range (a year before, a month or a week
# after), and leave "in the future" to the features' own checks, which say so in words.
FIRST_DAY, LAST_DAY = date(1900, 1, 1), date(9998, 12, 31)
_MONTH = re.compile(r"([0-9]{4})-([0-9]{2})")


def local_today(zone: ZoneInfo, now: datetime | None = None) -> date:
    """Today's date where the canteens are."""
    # Not the server's date: in UTC, a Shanghai breakfast before 08:00 would fall on the previous day.
    return (now or datetime.now(timezone.utc)).astimezone(zone).date()


def local_now(zone: ZoneInfo, now: datetime | None = None) -> datetime:
    """The current wall-clock time where the canteens are."""
    return (now or datetime.now(timezone.utc)).astimezone(zone)


def month_start(day: date) -> date:
    """The first day of the month containing ``day``."""
    return day.replace(day=1)


def month_end(day: date) -> date:
    """The last day of the month containing ``day``."""
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def add_months(day: date, months: int) -> date:
    """The first day of the month ``months`` away from ``day``'s month."""
    # Counting months from year 0 crosses year boundaries both ways (January minus one is last December).
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def month_days(month: date) -> list[date]:
    """Every date of the month."""
    first = month_start(month)
    return [first + timedelta(days=offset) for offset in range((month_end(first) - first).days + 1)]


def parse_month(text: str) -> date:
    """Parse ``YYYY-MM`` (not 2021-8, not 202108) into the month's first day; ValueError otherwise."""
    # Not isinstance-checked by the caller: a value that is not text (a number in JSON) is as wrong as a typo.
    match = _MONTH.fullmatch(text.strip()) if isinstance(text, str) else None
    if match is None or not 1 <= int(match.group(2)) <= 12:
        raise ValueError("expected YYYY-MM")
    first = date(int(match.group(1)), int(match.group(2)), 1)
    if not FIRST_DAY <= first <= LAST_DAY:
        raise ValueError("expected YYYY-MM")
    return first
