"""The monthly ledger (台账): totals by day, meal and stream, per-diner figures, MoM and YoY."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from canteen.config import AppConfig
from canteen.core.timeutil import add_months, local_now, month_days, month_end
from canteen.ledger.models import DinerCount, Disposal, WasteEntry
from canteen.reference.models import Canteen, Dish, Meal, Stream


@dataclass
class DayRow:
    """One day of the ledger; ``cells`` maps (meal, stream) to grams."""

    day: date
    serving: bool
    cells: dict[tuple[str, str], int] = field(default_factory=dict)
    diners: dict[str, int] = field(default_factory=dict)
    missing_meals: list[str] = field(default_factory=list)
    food_waste_g: int = 0
    other_g: int = 0
    plate_g: int = 0


@dataclass
class MonthTotals:
    """Food-waste total and completeness of a month, for comparisons."""

    month: date
    total_g: int
    missing_slots: int
    has_entries: bool


@dataclass
class MonthLedger:
    """Everything the ledger page, API, Excel export and reports show for a canteen-month."""

    canteen: Canteen
    month: date
    meals: list[str]
    streams: list[str]
    food_streams: list[str]
    days: list[DayRow]
    total_g: int
    other_g: int
    by_stream_g: dict[str, int]
    by_meal_g: dict[str, int]
    by_dish_g: dict[str, int]
    diner_meals: int
    plate_g_per_diner_meal: float | None
    missing: list[tuple[date, str]]
    previous: MonthTotals
    last_year: MonthTotals | None
    disposals_g: dict[str, int]

    @property
    def total_kg(self) -> float:
        """Food-waste total in kg."""
        return self.total_g / 1000

    @property
    def mom_change_g(self) -> int:
        """This month minus the previous month, grams."""
        return self.total_g - self.previous.total_g

    @property
    def mom_change_pct(self) -> float | None:
        """Month-over-month change in percent, one decimal; None without a base."""
        return _pct(self.mom_change_g, self.previous.total_g)

    @property
    def yoy_change_g(self) -> int | None:
        """This month minus the same month a year earlier, grams."""
        return None if self.last_year is None else self.total_g - self.last_year.total_g

    @property
    def yoy_change_pct(self) -> float | None:
        """Year-over-year change in percent, one decimal."""
        if self.last_year is None or self.yoy_change_g is None:
            return None
        return _pct(self.yoy_change_g, self.last_year.total_g)

    @property
    def complete(self) -> bool:
        """True when no serving slot of the month lacks entries."""
        return not self.missing


def _pct(change: int, base: int) -> float | None:
    return None if base <= 0 else round(change * 100 / base, 1)


def serving_slots(settings: AppConfig, canteen: Canteen, days: list[date],
                  now: datetime | None = None) -> list[tuple[date, str]]:
    """The (day, meal) slots that should have entries by now: served, opened, and the meal is over."""
    config = settings.canteen(canteen.code)
    meals = settings.meals_of(config) if config else settings.meals
    weekdays = set(config.serving_weekdays) if config else set(range(1, 8))
    current = local_now(settings.zone, now)
    today, clock = current.date(), current.time()
    slots = []
    for day in days:
        if day < canteen.opened_on or day > today or day.isoweekday() not in weekdays:
            continue
        for meal in meals:
            if day == today and clock < meal.end:
                continue
            slots.append((day, meal.code))
    return slots


def month_totals(session: Session, settings: AppConfig, canteen: Canteen, month: date,
                 now: datetime | None = None) -> MonthTotals:
    """Food-waste total and missing-slot count of a month (for the comparisons)."""
    start, end = month, month_end(month)
    rows = session.execute(
        select(WasteEntry.day, Meal.code, func.sum(WasteEntry.weight_g))
        .join(Stream, Stream.id == WasteEntry.stream_id).join(Meal, Meal.id == WasteEntry.meal_id)
        .where(WasteEntry.canteen_id == canteen.id, WasteEntry.day >= start, WasteEntry.day <= end,
               WasteEntry.voided.is_(False), Stream.food_waste.is_(True))
        .group_by(WasteEntry.day, Meal.code)).all()
    filled = {(day, meal) for day, meal, _total in rows}
    slots = serving_slots(settings, canteen, month_days(month), now)
    missing = sum(1 for slot in slots if slot not in filled)
    return MonthTotals(month, int(sum(total for _d, _m, total in rows)), missing, bool(rows))


def month_ledger(session: Session, settings: AppConfig, canteen: Canteen, month: date,
                 now: datetime | None = None) -> MonthLedger:
    """Build the ledger of one canteen-month from the current (non-void) entries."""
    start, end = month, month_end(month)
    config = settings.canteen(canteen.code)
    meals = [meal.code for meal in (settings.meals_of(config) if config else settings.meals)]
    streams = [stream.code for stream in settings.streams]
    food_streams = [stream.code for stream in settings.streams if stream.food_waste]

    cells = session.execute(
        select(WasteEntry.day, Meal.code, Stream.code, func.sum(WasteEntry.weight_g))
        .join(Meal, Meal.id == WasteEntry.meal_id).join(Stream, Stream.id == WasteEntry.stream_id)
        .where(WasteEntry.canteen_id == canteen.id, WasteEntry.day >= start, WasteEntry.day <= end,
               WasteEntry.voided.is_(False))
        .group_by(WasteEntry.day, Meal.code, Stream.code)).all()
    diners = session.execute(
        select(DinerCount.day, Meal.code, DinerCount.count).join(Meal, Meal.id == DinerCount.meal_id)
        .where(DinerCount.canteen_id == canteen.id, DinerCount.day >= start, DinerCount.day <= end)).all()
    dishes = session.execute(
        select(Dish.name, func.sum(WasteEntry.weight_g)).join(Dish, Dish.id == WasteEntry.dish_id)
        .where(WasteEntry.canteen_id == canteen.id, WasteEntry.day >= start, WasteEntry.day <= end,
               WasteEntry.voided.is_(False))
        .group_by(Dish.name)).all()
    disposals = session.execute(
        select(Disposal.waste_type, func.sum(Disposal.weight_g))
        .where(Disposal.canteen_id == canteen.id, Disposal.day >= start, Disposal.day <= end,
               Disposal.voided.is_(False))
        .group_by(Disposal.waste_type)).all()

    weekdays = set(config.serving_weekdays) if config else set(range(1, 8))
    rows = {day: DayRow(day, day >= canteen.opened_on and day.isoweekday() in weekdays)
            for day in month_days(month)}
    by_stream: dict[str, int] = defaultdict(int)
    by_meal: dict[str, int] = defaultdict(int)
    filled: set[tuple[date, str]] = set()
    plate_by_slot: dict[tuple[date, str], int] = defaultdict(int)
    for day, meal, stream, grams in cells:
        grams = int(grams)
        row = rows[day]
        row.cells[(meal, stream)] = grams
        by_stream[stream] += grams
        if stream in food_streams:
            row.food_waste_g += grams
            by_meal[meal] += grams
            filled.add((day, meal))
        else:
            row.other_g += grams
        if stream == "plate":
            row.plate_g += grams
            plate_by_slot[(day, meal)] += grams
    diner_by_slot = {}
    for day, meal, count in diners:
        rows[day].diners[meal] = count
        diner_by_slot[(day, meal)] = count

    slots = serving_slots(settings, canteen, list(rows), now)
    missing = [slot for slot in slots if slot not in filled]
    for day, meal in missing:
        rows[day].missing_meals.append(meal)

    # Per-diner figures compare like with like: only slots with both a plate weight and a count.
    matched = [slot for slot in plate_by_slot if diner_by_slot.get(slot)]
    matched_diners = sum(diner_by_slot[slot] for slot in matched)
    per_diner = (round(sum(plate_by_slot[slot] for slot in matched) / matched_diners, 1)
                 if matched_diners else None)

    total_g = sum(by_stream[code] for code in food_streams)
    other_g = sum(grams for code, grams in by_stream.items() if code not in food_streams)
    previous = month_totals(session, settings, canteen, add_months(month, -1), now)
    last_year_month = add_months(month, -12)
    last_year = None
    if month_end(last_year_month) >= canteen.opened_on:
        candidate = month_totals(session, settings, canteen, last_year_month, now)
        last_year = candidate if candidate.has_entries else None

    return MonthLedger(
        canteen=canteen, month=month, meals=meals, streams=streams, food_streams=food_streams,
        days=[rows[day] for day in sorted(rows)], total_g=total_g, other_g=other_g,
        by_stream_g={code: by_stream.get(code, 0) for code in streams},
        by_meal_g={code: by_meal.get(code, 0) for code in meals},
        by_dish_g=dict(sorted(((name, int(grams)) for name, grams in dishes), key=lambda item: -item[1])),
        diner_meals=sum(diner_by_slot.values()), plate_g_per_diner_meal=per_diner, missing=missing,
        previous=previous, last_year=last_year,
        disposals_g={kind: int(grams) for kind, grams in disposals})


def _day_as_dict(row: DayRow, food_streams: list[str]) -> dict[str, Any]:
    # A day nobody weighed food waste on has no total, not a total of zero.
    weighed = any(stream in food_streams for _meal, stream in row.cells)
    return {"date": row.day.isoformat(), "total_kg": row.food_waste_g / 1000 if weighed else None,
            "plate_kg": row.plate_g / 1000 if weighed else None, "diners": sum(row.diners.values()),
            "missing_meals": row.missing_meals}


def ledger_as_dict(ledger: MonthLedger) -> dict[str, Any]:
    """The JSON shape of a month's ledger (GET /api/v1/ledger)."""
    kg = lambda grams: None if grams is None else round(grams / 1000, 3)  # noqa: E731
    return {
        "canteen": ledger.canteen.code,
        "month": ledger.month.strftime("%Y-%m"),
        "total_kg": kg(ledger.total_g),
        "other_kg": kg(ledger.other_g),
        "by_stream": {code: kg(grams) for code, grams in ledger.by_stream_g.items()},
        "by_meal": {code: kg(grams) for code, grams in ledger.by_meal_g.items()},
        "by_dish": {name: kg(grams) for name, grams in ledger.by_dish_g.items()},
        "days": [_day_as_dict(row, ledger.food_streams) for row in ledger.days],
        "diner_meals": ledger.diner_meals,
        "plate_g_per_diner_meal": ledger.plate_g_per_diner_meal,
        "complete": ledger.complete,
        "previous_month": {"month": ledger.previous.month.strftime("%Y-%m"),
                           "total_kg": kg(ledger.previous.total_g),
                           "missing_slots": ledger.previous.missing_slots},
        # Without entries last month there is nothing to compare with; a "change" would be this month's total.
        "mom_change_kg": kg(ledger.mom_change_g) if ledger.previous.has_entries else None,
        "mom_change_pct": ledger.mom_change_pct if ledger.previous.has_entries else None,
        "same_month_last_year": None if ledger.last_year is None else {
            "month": ledger.last_year.month.strftime("%Y-%m"), "total_kg": kg(ledger.last_year.total_g),
            "missing_slots": ledger.last_year.missing_slots},
        "yoy_change_kg": kg(ledger.yoy_change_g),
        "yoy_change_pct": ledger.yoy_change_pct,
        "missing": [{"date": day.isoformat(), "meal": meal} for day, meal in ledger.missing],
        "disposals_kg": {kind: kg(grams) for kind, grams in ledger.disposals_g.items()},
    }


def cell_history(session: Session, canteen: Canteen, day: date, weeks: int) -> dict[tuple[str, str], list[int]]:
    """Daily totals per (meal, stream) over the ``weeks`` weeks before ``day``, for outlier warnings."""
    start = day - timedelta(weeks=weeks)
    rows = session.execute(
        select(WasteEntry.day, Meal.code, Stream.code, func.sum(WasteEntry.weight_g))
        .join(Meal, Meal.id == WasteEntry.meal_id).join(Stream, Stream.id == WasteEntry.stream_id)
        .where(WasteEntry.canteen_id == canteen.id, WasteEntry.day >= start, WasteEntry.day < day,
               WasteEntry.voided.is_(False))
        .group_by(WasteEntry.day, Meal.code, Stream.code)).all()
    history: dict[tuple[str, str], list[int]] = defaultdict(list)
    for _day, meal, stream, grams in rows:
        history[(meal, stream)].append(int(grams))
    return history


