"""The dashboard's figures: this month so far against the same days of last month, today's meals without
entries, the evening checks, and the counts waiting in other features' queues."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from canteen.camera_events.models import CameraEvent
from canteen.config import AppConfig
from canteen.core.timeutil import add_months, local_now, month_end
from canteen.ledger.models import WasteEntry
from canteen.ledger.summary import serving_slots
from canteen.reference.models import Canteen, Meal, Stream
from reports.labels import change_pct
from reports.models import MissingEntryCheck


@dataclass
class SoFar:
    """Food waste from the 1st to today against the same days of last month, for a canteen or the total."""

    canteen: Canteen | None
    first: date
    last: date
    previous_first: date
    previous_last: date
    this_g: int
    previous_g: int
    this_missing: int
    previous_missing: int

    @property
    def change_g(self) -> int | None:
        """This period minus the same days last month; None when last month has no entries then."""
        return self.this_g - self.previous_g if self.previous_g else None

    @property
    def change_pct(self) -> float | None:
        """The change in percent of last month's same days."""
        return None if self.change_g is None else change_pct(self.change_g, self.previous_g)


@dataclass
class OpenMeal:
    """A meal served today that has no food-waste weight yet; ``over`` once its service has ended."""

    canteen: Canteen
    meal: str
    over: bool


def _food_g(session: Session, canteen_ids: list[int], first: date, last: date) -> dict[int, int]:
    rows = session.execute(
        select(WasteEntry.canteen_id, func.sum(WasteEntry.weight_g))
        .join(Stream, Stream.id == WasteEntry.stream_id)
        .where(WasteEntry.canteen_id.in_(canteen_ids), WasteEntry.day >= first, WasteEntry.day <= last,
               WasteEntry.voided.is_(False), Stream.food_waste.is_(True))
        .group_by(WasteEntry.canteen_id))
    return {canteen_id: int(grams) for canteen_id, grams in rows}


def _filled(session: Session, canteen_ids: list[int], first: date, last: date) -> set[tuple[int, date, str]]:
    rows = session.execute(
        select(WasteEntry.canteen_id, WasteEntry.day, Meal.code).join(Meal, Meal.id == WasteEntry.meal_id)
        .join(Stream, Stream.id == WasteEntry.stream_id)
        .where(WasteEntry.canteen_id.in_(canteen_ids), WasteEntry.day >= first, WasteEntry.day <= last,
               WasteEntry.voided.is_(False), Stream.food_waste.is_(True))
        .group_by(WasteEntry.canteen_id, WasteEntry.day, Meal.code))
    return {(canteen_id, day, meal) for canteen_id, day, meal in rows}


def _days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=offset) for offset in range((last - first).days + 1)]


def month_so_far(session: Session, settings: AppConfig, canteens: list[Canteen],
                 now: datetime | None = None) -> list[SoFar]:
    """Per canteen, then the total: the 1st to today against the 1st to the same day of last month."""
    today = local_now(settings.zone, now).date()
    first = today.replace(day=1)
    previous_first = add_months(first, -1)
    # The same days: the 1st to today's day number, cut at the end of a shorter month.
    previous_last = min(previous_first + timedelta(days=today.day - 1), month_end(previous_first))
    ids = [canteen.id for canteen in canteens]
    if not ids:
        return []
    this, previous = _food_g(session, ids, first, today), _food_g(session, ids, previous_first, previous_last)
    filled = _filled(session, ids, previous_first, today)
    lines = []
    for canteen in canteens:
        this_slots = serving_slots(settings, canteen, _days(first, today), now)
        previous_slots = serving_slots(settings, canteen, _days(previous_first, previous_last), now)
        lines.append(SoFar(canteen, first, today, previous_first, previous_last, this.get(canteen.id, 0),
                           previous.get(canteen.id, 0),
                           sum(1 for day, meal in this_slots if (canteen.id, day, meal) not in filled),
                           sum(1 for day, meal in previous_slots if (canteen.id, day, meal) not in filled)))
    if len(lines) > 1:
        lines.append(SoFar(None, first, today, previous_first, previous_last, sum(l.this_g for l in lines),
                           sum(l.previous_g for l in lines), sum(l.this_missing for l in lines),
                           sum(l.previous_missing for l in lines)))
    return lines


def meals_open_today(session: Session, settings: AppConfig, canteens: list[Canteen],
                     now: datetime | None = None) -> list[OpenMeal]:
    """Today's served meals that have no food-waste weight yet, in canteen and meal order."""
    current = local_now(settings.zone, now)
    today = current.date()
    ids = [canteen.id for canteen in canteens]
    filled = _filled(session, ids, today, today) if ids else set()
    ended = {(day, meal) for canteen in canteens
             for day, meal in serving_slots(settings, canteen, [today], now)}
    open_meals = []
    for canteen in canteens:
        config = settings.canteen(canteen.code)
        if today < canteen.opened_on or (config and today.isoweekday() not in config.serving_weekdays):
            continue
        for meal in settings.meals_of(config) if config else settings.meals:
            if (canteen.id, today, meal.code) not in filled:
                open_meals.append(OpenMeal(canteen, meal.code, (today, meal.code) in ended))
    return open_meals


def recent_checks(session: Session, canteens: list[Canteen], today: date,
                  days: int = 7) -> list[MissingEntryCheck]:
    """The evening checks of the last ``days`` days that found missing meals, newest first."""
    ids = [canteen.id for canteen in canteens]
    if not ids:
        return []
    checks = session.scalars(select(MissingEntryCheck).where(
        MissingEntryCheck.canteen_id.in_(ids), MissingEntryCheck.day > today - timedelta(days=days))
        .order_by(MissingEntryCheck.day.desc(), MissingEntryCheck.canteen_id)).all()
    return [check for check in checks if check.missing_meals]


def still_missing(session: Session, check: MissingEntryCheck) -> list[str]:
    """The meals of a check that still have no food-waste weight now."""
    filled = {meal for _c, _d, meal in _filled(session, [check.canteen_id], check.day, check.day)}
    return [meal for meal in check.missing_meals if meal not in filled]


def pending_camera_events(session: Session, canteens: list[Canteen]) -> int:
    """Camera events waiting for a reviewer's decision in these canteens."""
    ids = [canteen.id for canteen in canteens]
    if not ids:
        return 0
    return session.scalar(select(func.count()).select_from(CameraEvent).where(
        CameraEvent.canteen_id.in_(ids), CameraEvent.status == "pending")) or 0
