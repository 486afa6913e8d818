"""The dashboard's figures: this month so far against the same days of last month, today's meals without
entries, the evening checks, and the counts waiting in other features' queues."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import func, select, true
from sqlalchemy.orm import Session

from canteen.camera_events.models import CameraEvent
from canteen.config import AppConfig
from canteen.ledger.figures import filled_slots, range_totals, serving_slots
from canteen.reference.models import Canteen
from canteen.core.timeutil import add_months, local_now, month_end
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
        # No waste on those days last month means nothing to compare with, not a rise from zero.
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


def month_so_far(session: Session, settings: AppConfig, canteens: list[Canteen],
                 now: datetime | None = None) -> list[SoFar]:
    """Per canteen, then the total: the 1st to today against the 1st to the same day of last month."""
    today = local_now(settings.zone, now).date()
    first = today.replace(day=1)
    previous_first = add_months(first, -1)
    # The same days: the 1st to today's day number, cut at the end of a shorter month.
    previous_last = min(previous_first + timedelta(days=today.day - 1), month_end(previous_first))
    if not canteens:
        return []
    this = range_totals(session, settings, canteens, first, today, now)
    previous = range_totals(session, settings, canteens, previous_first, previous_last, now)
    lines = [SoFar(canteen, first, today, previous_first, previous_last, this[canteen.id].total_g,
                   previous[canteen.id].total_g, this[canteen.id].missing_slots,
                   previous[canteen.id].missing_slots)
             for canteen in canteens]
    if len(lines) > 1:
        lines.append(SoFar(None, first, today, previous_first, previous_last,
                           sum(line.this_g for line in lines), sum(line.previous_g for line in lines),
                           sum(line.this_missing for line in lines),
                           sum(line.previous_missing for line in lines)))
    return lines


def meals_open_today(session: Session, settings: AppConfig, canteens: list[Canteen],
                     now: datetime | None = None) -> list[OpenMeal]:
    """Today's served meals that have no food-waste weight yet, in canteen and meal order."""
    current = local_now(settings.zone, now)
    today = current.date()
    ids = [canteen.id for canteen in canteens]
    filled = filled_slots(session, ids, today, today)
    # serving_slots keeps only the meals whose service is over; the others may still be weighed today.
    ended = {(day, meal) for canteen in canteens
             for day, meal in serving_slots(settings, canteen, [today], now)}
    open_meals = []
    for canteen in canteens:
        config = settings.canteen(canteen.code)
        # Not open yet, or not a serving day: no meal of this canteen can be missing today.
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
    # A check that found every meal weighed needs no attention.
    return [check for check in checks if check.missing_meals]


def still_missing(session: Session, check: MissingEntryCheck) -> list[str]:
    """The meals of a check that still have no food-waste weight now."""
    # Entries may have come in after the evening check: show only what is still missing now.
    filled = {meal for _c, _d, meal in filled_slots(session, [check.canteen_id], check.day, check.day)}
    return [meal for meal in check.missing_meals if meal not in filled]


def pending_camera_events(session: Session, canteens: list[Canteen]) -> int:
    """Camera events waiting for a reviewer's decision in these canteens."""
    ids = [canteen.id for canteen in canteens]
    if not ids:
        return 0
    return session.scalar(select(func.count()).select_from(CameraEvent).where(
        CameraEvent.canteen_id.in_(ids), CameraEvent.status == "pending")) or 0


def pending_changed_events(session: Session, canteens: list[Canteen]) -> int:
    """Of the waiting camera events, those whose visit left a lasting change in the bin (possible dumps)."""
    ids = [canteen.id for canteen in canteens]
    if not ids:
        return 0
    return session.scalar(select(func.count()).select_from(CameraEvent).where(
        CameraEvent.canteen_id.in_(ids), CameraEvent.status == "pending",
        CameraEvent.scene_changed == true())) or 0
