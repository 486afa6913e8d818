"""The ledger's figures (台账): every sum over waste entries is made here, and nowhere else.

This is the ledger feature's public query API. Its callers are the ledger pages, API and Excel file, the
reports (charts, report documents, scheduler jobs), the dashboard, the assessment's proposals and year
summary, and the spot checks' re-weighs.

The rules, each written once:

- food waste (``FOOD_WASTE``): entries that are not voided, of a stream marked as food waste (grease is
  weighed but is not food waste);
- a served meal without any food-waste weight is *missing*, never a zero (``serving_slots``);
- plate waste per diner-meal counts only the meals that have both a plate weight and a diner count;
- a month compares with the month before only when that month has entries, and with the same month a year
  earlier only when the canteen was open then and has entries.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Callable, Iterable, TypeVar

from sqlalchemy import ColumnElement, Select, and_, extract, func, or_, select
from sqlalchemy.orm import Session

from canteen.config import AppConfig
from canteen.ledger.models import DinerCount, Disposal, WasteEntry
from canteen.reference.models import Canteen, Dish, Meal, Stream
from canteen.core.timeutil import add_months, local_now, month_days, month_end

PLATE_STREAM = "plate"
# A voided entry stays in the history but counts nowhere.
LIVE = WasteEntry.voided.is_(False)
# The food-waste rule, the only place it is written: current entries of food-waste streams (not grease).
FOOD_WASTE = and_(LIVE, Stream.food_waste.is_(True))

Slot = tuple[date, str]


def _summed(*keys: Any, where: Iterable[ColumnElement[bool]], food_only: bool = False,
            dish: bool = False) -> Select[Any]:
    """SUM(weight_g) over current entries (food waste only, or every stream), grouped by ``keys``."""
    query = (select(*keys, func.sum(WasteEntry.weight_g).label("grams")).select_from(WasteEntry)
             .join(Meal, Meal.id == WasteEntry.meal_id).join(Stream, Stream.id == WasteEntry.stream_id))
    if dish:
        query = query.join(Dish, Dish.id == WasteEntry.dish_id)
    query = query.where(FOOD_WASTE if food_only else LIVE, *where)
    return query.group_by(*keys) if keys else query


def _between(column: Any, first: date, last: date) -> ColumnElement[bool]:
    return and_(column >= first, column <= last)


def days_between(first: date, last: date) -> list[date]:
    """Every day from ``first`` to ``last``, inclusive."""
    return [first + timedelta(days=offset) for offset in range((last - first).days + 1)]


def months_between(first: date, last: date) -> list[date]:
    """The first days of every month from ``first``'s to ``last``'s, inclusive."""
    months, current = [], first.replace(day=1)
    while current <= last:
        months.append(current)
        current = add_months(current, 1)
    return months


def _pct(change: int, base: int) -> float | None:
    return None if base <= 0 else round(change * 100 / base, 1)


# --- which meals should have entries -----------------------------------------------------------------------

def serving_slots(settings: AppConfig, canteen: Canteen, days: list[date],
                  now: datetime | None = None) -> list[Slot]:
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


def filled_slots(session: Session, canteen_ids: list[int], first: date,
                 last: date) -> set[tuple[int, date, str]]:
    """The (canteen id, day, meal) slots between two dates that have a food-waste weight."""
    if not canteen_ids:
        return set()
    rows = session.execute(_summed(
        WasteEntry.canteen_id, WasteEntry.day, Meal.code, food_only=True,
        where=[WasteEntry.canteen_id.in_(canteen_ids), _between(WasteEntry.day, first, last)]))
    return {(canteen_id, day, meal) for canteen_id, day, meal, _grams in rows}


def first_food_waste_entries(session: Session, canteen_id: int, first: date,
                             last: date) -> list[tuple[date, str, str, datetime]]:
    """(day, meal, source, earliest created_at) of the food-waste entries between two dates."""
    # mypy sees tuple(row) as tuple[Any, ...]; the four selected columns make it the declared 4-tuple.
    return [tuple(row) for row in session.execute(  # type: ignore[misc]
        select(WasteEntry.day, Meal.code, WasteEntry.source, func.min(WasteEntry.created_at))
        .join(Meal, Meal.id == WasteEntry.meal_id).join(Stream, Stream.id == WasteEntry.stream_id)
        .where(FOOD_WASTE, WasteEntry.canteen_id == canteen_id, _between(WasteEntry.day, first, last))
        .group_by(WasteEntry.day, Meal.code, WasteEntry.source))]


# --- one day, one slot -------------------------------------------------------------------------------------

def day_cells(session: Session, canteen_id: int, day: date) -> dict[tuple[str, str], int]:
    """A day's totals per (meal, stream), every stream."""
    rows = session.execute(_summed(Meal.code, Stream.code, where=[WasteEntry.canteen_id == canteen_id,
                                                                  WasteEntry.day == day]))
    return {(meal, stream): int(grams) for meal, stream, grams in rows}


