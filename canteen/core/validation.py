"""Parsing of user-entered numbers, dates, times and text into checked values, or field errors (no database).

Every parser here bounds its value before doing arithmetic with it, so no input can reach a
``decimal.InvalidOperation``, an ``OverflowError`` or a database integer overflow further down: a value out of
range is a field error like any other typo.
"""
from __future__ import annotations

import json
import re
from datetime import date, datetime, timedelta, timezone, tzinfo
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any, Protocol, Sequence

from flask_babel import gettext as _

from canteen.core.errors import FieldErrors, InvalidInput
from canteen.core.timeutil import FIRST_DAY, LAST_DAY

# Row ids are PostgreSQL ``integer`` columns (SQLite's are 64-bit, a superset): no id lies beyond this.
DB_ID_MAX = 2**31 - 1
# No camera, warning or frame of this service predates this; later than now plus the slack is a wrong clock.
EARLIEST_TIME = datetime(2000, 1, 1, tzinfo=timezone.utc)
CLOCK_SLACK = timedelta(minutes=5)
# Longer than any number the service accepts (a 5000-digit string is refused before Decimal or int sees it).
_MAX_NUMBER_CHARS = 40
_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
# ISO 8601 extended format only: fromisoformat would also take week dates and the basic format (20210801).
_TIME = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,6})?)?"
                   r"(Z|[+-][0-9]{2}:[0-9]{2})?")
# Text no database column can hold: NUL (PostgreSQL refuses it) and lone UTF-16 surrogates (no encoding can).
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
# Deeper than any request body of the API: a deeper one is refused before anything walks it recursively.
MAX_JSON_DEPTH = 32


class WeightSettings(Protocol):
    """What weight parsing needs of the configuration (``AppConfig`` has it)."""

    @property
    def units(self) -> Sequence[Any]:
        """The configured units."""

    @property
    def ledger(self) -> Any:
        """The ledger limits (``max_entry_kg``)."""

    def unit(self, code: str) -> Any:
        """The unit with this code, or None."""


def _finite_decimal(value: Any) -> Decimal | None:
    """The value as a finite Decimal, or None (not a number, NaN, infinity, absurdly long)."""
    if isinstance(value, bool) or not isinstance(value, (int, float, Decimal, str)):
        return None
    text = str(value).strip()
    if len(text) > _MAX_NUMBER_CHARS:
        return None
    try:
        number = Decimal(text)
    except InvalidOperation:
        return None
    # Decimal accepts "NaN" and "Infinity", which would poison every comparison and sum downstream.
    return number if number.is_finite() else None


def parse_decimal(value: Any, errors: FieldErrors, field: str, *, minimum: Decimal | int,
                  maximum: Decimal | int, places: int | None = None) -> Decimal | None:
    """A finite decimal number from ``minimum`` to ``maximum`` with at most ``places`` decimals."""
    number = _finite_decimal(value)
    if number is None:
        errors[field] = _("not a number")
        return None
    # Checked before any arithmetic: quantize() of 1e30 already exceeds the decimal context's precision.
    if number < minimum or number > maximum:
        errors[field] = _("from %(low)s to %(high)s", low=minimum, high=maximum)
        return None
    if places is not None and number != number.quantize(Decimal(1).scaleb(-places)):
        errors[field] = _("at most %(places)s decimals", places=places)
        return None
    # Adding zero turns -0 into 0, so a negative zero is never stored or shown.
    return number + 0


def parse_int(value: Any, errors: FieldErrors, field: str, *, minimum: int, maximum: int) -> int | None:
    """A whole number from ``minimum`` to ``maximum`` (JSON integer or decimal digits)."""
    # bool is an int in Python: JSON true must not count as 1.
    if isinstance(value, bool):
        number = None
    elif isinstance(value, int):
        number = value
    elif isinstance(value, str) and re.fullmatch(r"[+-]?[0-9]{1,%d}" % _MAX_NUMBER_CHARS, value.strip()):
        number = int(value.strip())
    else:
        number = None
    if number is None:
        errors[field] = _("a whole number")
        return None
    if number < minimum or number > maximum:
        errors[field] = _("from %(low)s to %(high)s", low=minimum, high=maximum)
        return None
    return number


def parse_id(value: Any, errors: FieldErrors, field: str) -> int | None:
    """A row id (a positive database integer); the caller looks the row up and names it if unknown."""
    return parse_int(value, errors, field, minimum=1, maximum=DB_ID_MAX)


def as_id(value: Any) -> int | None:
    """The value as a row id, or None for anything that cannot name a row (text, 1.5, 2**31, 5000 digits)."""
    return parse_id(value, FieldErrors(), "id")


