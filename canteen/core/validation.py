"""Parsing of user-entered weights, dates and text into checked values, or field errors (no database)."""
from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any, Protocol, Sequence

from flask_babel import gettext as _

from canteen.core.errors import FieldErrors


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
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation:
        errors[field] = _("not a number")
        return None
    if not amount.is_finite():
        errors[field] = _("not a number")
        return None
    grams = int((amount * unit.grams).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    limit_g = int(settings.ledger.max_entry_kg * 1000)
    if amount <= 0 or grams <= 0:
        errors[field] = _("must be more than zero")
        return None
    if grams > limit_g:
        errors[field] = _("more than the %(limit)s kg one entry may hold", limit=settings.ledger.max_entry_kg)
        return None
    return grams


def parse_day(value: Any, errors: FieldErrors, field: str = "date") -> date | None:
    """Parse an ISO date (YYYY-MM-DD)."""
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except (ValueError, TypeError):
        errors[field] = _("expected a date as YYYY-MM-DD")
        return None


def clean_text(value: Any, field: str, limit: int, errors: FieldErrors, required: bool = False) -> str:
    """A trimmed string no longer than ``limit``."""
    if value is None:
        value = ""
    if not isinstance(value, str):
        errors[field] = _("must be text")
        return ""
    value = value.strip()
    if required and not value:
        errors[field] = _("required")
    elif len(value) > limit:
        errors[field] = _("at most %(limit)s characters", limit=limit)
    return value
