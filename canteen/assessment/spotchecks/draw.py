"""The monthly draw of spot-check slots: random.Random(seed) over the serving days, seed recorded for audit.

The same seed, canteen, month and configuration always give the same slots, so anyone can re-run a draw.
"""
from __future__ import annotations

import random
import secrets
from datetime import date, datetime
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from canteen.assessment import audit
from canteen.assessment.access import require
from canteen.auth.models import User
from canteen.config import AppConfig
from canteen.core.errors import Conflict, FieldErrors
from canteen.core.timeutil import add_months, local_today, month_days, month_end, month_start, parse_month
from canteen.core.validation import parse_int
from canteen.db import utcnow
from canteen.reference.models import Canteen
from canteen.reference.services import canteen_by_code
from canteen.reference.validation import resolve_canteen
from canteen.assessment.spotchecks.models import SpotCheckDraw, SpotCheckSlot

MAX_SEED = 2 ** 53  # exact in JSON numbers and in every database's BIGINT


def serving_days(settings: AppConfig, canteen: Canteen, month: date) -> list[date]:
    """The days of the month the canteen serves meals (opened, on a serving weekday)."""
    config = settings.canteen(canteen.code)
    # A canteen missing from config.yaml is taken to serve every day rather than never.
    weekdays = set(config.serving_weekdays) if config else set(range(1, 8))
    return [day for day in month_days(month) if day >= canteen.opened_on and day.isoweekday() in weekdays]


def meals_served(settings: AppConfig, canteen: Canteen) -> list[str]:
    """The meal codes the canteen serves, in configured order."""
    config = settings.canteen(canteen.code)
    return [meal.code for meal in (settings.meals_of(config) if config else settings.meals)]


def draw_slots(settings: AppConfig, canteen: Canteen, month: date, seed: int,
               count: int) -> list[tuple[date, str]]:
    """The (day, meal) slots a seed draws: distinct days, then a meal for each day, in date order."""
    # Recorded seeds are replayed by this code: any change to the order of the random calls below
    # makes every stored draw fail verification.
    rng = random.Random(seed)
    days = serving_days(settings, canteen, month)
    meals = meals_served(settings, canteen)
    # A month with fewer serving days than checks (a canteen opening late) gets one check per day.
    chosen = sorted(rng.sample(days, min(count, len(days))))
    return [(day, rng.choice(meals)) for day in chosen]


def new_seed() -> int:
    """A fresh unpredictable seed."""
    # From secrets, not random: the caterer must not be able to predict the next month's seed.
    return secrets.randbelow(MAX_SEED)


def _parse_seed(value: Any, errors: FieldErrors) -> int | None:
    if value is None or value == "":
        return None
    return parse_int(value, errors, "seed", minimum=0, maximum=MAX_SEED - 1)


def draw_month(session: Session, settings: AppConfig, actor: User | None, data: dict[str, Any],
               now: datetime | None = None) -> SpotCheckDraw:
    """Draw a canteen-month's check slots (once) with the given ``seed``, else a fresh recorded one."""
    errors = FieldErrors()
    if actor is not None:
        require(actor, "spotcheck.edit")
        canteen = resolve_canteen(session, data.get("canteen"), actor, errors)
    else:
        # The scheduler and the CLI draw without a user: no permission or canteen scope to check.
        code = data.get("canteen")
        canteen = canteen_by_code(session, code) if isinstance(code, str) else None
        if canteen is None:
            errors["canteen"] = _("unknown canteen")
    month = None
    raw_month = data.get("month")
    try:
        month = parse_month(raw_month if isinstance(raw_month, str) else "")
    except ValueError:
        errors["month"] = _("expected YYYY-MM")
    seed = _parse_seed(data.get("seed"), errors)
    today = local_today(settings.zone, now)
    if month is not None and month > add_months(month_start(today), 1):
        errors["month"] = _("at most next month can be drawn")
    if canteen is not None and month is not None and "month" not in errors and not serving_days(
            settings, canteen, month):
        errors["month"] = _("the canteen serves no meals that month")
    errors.raise_if_any(_("cannot draw"))
    assert canteen is not None and month is not None
    # Drawn once: redrawing until the slots suit someone would defeat the random draw.
    existing = session.scalar(select(SpotCheckDraw).where(SpotCheckDraw.canteen_id == canteen.id,
                                                          SpotCheckDraw.month == month))
    if existing is not None:
        raise Conflict(_("this month is already drawn"),
                       {"month": _("drawn on %(day)s", day=existing.drawn_at.date().isoformat())})
    seed = new_seed() if seed is None else seed
    # The count is stored with the draw, so a replay uses it whatever the config says later.
    count = settings.assessment.spot_checks.checks_per_month
    draw = SpotCheckDraw(canteen_id=canteen.id, month=month, seed=seed, count=count,
                         drawn_by_id=actor.id if actor else None, drawn_at=now or utcnow())
    drawn = draw_slots(settings, canteen, month, seed, count)
    draw.slots = [SpotCheckSlot(position=index, day=day, meal_code=meal)
                  for index, (day, meal) in enumerate(drawn, start=1)]
    session.add(draw)
    session.flush()
    audit.record(session, "spot_draw", draw.id, "drawn", actor, now, canteen=canteen.code,
                 month=month.strftime("%Y-%m"), seed=seed, count=count,
                 slots=[f"{slot.day.isoformat()} {slot.meal_code}" for slot in draw.slots])
    return draw


def verify_draw(settings: AppConfig, draw: SpotCheckDraw) -> bool:
    """True when re-running the recorded seed gives exactly the stored slots."""
    expected = draw_slots(settings, draw.canteen, draw.month, draw.seed, draw.count)
    return expected == [(slot.day, slot.meal_code) for slot in draw.slots]


def draw_missing(session: Session, settings: AppConfig, month: date,
                 now: datetime | None = None) -> list[SpotCheckDraw]:
    """Draw every active canteen's month that has no draw yet (for the scheduler)."""
    draws = []
    for canteen in session.scalars(select(Canteen).where(Canteen.active.is_(True)).order_by(Canteen.id)):
        taken = session.scalar(select(SpotCheckDraw.id).where(SpotCheckDraw.canteen_id == canteen.id,
                                                              SpotCheckDraw.month == month))
        if taken is None and serving_days(settings, canteen, month) and month_end(month) >= canteen.opened_on:
            draws.append(draw_month(session, settings, None, {"canteen": canteen.code,
                                                              "month": month.strftime("%Y-%m")}, now))
    return draws


def slot_visible(actor: User, slot: SpotCheckSlot, settings: AppConfig, recorded: bool,
                 now: datetime | None = None) -> bool:
    """A caterer never sees a slot before its day is over, unless the check already happened."""
    if actor.role != "contractor":
        return True
    # Checks are unannounced: a slot shown to the caterer ahead of time would warn the kitchen.
    return recorded or slot.day < local_today(settings.zone, now)


def seed_visible(actor: User, draw: SpotCheckDraw, settings: AppConfig, now: datetime | None = None) -> bool:
    """The seed predicts every slot, so a caterer sees it only once the month is over."""
    return actor.role != "contractor" or month_end(draw.month) < local_today(settings.zone, now)