def slot_grams(session: Session, canteen_id: int, day: date, meal_code: str) -> dict[str, int]:
    """What the ledger holds now for a canteen-day-meal, per stream (a stream nobody weighed is absent)."""
    rows = session.execute(_summed(Stream.code, where=[WasteEntry.canteen_id == canteen_id,
                                                       WasteEntry.day == day, Meal.code == meal_code]))
    return {stream: int(grams) for stream, grams in rows}


def cell_history(session: Session, canteen: Canteen, day: date,
                 weeks: int) -> dict[tuple[str, str], list[int]]:
    """Daily totals per (meal, stream) over the ``weeks`` weeks before ``day``, for outlier warnings."""
    rows = session.execute(_summed(
        WasteEntry.day, Meal.code, Stream.code,
        where=[WasteEntry.canteen_id == canteen.id, WasteEntry.day >= day - timedelta(weeks=weeks),
               WasteEntry.day < day]))
    history: dict[tuple[str, str], list[int]] = defaultdict(list)
    for _day, meal, stream, grams in rows:
        history[(meal, stream)].append(int(grams))
    return history


def top_dishes(session: Session, canteen_ids: list[int], first: date, last: date,
               limit: int | None = None) -> list[tuple[str, int]]:
    """Dishes by leftover grams between two dates (every stream), most first; ``limit`` keeps the top ones."""
    if not canteen_ids:
        return []
    query = _summed(Dish.name, dish=True, where=[WasteEntry.canteen_id.in_(canteen_ids),
                                                 _between(WasteEntry.day, first, last)])
    query = query.order_by(query.selected_columns.grams.desc(), Dish.name)
    if limit is not None:
        query = query.limit(limit)
    return [(name, int(total)) for name, total in session.execute(query)]


# --- a range of days: the dashboard's month so far ---------------------------------------------------------

@dataclass
class RangeTotals:
    """A canteen's food waste and its served meals without entries over a range of days."""

    total_g: int
    missing_slots: int


def range_totals(session: Session, settings: AppConfig, canteens: list[Canteen], first: date, last: date,
                 now: datetime | None = None) -> dict[int, RangeTotals]:
    """Food waste and missing meals of each canteen from ``first`` to ``last`` (one grouped query)."""
    ids = [canteen.id for canteen in canteens]
    totals: dict[int, int] = defaultdict(int)
    filled = set()
    if ids:
        for canteen_id, day, meal, grams in session.execute(_summed(
                WasteEntry.canteen_id, WasteEntry.day, Meal.code, food_only=True,
                where=[WasteEntry.canteen_id.in_(ids), _between(WasteEntry.day, first, last)])):
            totals[canteen_id] += int(grams)
            filled.add((canteen_id, day, meal))
    days = days_between(first, last)
    result = {}
    for canteen in canteens:
        slots = serving_slots(settings, canteen, days, now)
        missing = sum(1 for day, meal in slots if (canteen.id, day, meal) not in filled)
        result[canteen.id] = RangeTotals(totals.get(canteen.id, 0), missing)
    return result


# --- months ------------------------------------------------------------------------------------------------

