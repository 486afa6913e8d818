"""Month-by-month figures for charts and reports, a handful of grouped queries for any number of months.

The ledger's part (totals, streams, meals, missing meals, per-diner, disposals) comes from the ledger's own
query module, ``canteen.ledger.figures``, so a report can never disagree with the ledger; this module adds the
confirmed camera dumps and sums canteens.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timezone
from typing import Iterable, cast

from sqlalchemy import select
from sqlalchemy.orm import Session

from canteen.camera_events.models import CameraEvent
from canteen.config import AppConfig
from canteen.ledger.figures import LedgerMonth, month_series, months_between
from canteen.reference.models import Canteen
from canteen.core.timeutil import add_months, month_end

DISPOSAL_KINDS = ("hauler", "composter", "grease")


@dataclass
class MonthFigures(LedgerMonth):
    """One month of one canteen (or the sum of several): the ledger's figures and the confirmed dumps."""

    confirmed_dumps: int = 0

    def add(self, other: LedgerMonth) -> None:
        """Add another canteen's month to this one."""
        super().add(other)
        if isinstance(other, MonthFigures):
            self.confirmed_dumps += other.confirmed_dumps


def collect_months(session: Session, settings: AppConfig, canteens: list[Canteen], first: date, last: date,
                   now: datetime | None = None) -> dict[int, dict[date, MonthFigures]]:
    """Figures per canteen id and month, for the months from ``first`` to ``last``."""
    months = months_between(first, last)
    # make=MonthFigures builds every month, so they are MonthFigures; the ledger's signature knows only
    # LedgerMonth.
    result = cast(dict[int, dict[date, MonthFigures]],
                  month_series(session, settings, canteens, months, now, make=MonthFigures))
    if canteens and months:
        ids = [canteen.id for canteen in canteens]
        _dumps(session, settings, result, ids, months[0], month_end(months[-1]))
    return result


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
        # Every configured stream is present, even one nobody weighed: the charts keep a fixed set of series.
        total = MonthFigures(month, by_stream_g={code: 0 for code in stream_codes})
        for by_month in per_canteen.values():
            if month in by_month:
                total.add(by_month[month])
        combined.append(total)
    return combined


def season_start(settings: AppConfig, month: date) -> date:
    """The first month of the season that ``month`` belongs to (the month itself without seasons)."""
    season = settings.season_of(month.month)
    if season is None:
        return month
    first = month
    # A season is at most twelve months: stop after eleven steps back even when it covers the whole year.
    for _step in range(11):
        previous = add_months(first, -1)
        if previous.month not in season.months:
            break
        first = previous
    return first
