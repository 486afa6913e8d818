"""The two trend charts the dashboard draws live: monthly totals and plate waste per diner-meal."""
from __future__ import annotations

from datetime import date, datetime

from flask_babel import gettext as _
from sqlalchemy.orm import Session

from canteen.config import AppConfig
from canteen.core.timeutil import add_months
from canteen.reference.models import Canteen
from reports import charts
from reports.charts import Chart
from reports.data import collect_months, combine, months_between

TREND_CHARTS = ("monthly_totals", "plate_per_diner")


def trend_chart(session: Session, settings: AppConfig, canteens: list[Canteen], month: date, name: str,
                now: datetime | None = None) -> Chart:
    """One of TREND_CHARTS over the configured number of months ending with ``month``."""
    if name not in TREND_CHARTS:
        raise ValueError(f"unknown trend chart {name!r}")
    count = settings.reports.chart_months
    first = add_months(month, 1 - count)
    # Fetched from earlier than shown: one month for the first bar's change, twelve for the first
    # point's same month last year.
    lead = add_months(first, -12 if name == "plate_per_diner" else -1)
    per_canteen = collect_months(session, settings, canteens, lead, month, now)
    series = combine(per_canteen, months_between(lead, month), [stream.code for stream in settings.streams])
    by_month = {figures.month: figures for figures in series}
    shown = [by_month[item] for item in months_between(first, month)]
    if name == "monthly_totals":
        return charts.monthly_totals_chart(shown, by_month.get(add_months(first, -1)),
                                           _("Food waste by month (kg) and the month-over-month change"))
    earlier = [by_month.get(add_months(item.month, -12)) for item in shown]
    title = _("Plate waste per diner-meal (g), the same month last year and the target")
    return charts.plate_per_diner_chart(shown, earlier, settings.reports.target_plate_g,
                                        settings.reports.baseline_plate_g, title)