@dataclass
class LedgerMonth:
    """One month of one canteen (or the sum of several): totals, completeness, per-diner and disposals."""

    month: date
    total_g: int = 0
    other_g: int = 0
    by_stream_g: dict[str, int] = field(default_factory=dict)
    by_meal_g: dict[str, int] = field(default_factory=dict)
    has_entries: bool = False
    expected_slots: int = 0
    missing: list[Slot] = field(default_factory=list)
    plate_matched_g: int = 0
    diners_matched: int = 0
    diner_meals: int = 0
    # Food waste handed over by receiver kind ("hauler", "composter"); all waste grease under "grease".
    disposals_g: dict[str, int] = field(default_factory=dict)
    # The canteens with food-waste entries this month: sums of months compare only over the same canteens.
    reporting: set[int] = field(default_factory=set)

    @property
    def total_kg(self) -> float:
        """Food-waste total in kg."""
        return self.total_g / 1000

    @property
    def missing_slots(self) -> int:
        """How many served meals lack a food-waste weight."""
        return len(self.missing)

    @property
    def complete(self) -> bool:
        """True when no served meal of the month lacks entries."""
        return not self.missing

    @property
    def weighed(self) -> bool:
        """True when anything at all (any stream) was weighed this month."""
        return any(self.by_stream_g.values())

    def comparable(self, other: "LedgerMonth | None") -> bool:
        """True when both months have entries from the same canteens (like with like)."""
        return (other is not None and self.has_entries and other.has_entries
                and self.reporting == other.reporting)

    @property
    def plate_g_per_diner_meal(self) -> float | None:
        """Plate-stream grams per diner-meal, one decimal; None without matched meals."""
        return round(self.plate_matched_g / self.diners_matched, 1) if self.diners_matched else None

    @property
    def disposals_by_type_g(self) -> dict[str, int]:
        """Handed-over grams by waste type ("food", "grease"), only the types handed over."""
        by_type: dict[str, int] = {}
        for key, grams in self.disposals_g.items():
            kind = "grease" if key == "grease" else "food"
            by_type[kind] = by_type.get(kind, 0) + grams
        return by_type

    def add(self, other: "LedgerMonth") -> None:
        """Add another canteen's month to this one."""
        self.total_g += other.total_g
        self.other_g += other.other_g
        self.has_entries = self.has_entries or other.has_entries
        self.expected_slots += other.expected_slots
        self.missing.extend(other.missing)
        self.plate_matched_g += other.plate_matched_g
        self.diners_matched += other.diners_matched
        self.diner_meals += other.diner_meals
        self.reporting |= other.reporting
        for target, source in ((self.by_stream_g, other.by_stream_g), (self.by_meal_g, other.by_meal_g),
                               (self.disposals_g, other.disposals_g)):
            for key, grams in source.items():
                target[key] = target.get(key, 0) + grams


M = TypeVar("M", bound=LedgerMonth)


@dataclass
class _Loaded:
    """The raw grouped rows behind a set of months."""

    cells: list[tuple[int, date, str, str, bool, int]]
    diners: list[tuple[int, date, str, int]]


def _spans(months: list[date]) -> list[tuple[date, date]]:
    """Runs of consecutive months as (first day, last day) ranges."""
    spans: list[tuple[date, date]] = []
    for month in sorted(set(months)):
        if spans and add_months(spans[-1][1].replace(day=1), 1) == month:
            spans[-1] = (spans[-1][0], month_end(month))
        else:
            spans.append((month, month_end(month)))
    return spans


def _load(session: Session, ids: list[int], months: list[date]) -> _Loaded:
    entry_days = or_(*(_between(WasteEntry.day, first, last) for first, last in _spans(months)))
    cells = session.execute(_summed(WasteEntry.canteen_id, WasteEntry.day, Meal.code, Stream.code,
                                    Stream.food_waste, where=[WasteEntry.canteen_id.in_(ids), entry_days]))
    count_days = or_(*(_between(DinerCount.day, first, last) for first, last in _spans(months)))
    diners = session.execute(
        select(DinerCount.canteen_id, DinerCount.day, Meal.code, DinerCount.count)
        .join(Meal, Meal.id == DinerCount.meal_id).where(DinerCount.canteen_id.in_(ids), count_days))
    return _Loaded([(c, d, m, s, bool(f), int(g)) for c, d, m, s, f, g in cells],
                   [(c, d, m, int(n)) for c, d, m, n in diners])


def _disposals(session: Session, result: dict[int, dict[date, M]], ids: list[int],
               months: list[date]) -> None:
    year, mon = extract("year", Disposal.day), extract("month", Disposal.day)
    days = or_(*(_between(Disposal.day, first, last) for first, last in _spans(months)))
    for canteen_id, y, m, kind, waste_type, grams in session.execute(
            select(Disposal.canteen_id, year, mon, Disposal.receiver_kind, Disposal.waste_type,
                   func.sum(Disposal.weight_g))
            .where(Disposal.canteen_id.in_(ids), days, Disposal.voided.is_(False))
            .group_by(Disposal.canteen_id, year, mon, Disposal.receiver_kind, Disposal.waste_type)):
        key = "grease" if waste_type == "grease" else kind
        figures = result[canteen_id][date(int(y), int(m), 1)]
        figures.disposals_g[key] = figures.disposals_g.get(key, 0) + int(grams)


