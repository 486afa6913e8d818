"""Resolving codes a user typed into reference rows (canteen, meal, stream), with field errors."""
from __future__ import annotations

from datetime import date
from typing import Any

from flask_babel import gettext as _
from sqlalchemy.orm import Session

from canteen.config import AppConfig
from canteen.core.errors import FieldErrors, Forbidden
from canteen.core.permissions import ScopedUser, can_access_canteen
from canteen.core.timeutil import local_today
from canteen.reference.models import Canteen, Meal, Stream
from canteen.reference.services import canteen_by_code, meal_by_code, stream_by_code


def check_day_allowed(day: date, canteen: Canteen, settings: AppConfig, errors: FieldErrors,
                      field: str = "date") -> None:
    """Reject future dates and dates before the canteen opened."""
    # "Future" by the canteens' own calendar, not the server's (which may run on UTC).
    if day > local_today(settings.zone):
        errors[field] = _("the date is in the future")
    elif day < canteen.opened_on:
        errors[field] = _("before the canteen opened on %(day)s", day=canteen.opened_on.isoformat())


def resolve_canteen(session: Session, code: Any, actor: ScopedUser, errors: FieldErrors) -> Canteen | None:
    """The canteen with this code; Forbidden when it lies outside the actor's scope."""
    canteen = canteen_by_code(session, code) if isinstance(code, str) else None
    if canteen is None:
        errors["canteen"] = _("unknown canteen")
        return None
    # Out of scope is a 403 (the API's answer for role and scope), not a field error like a typo.
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
    # Without a valid canteen there is nothing to check against; its own error is already recorded.
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