def parse_weight_g(value: Any, unit_code: Any, settings: WeightSettings, errors: FieldErrors,
                   field: str = "weight") -> int | None:
    """Convert a weight in a configured unit into whole grams within the configured limit."""
    unit = settings.unit(unit_code) if isinstance(unit_code, str) else None
    if unit is None:
        errors["unit"] = _("unknown unit; use one of %(units)s",
                           units=", ".join(item.code for item in settings.units))
        return None
    if isinstance(value, bool) or value is None or (isinstance(value, str) and not value.strip()):
        errors[field] = _("a weight is required")
        return None
    amount = _finite_decimal(value)
    if amount is None:
        errors[field] = _("not a number")
        return None
    limit_g = int(settings.ledger.max_entry_kg * 1000)
    if amount <= 0:
        errors[field] = _("must be more than zero")
        return None
    # Bounded in this unit before converting, so no weight, however large, reaches quantize().
    if amount > Decimal(limit_g) / unit.grams:
        errors[field] = _("more than the %(limit)s kg one entry may hold",
                          limit=f"{settings.ledger.max_entry_kg:g}")
        return None
    grams = int((amount * unit.grams).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    # A fraction of a gram rounds to nothing: still not a weighing.
    if grams <= 0:
        errors[field] = _("must be more than zero")
        return None
    return grams


def parse_day(value: Any, errors: FieldErrors, field: str = "date") -> date | None:
    """Parse a date written YYYY-MM-DD (no other ISO form) between FIRST_DAY and LAST_DAY."""
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        day: date | None = value
    elif isinstance(value, str) and _DAY.fullmatch(value.strip()):
        try:
            day = date.fromisoformat(value.strip())
        except ValueError:
            day = None
    else:
        day = None
    if day is None:
        errors[field] = _("expected a date as YYYY-MM-DD")
        return None
    if not FIRST_DAY <= day <= LAST_DAY:
        errors[field] = _("expected a date from %(first)s to %(last)s", first=FIRST_DAY.isoformat(),
                          last=LAST_DAY.isoformat())
        return None
    return day


def parse_timestamp(value: Any, errors: FieldErrors, field: str, *, zone: tzinfo | None = None,
                    now: datetime | None = None) -> datetime | None:
    """An ISO time (YYYY-MM-DDTHH:MM[:SS[.f]] with Z or ±HH:MM) as UTC, from EARLIEST_TIME to now + slack.

    A time without a zone is read in ``zone`` (what a person types in a form); without ``zone`` it is refused.
    """
    text = value.strip() if isinstance(value, str) else ""
    if not _TIME.fullmatch(text):
        errors[field] = _("expected a time such as 2024-05-06T12:30:00Z")
        return None
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
        if parsed.tzinfo is None and zone is not None:
            parsed = parsed.replace(tzinfo=zone)
        # OverflowError: 0001-01-01T00:00+14:00 lies before the first time Python can hold in UTC.
        moment = parsed.astimezone(timezone.utc) if parsed.tzinfo is not None else None
    except (ValueError, OverflowError):
        errors[field] = _("expected a time such as 2024-05-06T12:30:00Z")
        return None
    # A time without a zone is ambiguous: the sender and the server need not share a time zone.
    if moment is None:
        errors[field] = _("the time must carry a zone (UTC 'Z')")
        return None
    latest = (now or datetime.now(timezone.utc)) + CLOCK_SLACK
    if moment < EARLIEST_TIME:
        errors[field] = _("before %(year)s: check the clock", year=EARLIEST_TIME.year)
        return None
    if moment > latest:
        errors[field] = _("in the future: check the clock")
        return None
    return moment


def text_problem(value: str) -> str | None:
    """Why this text cannot be stored (a NUL byte or a lone surrogate), or None when it can."""
    if _UNSTORABLE.search(value) is None:
        return None
    return _("contains a character that cannot be stored (NUL or a lone surrogate)")


def json_problem(data: Any, where: str = "body") -> tuple[str, str] | None:
    """The first unstorable string (or key) in parsed JSON, or a too deep nesting: ``(field, message)``."""
    # Iterative, so a hostile nesting depth cannot exhaust the interpreter's stack here either.
    pending: list[tuple[str, Any, int]] = [("", data, 0)]
    while pending:
        path, item, depth = pending.pop()
        if depth > MAX_JSON_DEPTH:
            return where, _("nested more than %(depth)s levels deep", depth=MAX_JSON_DEPTH)
        if isinstance(item, str):
            problem = text_problem(item)
            if problem:
                return path or where, problem
        elif isinstance(item, dict):
            for key, child in item.items():
                key_problem = text_problem(key)
                if key_problem:
                    return (f"{path}." if path else "") + ascii(key)[1:-1], key_problem
                pending.append(((f"{path}." if path else "") + key, child, depth + 1))
        elif isinstance(item, list):
            pending.extend((f"{path}.{index}" if path else str(index), child, depth + 1)
                           for index, child in enumerate(item))
    return None


def load_json_text(raw: Any, field: str) -> Any:
    """Parse a JSON document sent as a text field; InvalidInput names ``field`` when it is unusable."""
    try:
        data = json.loads(raw) if isinstance(raw, (str, bytes)) else None
    # RecursionError: a deeply nested document; ValueError: malformed (or an integer of 5000 digits).
    except (ValueError, RecursionError):
        data = None
    if data is None:
        raise InvalidInput(_("%(field)s is not valid JSON", field=field),
                           {field: _("expected a JSON object")})
    problem = json_problem(data, field)
    if problem is not None:
        name, message = problem
        raise InvalidInput(message, {name if name == field else f"{field}.{name}": message})
    return data


def clean_text(value: Any, field: str, limit: int, errors: FieldErrors, required: bool = False) -> str:
    """A trimmed string no longer than ``limit``."""
    if value is None:
        value = ""
    if not isinstance(value, str):
        errors[field] = _("must be text")
        return ""
    value = value.strip()
    problem = text_problem(value)
    if problem:
        errors[field] = problem
    elif required and not value:
        errors[field] = _("required")
    elif len(value) > limit:
        errors[field] = _("at most %(limit)s characters", limit=limit)
    return value