def _months(loaded: _Loaded, settings: AppConfig, canteens: list[Canteen], months: list[date],
            now: datetime | None, make: Callable[[date], M]) -> dict[int, dict[date, M]]:
    result: dict[int, dict[date, M]] = {}
    for canteen in canteens:
        result[canteen.id] = {}
        for month in months:
            figures = make(month)
            figures.by_stream_g = {stream.code: 0 for stream in settings.streams}
            result[canteen.id][month] = figures
    filled: set[tuple[int, date, str]] = set()
    plate: dict[tuple[int, date, str], int] = defaultdict(int)
    for canteen_id, day, meal, stream, food, grams in loaded.cells:
        figures = result[canteen_id][day.replace(day=1)]
        figures.by_stream_g[stream] = figures.by_stream_g.get(stream, 0) + grams
        if food:
            figures.total_g += grams
            figures.by_meal_g[meal] = figures.by_meal_g.get(meal, 0) + grams
            figures.has_entries = True
            figures.reporting.add(canteen_id)
            filled.add((canteen_id, day, meal))
        else:
            figures.other_g += grams
        if stream == PLATE_STREAM:
            plate[(canteen_id, day, meal)] += grams
    for canteen_id, day, meal, count in loaded.diners:
        figures = result[canteen_id][day.replace(day=1)]
        figures.diner_meals += count
        # Like with like: only meals with both a plate weight and a diner count enter the per-diner figure.
        if count and (canteen_id, day, meal) in plate:
            figures.plate_matched_g += plate[(canteen_id, day, meal)]
            figures.diners_matched += count
    for canteen in canteens:
        for month in months:
            slots = serving_slots(settings, canteen, month_days(month), now)
            figures = result[canteen.id][month]
            figures.expected_slots = len(slots)
            figures.missing = [(day, meal) for day, meal in slots if (canteen.id, day, meal) not in filled]
    return result


def month_series(session: Session, settings: AppConfig, canteens: list[Canteen], months: list[date],
                 now: datetime | None = None,
                 make: Callable[[date], LedgerMonth] = LedgerMonth) -> dict[int, dict[date, LedgerMonth]]:
    """Figures per canteen id and month (first days), from three grouped queries whatever the span.

    ``make`` builds each month's object, so a caller may extend LedgerMonth with figures of its own.
    """
    months = sorted(set(months))
    ids = [canteen.id for canteen in canteens]
    if not ids or not months:
        return {canteen.id: {} for canteen in canteens}
    result = _months(_load(session, ids, months), settings, canteens, months, now, make)
    _disposals(session, result, ids, months)
    return result


def year_ago(canteen: Canteen, by_month: dict[date, M], month: date) -> M | None:
    """The same month a year earlier when the canteen was open then and has entries; None otherwise."""
    earlier = add_months(month, -12)
    figures = by_month.get(earlier)
    if figures is None or month_end(earlier) < canteen.opened_on or not figures.has_entries:
        return None
    return figures


def sum_canteens(settings: AppConfig, canteens: list[Canteen], per_canteen: dict[int, dict[date, M]],
                 month: date) -> dict[str, Any]:
    """The report's month summed over canteens, with the months it compares with (like with like)."""
    previous_month = add_months(month, -1)
    this = [per_canteen[canteen.id][month] for canteen in canteens]
    before = [per_canteen[canteen.id][previous_month] for canteen in canteens]
    earlier = [year_ago(canteen, per_canteen[canteen.id], month) for canteen in canteens]
    summed: dict[str, Any] = {key: sum(getattr(item, key) for item in this)
                              for key in ("total_g", "other_g", "diner_meals")}
    summed["previous_g"] = sum(item.total_g for item in before)
    # A sum over canteens compares with the month before only when the same canteens have entries in both.
    summed["previous_has"] = any(item.has_entries for item in before) and all(
        previous.has_entries == (current.total_g > 0) for previous, current in zip(before, this))
    summed["previous_missing"] = sum(item.missing_slots for item in before)
    years = [item for item in earlier if item is not None]
    # Likewise a year earlier: exactly the canteens with waste now must have had entries then.
    like = bool(years) and all((item is not None) == (current.total_g > 0)
                               for item, current in zip(earlier, this))
    summed["last_year_g"] = sum(item.total_g for item in years) if like else None
    summed["last_year_missing"] = sum(item.missing_slots for item in years) if like else 0
    summed["missing"] = [(canteen, day, meal) for canteen, item in zip(canteens, this)
                         for day, meal in item.missing]
    by_meal: dict[str, int] = {}
    for canteen, item in zip(canteens, this):
        config = settings.canteen(canteen.code)
        # Each canteen's own meals: a meal no canteen serves gets no row.
        for meal in settings.meals_of(config) if config else settings.meals:
            by_meal[meal.code] = by_meal.get(meal.code, 0) + item.by_meal_g.get(meal.code, 0)
    summed["by_meal_g"] = by_meal
    for attribute in ("by_stream_g", "disposals_by_type_g"):
        merged: dict[str, int] = {}
        for item in this:
            for key, grams in getattr(item, attribute).items():
                merged[key] = merged.get(key, 0) + grams
        summed[attribute] = merged
    return summed


