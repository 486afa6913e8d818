"""Parsing of user-entered weights, dates and codes into checked values, or field errors."""
from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from flask_babel import gettext as _
from sqlalchemy.orm import Session

from canteen.auth.models import User
from canteen.auth.permissions import can_access_canteen
from canteen.config import AppConfig
from canteen.errors import Forbidden, InvalidInput
from canteen.reference.models import Canteen, Meal, Stream
from canteen.reference.services import canteen_by_code, meal_by_code, stream_by_code
from canteen.timeutil import local_today


class FieldErrors(dict[str, str]):
    """Collects one message per field, then raises them together."""

    def raise_if_any(self, message: str = "invalid input") -> None:
        """Raise InvalidInput when any field failed."""
        if self:
            raise InvalidInput(message, dict(self))


def parse_weight_g(value: Any, unit_code: Any, settings: AppConfig, errors: FieldErrors,
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


def check_day_allowed(day: date, canteen: Canteen, settings: AppConfig, errors: FieldErrors,
                      field: str = "date") -> None:
    """Reject future dates and dates before the canteen opened."""
    if day > local_today(settings.zone):
        errors[field] = _("the date is in the future")
    elif day < canteen.opened_on:
        errors[field] = _("before the canteen opened on %(day)s", day=canteen.opened_on.isoformat())


def resolve_canteen(session: Session, code: Any, actor: User, errors: FieldErrors) -> Canteen | None:
    """The canteen with this code; Forbidden when it lies outside the actor's scope."""
    canteen = canteen_by_code(session, code) if isinstance(code, str) else None
    if canteen is None:
        errors["canteen"] = _("unknown canteen")
        return None
    if not can_access_canteen(actor, canteen):
        raise Forbidden(_("this canteen is outside your scope"), {"canteen": _("outside your scope")})
    return canteen


def resolve_meal(session: Session, code: Any, canteen: Canteen | None, settings: AppConfig,
                 errors: FieldErrors) -> Meal | None:
    """The meal with this code, if the canteen serves it."""
    meal = meal_by_code(session, code) if isinstance(code, str) else None
    if meal is None:
        errors["meal"] = _("unknown meal")
        return None
    if canteen is not None:
        served = settings.canteen(canteen.code)
        if served is not None and meal.code not in {m.code for m in settings.meals_of(served)}:
            errors["meal"] = _("this canteen does not serve that meal")
            return None
    return meal


def resolve_stream(session: Session, code: Any, errors: FieldErrors) -> Stream | None:
    """The stream with this code."""
    stream = stream_by_code(session, code) if isinstance(code, str) else None
    if stream is None:
        errors["stream"] = _("unknown stream")
    return stream


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
