"""Month-by-month figures for charts and reports, a handful of grouped queries for any number of months.

The totals follow the ledger's rules exactly (``canteen.ledger.summary``): food-waste streams only, voided
entries left out, a served meal without any food-waste weight is *missing*, and plate waste per diner-meal
uses only the meals that have both a plate weight and a diner count.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timezone
from typing import Iterable

from sqlalchemy import and_, extract, func, select
from sqlalchemy.orm import Session

from canteen.camera_events.models import CameraEvent
from canteen.config import AppConfig
from canteen.core.timeutil import add_months, month_days, month_end
from canteen.ledger.models import DinerCount, Disposal, WasteEntry
from canteen.ledger.summary import serving_slots
from canteen.reference.models import Canteen, Dish, Meal, Stream

PLATE_STREAM = "plate"
DISPOSAL_KINDS = ("hauler", "composter", "grease")


@dataclass
class MonthFigures:
    """One month of one canteen (or the sum of several)."""

    month: date
    total_g: int = 0
    by_stream_g: dict[str, int] = field(default_factory=dict)
    by_meal_g: dict[str, int] = field(default_factory=dict)
    has_entries: bool = False
    expected_slots: int = 0
    missing_slots: int = 0
    plate_matched_g: int = 0
    diners_matched: int = 0
    diner_meals: int = 0
    disposals_g: dict[str, int] = field(default_factory=dict)
    confirmed_dumps: int = 0
    # The canteens with food-waste entries this month: sums of months compare only over the same canteens.
    reporting: set[int] = field(default_factory=set)

    @property
    def total_kg(self) -> float:
        """Food-waste total in kg."""
        return self.total_g / 1000

    @property
    def complete(self) -> bool:
        """True when no served meal of the month lacks entries."""
        return self.missing_slots == 0

    def comparable(self, other: "MonthFigures | None") -> bool:
        """True when both months have entries from the same canteens (like with like)."""
        return (other is not None and self.has_entries and other.has_entries
                and self.reporting == other.reporting)

    @property
    def plate_g_per_diner_meal(self) -> float | None:
        """Plate-stream grams per diner-meal, one decimal; None without matched meals."""
        return round(self.plate_matched_g / self.diners_matched, 1) if self.diners_matched else None

    def add(self, other: "MonthFigures") -> None:
        """Add another canteen's month to this one."""
        self.total_g += other.total_g
        self.has_entries = self.has_entries or other.has_entries
        self.expected_slots += other.expected_slots
        self.missing_slots += other.missing_slots
        self.plate_matched_g += other.plate_matched_g
        self.diners_matched += other.diners_matched
        self.diner_meals += other.diner_meals
        self.confirmed_dumps += other.confirmed_dumps
        self.reporting |= other.reporting
        for target, source in ((self.by_stream_g, other.by_stream_g), (self.by_meal_g, other.by_meal_g),
                               (self.disposals_g, other.disposals_g)):
            for key, grams in source.items():
                target[key] = target.get(key, 0) + grams


def months_between(first: date, last: date) -> list[date]:
    """The first days of every month from ``first``'s to ``last``'s, inclusive."""
    months, current = [], first.replace(day=1)
    while current <= last:
        months.append(current)
        current = add_months(current, 1)
    return months


def _month_key(year: object, month: object) -> date:
    return date(int(year), int(month), 1)  # type: ignore[call-overload]


def collect_months(session: Session, settings: AppConfig, canteens: list[Canteen], first: date, last: date,
                   now: datetime | None = None) -> dict[int, dict[date, MonthFigures]]:
    """Figures per canteen id and month, for the months from ``first`` to ``last``."""
    months = months_between(first, last)
    ids = [canteen.id for canteen in canteens]
    stream_codes = [stream.code for stream in settings.streams]
    food = {stream.code for stream in settings.streams if stream.food_waste}
    result = {canteen.id: {month: MonthFigures(month, by_stream_g={code: 0 for code in stream_codes})
                           for month in months} for canteen in canteens}
    if not ids or not months:
        return result
    start, end = months[0], month_end(months[-1])
    year, mon = extract("year", WasteEntry.day), extract("month", WasteEntry.day)
    live = and_(WasteEntry.canteen_id.in_(ids), WasteEntry.day >= start, WasteEntry.day <= end,
                WasteEntry.voided.is_(False))

    for canteen_id, y, m, meal, stream, grams in session.execute(
            select(WasteEntry.canteen_id, year, mon, Meal.code, Stream.code, func.sum(WasteEntry.weight_g))
            .join(Meal, Meal.id == WasteEntry.meal_id).join(Stream, Stream.id == WasteEntry.stream_id)
            .where(live).group_by(WasteEntry.canteen_id, year, mon, Meal.code, Stream.code)):
        figures = result[canteen_id][_month_key(y, m)]
        figures.by_stream_g[stream] = figures.by_stream_g.get(stream, 0) + int(grams)
        if stream in food:
            figures.total_g += int(grams)
            figures.by_meal_g[meal] = figures.by_meal_g.get(meal, 0) + int(grams)
            figures.has_entries = True
            figures.reporting.add(canteen_id)

    filled: dict[int, set[tuple[date, str]]] = defaultdict(set)
    for canteen_id, day, meal in session.execute(
            select(WasteEntry.canteen_id, WasteEntry.day, Meal.code)
            .join(Meal, Meal.id == WasteEntry.meal_id).join(Stream, Stream.id == WasteEntry.stream_id)
            .where(live, Stream.food_waste.is_(True))
            .group_by(WasteEntry.canteen_id, WasteEntry.day, Meal.code)):
        filled[canteen_id].add((day, meal))
    for canteen in canteens:
        for month in months:
            slots = serving_slots(settings, canteen, month_days(month), now)
            figures = result[canteen.id][month]
            figures.expected_slots = len(slots)
            figures.missing_slots = sum(1 for slot in slots if slot not in filled[canteen.id])

    _per_diner(session, result, ids, start, end)
    _disposals(session, result, ids, start, end)
    _dumps(session, settings, result, ids, start, end)
    return result