@dataclass(frozen=True)
class Changes:
    """Month-over-month and year-over-year changes in grams and percent (None: nothing to compare with)."""

    mom_g: int | None
    mom_pct: float | None
    yoy_g: int | None
    yoy_pct: float | None


def month_changes(this: LedgerMonth, previous: LedgerMonth, last_year: LedgerMonth | None) -> Changes:
    """The changes against the month before (when it has entries) and the same month last year (if any)."""
    mom = this.total_g - previous.total_g if previous.has_entries else None
    yoy = None if last_year is None else this.total_g - last_year.total_g
    return Changes(mom, None if mom is None else _pct(mom, previous.total_g),
                   yoy, None if yoy is None or last_year is None else _pct(yoy, last_year.total_g))


def compared_months(month: date) -> list[date]:
    """A month with the months its changes compare with: a year earlier, the month before, itself."""
    return [add_months(month, -12), add_months(month, -1), month]


# --- the monthly ledger page, API and Excel file -----------------------------------------------------------

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

    @property
    def plate_g_per_diner(self) -> float | None:
        """Plate grams per diner for the day, over the meals that have both a plate weight and a count."""
        plate = diners = 0
        # A meal with a weight but no count (or the reverse) would skew the ratio, so it is left out.
        for (meal, stream), grams in self.cells.items():
            if stream == "plate" and self.diners.get(meal):
                plate += grams
                diners += self.diners[meal]
        return plate / diners if diners else None


@dataclass
class MonthLedger:
    """Everything the ledger page, API and Excel export show for a canteen-month."""

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
    missing: list[Slot]
    previous: LedgerMonth
    last_year: LedgerMonth | None
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

    def column_g(self, key: tuple[str, str]) -> int:
        """The month's grams of one (meal, stream) column, as printed in the ledger's total row."""
        return sum(row.cells.get(key, 0) for row in self.days)

    def diners_of(self, meal: str) -> int:
        """The month's diner count of one meal."""
        return sum(row.diners.get(meal, 0) for row in self.days)


def month_ledger(session: Session, settings: AppConfig, canteen: Canteen, month: date,
                 now: datetime | None = None) -> MonthLedger:
    """Build the ledger of one canteen-month (with its comparison months) from the current entries."""
    config = settings.canteen(canteen.code)
    meals = [meal.code for meal in (settings.meals_of(config) if config else settings.meals)]
    streams = [stream.code for stream in settings.streams]
    food_streams = [stream.code for stream in settings.streams if stream.food_waste]
    months = compared_months(month)
    loaded = _load(session, [canteen.id], months)
    series = _months(loaded, settings, [canteen], months, now, LedgerMonth)[canteen.id]
    _disposals(session, {canteen.id: series}, [canteen.id], [month])
    this = series[month]

    weekdays = set(config.serving_weekdays) if config else set(range(1, 8))
    rows = {day: DayRow(day, day >= canteen.opened_on and day.isoweekday() in weekdays)
            for day in month_days(month)}
    for _canteen_id, day, meal, stream, is_food, grams in loaded.cells:
        row = rows.get(day)
        if row is None:
            continue  # a comparison month
        row.cells[(meal, stream)] = grams
        if is_food:
            row.food_waste_g += grams
        else:
            row.other_g += grams
        if stream == PLATE_STREAM:
            row.plate_g += grams
    for _canteen_id, day, meal, count in loaded.diners:
        if day in rows:
            rows[day].diners[meal] = count
    for day, meal in this.missing:
        rows[day].missing_meals.append(meal)

    return MonthLedger(
        canteen=canteen, month=month, meals=meals, streams=streams,
        food_streams=food_streams, days=[rows[day] for day in sorted(rows)],
        total_g=this.total_g, other_g=this.other_g,
        by_stream_g={code: this.by_stream_g.get(code, 0) for code in streams},
        by_meal_g={code: this.by_meal_g.get(code, 0) for code in meals},
        by_dish_g=dict(top_dishes(session, [canteen.id], month, month_end(month))),
        diner_meals=this.diner_meals, plate_g_per_diner_meal=this.plate_g_per_diner_meal,
        missing=this.missing,
        previous=series[add_months(month, -1)], last_year=year_ago(canteen, series, month),
        disposals_g=this.disposals_by_type_g)


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