def _per_diner(session: Session, result: dict[int, dict[date, MonthFigures]], ids: list[int], start: date,
               end: date) -> None:
    # Like with like: only meals with both a plate weight and a diner count enter the per-diner figure.
    plate = (select(WasteEntry.canteen_id, WasteEntry.day, WasteEntry.meal_id,
                    func.sum(WasteEntry.weight_g).label("grams"))
             .join(Stream, Stream.id == WasteEntry.stream_id)
             .where(WasteEntry.canteen_id.in_(ids), WasteEntry.day >= start, WasteEntry.day <= end,
                    WasteEntry.voided.is_(False), Stream.code == PLATE_STREAM)
             .group_by(WasteEntry.canteen_id, WasteEntry.day, WasteEntry.meal_id).subquery())
    year, mon = extract("year", plate.c.day), extract("month", plate.c.day)
    for canteen_id, y, m, grams, diners in session.execute(
            select(plate.c.canteen_id, year, mon, func.sum(plate.c.grams), func.sum(DinerCount.count))
            .join(DinerCount, and_(DinerCount.canteen_id == plate.c.canteen_id, DinerCount.day == plate.c.day,
                                   DinerCount.meal_id == plate.c.meal_id))
            .where(DinerCount.count > 0).group_by(plate.c.canteen_id, year, mon)):
        figures = result[canteen_id][_month_key(y, m)]
        figures.plate_matched_g, figures.diners_matched = int(grams), int(diners)
    year, mon = extract("year", DinerCount.day), extract("month", DinerCount.day)
    for canteen_id, y, m, diners in session.execute(
            select(DinerCount.canteen_id, year, mon, func.sum(DinerCount.count))
            .where(DinerCount.canteen_id.in_(ids), DinerCount.day >= start, DinerCount.day <= end)
            .group_by(DinerCount.canteen_id, year, mon)):
        result[canteen_id][_month_key(y, m)].diner_meals = int(diners)


def _disposals(session: Session, result: dict[int, dict[date, MonthFigures]], ids: list[int], start: date,
               end: date) -> None:
    year, mon = extract("year", Disposal.day), extract("month", Disposal.day)
    for canteen_id, y, m, kind, waste_type, grams in session.execute(
            select(Disposal.canteen_id, year, mon, Disposal.receiver_kind, Disposal.waste_type,
                   func.sum(Disposal.weight_g))
            .where(Disposal.canteen_id.in_(ids), Disposal.day >= start, Disposal.day <= end,
                   Disposal.voided.is_(False))
            .group_by(Disposal.canteen_id, year, mon, Disposal.receiver_kind, Disposal.waste_type)):
        key = "grease" if waste_type == "grease" else kind
        figures = result[canteen_id][_month_key(y, m)]
        figures.disposals_g[key] = figures.disposals_g.get(key, 0) + int(grams)


def _dumps(session: Session, settings: AppConfig, result: dict[int, dict[date, MonthFigures]], ids: list[int],
           start: date, end: date) -> None:
    # Events carry UTC instants; the month an event belongs to is the canteen's local month.
    zone = settings.zone
    since = datetime.combine(start, time(0), tzinfo=zone).astimezone(timezone.utc)
    until = datetime.combine(add_months(end, 1), time(0), tzinfo=zone).astimezone(timezone.utc)
    for canteen_id, started in session.execute(
            select(CameraEvent.canteen_id, CameraEvent.started_at)
            .where(CameraEvent.canteen_id.in_(ids), CameraEvent.status == "confirmed",
                   CameraEvent.started_at >= since, CameraEvent.started_at < until)):
        local = started.astimezone(zone).date().replace(day=1)
        if local in result[canteen_id]:
            result[canteen_id][local].confirmed_dumps += 1


def combine(per_canteen: dict[int, dict[date, MonthFigures]], months: Iterable[date],
            stream_codes: list[str]) -> list[MonthFigures]:
    """The month-by-month sum over canteens."""
    combined = []
    for month in months:
        total = MonthFigures(month, by_stream_g={code: 0 for code in stream_codes})
        for by_month in per_canteen.values():
            if month in by_month:
                total.add(by_month[month])
        combined.append(total)
    return combined


def top_dishes(session: Session, canteen_ids: list[int], start: date, end: date,
               limit: int) -> list[tuple[str, int]]:
    """Dishes with the most leftover grams between two dates (the ledger's 'by dish' rule)."""
    if not canteen_ids:
        return []
    grams = func.sum(WasteEntry.weight_g)
    rows = session.execute(
        select(Dish.name, grams).join(Dish, Dish.id == WasteEntry.dish_id)
        .where(WasteEntry.canteen_id.in_(canteen_ids), WasteEntry.day >= start, WasteEntry.day <= end,
               WasteEntry.voided.is_(False))
        .group_by(Dish.name).order_by(grams.desc(), Dish.name).limit(limit)).all()
    return [(name, int(total)) for name, total in rows]


def season_start(settings: AppConfig, month: date) -> date:
    """The first month of the season that ``month`` belongs to (the month itself without seasons)."""
    season = settings.season_of(month.month)
    if season is None:
        return month
    first = month
    for _step in range(11):
        previous = add_months(first, -1)
        if previous.month not in season.months:
            break
        first = previous
    return first
