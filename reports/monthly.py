"""The content of a monthly report for one canteen or for all: figures, sentences, gaps and charts."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from flask_babel import gettext as _
from sqlalchemy.orm import Session

from canteen.config import AppConfig
from canteen.core.timeutil import add_months, local_today, month_end
from canteen.ledger.figures import month_changes, months_between, sum_canteens, top_dishes, year_ago
from canteen.ledger.wording import change_sentence
from canteen.reference.models import Canteen
from reports import charts, sources
from reports.charts import Chart
from reports.data import MonthFigures, collect_months, combine, season_start
from reports.labels import change_pct, kg_text, local_name, month_label
from reports.timing import Stopwatch

# Beyond this the list would swamp the report; the rest are counted ("and N more").
MAX_LISTED_GAPS = 40


@dataclass
class CanteenLine:
    """One canteen's row in the all-canteens table."""

    code: str
    name: str
    total_g: int
    mom_g: int | None
    mom_pct: float | None
    yoy_g: int | None
    yoy_pct: float | None
    plate_g_per_diner_meal: float | None
    diner_meals: int
    missing: int


@dataclass
class MonthlyReport:
    """Everything the report template shows."""

    month: date
    target: str
    title: str
    canteens: list[Canteen]
    total_g: int
    other_g: int
    by_stream: list[tuple[str, int]]
    by_meal: list[tuple[str, int]]
    diner_meals: int
    plate_g: float | None
    plate_last_year_g: float | None
    plate_yoy_pct: float | None
    target_plate_g: float
    baseline_plate_g: float | None
    headline: str
    mom_line: str
    yoy_line: str
    gaps: list[str]
    disposals: list[tuple[str, int]]
    dishes: list[tuple[str, int]]
    canteen_lines: list[CanteenLine]
    score: float | None
    score_grade: str | None
    scores_available: bool
    spot_checks: list[sources.SpotCheckLine] | None
    rectifications: list[sources.RectificationLine] | None
    offences: list[tuple[str, int]] | None
    charts: list[Chart] = field(default_factory=list)

    def figures(self) -> dict[str, Any]:
        """The numbers behind the report and its charts (written beside it as figures.json)."""
        return {"month": month_label(self.month), "target": self.target,
                "total_kg": round(self.total_g / 1000, 3),
                "plate_g_per_diner_meal": self.plate_g, "diner_meals": self.diner_meals,
                "charts": {chart.name: chart.numbers for chart in self.charts}}


def _gaps(settings: AppConfig, month: date, summed: dict[str, Any], several: bool, today: date,
          meal_names: dict[str, str]) -> list[str]:
    gaps = []
    # A report of the running month (produced by hand) must say its figures are partial.
    if month_end(month) >= today:
        gaps.append(_("The month is not over: the figures run up to %(day)s.", day=today.isoformat()))
    missing = summed["missing"]
    if missing:
        gaps.append(_("%(n)s served meal(s) this month have no food-waste entry; the total is lower than the "
                      "waste really produced.", n=len(missing)))
        listed = [(f"{local_name(canteen)} " if several else "")
                  + f"{day.isoformat()} {meal_names.get(meal, meal)}"
                  for canteen, day, meal in missing[:MAX_LISTED_GAPS]]
        more = len(missing) - len(listed)
        gaps.append(_("Missing: %(list)s", list="; ".join(listed))
                    + (" " + _("and %(n)s more", n=more) if more else ""))
    # Only when no meal is missing: otherwise the missing-meal lines already explain the zero.
    if summed["total_g"] == 0 and not missing:
        gaps.append(_("No food-waste entry was recorded this month."))
    if summed["previous_missing"]:
        gaps.append(_("The previous month has %(n)s meal(s) without entries, so the month-over-month change "
                      "compares unlike months.", n=summed["previous_missing"]))
    if not summed["previous_has"]:
        gaps.append(_("The previous month has no entries (or not from the same canteens): there is no "
                      "month-over-month change."))
    if summed["last_year_g"] is None:
        gaps.append(_("There are no entries for the same month last year (or not from the same canteens): "
                      "there is no year-over-year change."))
    elif summed["last_year_missing"]:
        gaps.append(_("The same month last year has %(n)s meal(s) without entries.",
                      n=summed["last_year_missing"]))
    return gaps


@dataclass
class _ChartInputs:
    """What the eight charts are drawn from, gathered with the report's figures."""

    shown: list[MonthFigures]
    before: MonthFigures | None
    earlier: list[MonthFigures | None]
    streams: list[tuple[str, str]]
    meals: list[tuple[str, str]]
    month_dishes: list[tuple[str, int]]
    season_dishes: list[tuple[str, int]]
    season_first: date
    season_name: str
    scores: dict[date, float] | None
    bands: list[tuple[float, str]]


def build_monthly_report(session: Session, settings: AppConfig, month: date, canteen: Canteen | None,
                         all_canteens: list[Canteen], now: datetime | None = None,
                         stopwatch: Stopwatch | None = None) -> MonthlyReport:
    """Gather a canteen's (or, with ``canteen`` None, every canteen's) month and draw its charts."""
    clock = stopwatch or Stopwatch()
    with clock.phase("queries"):
        report, inputs = _gather(session, settings, month, canteen, all_canteens, now)
    with clock.phase("charts"):
        report.charts = _draw_charts(settings, month, inputs)
    return report


def _gather(session: Session, settings: AppConfig, month: date, canteen: Canteen | None,
            all_canteens: list[Canteen], now: datetime | None) -> tuple[MonthlyReport, _ChartInputs]:
    report_settings = settings.reports
    canteens = [canteen] if canteen is not None else list(all_canteens)
    several = canteen is None
    today = local_today(settings.zone, now)
    ids = [item.id for item in canteens]
    stream_codes = [stream.code for stream in settings.streams]
    meal_names = {meal.code: local_name(meal) for meal in settings.meals}
    stream_names = {stream.code: local_name(stream) for stream in settings.streams}

    chart_first = add_months(month, 1 - report_settings.chart_months)
    # A year before the first charted month, for the first month's same-month-last-year point.
    series_first = add_months(chart_first, -12)
    # The month is computed once: the charts' series holds it and every month it is compared with.
    per_canteen = collect_months(session, settings, canteens, series_first, month, now)
    summed = sum_canteens(settings, canteens, per_canteen, month)
    series = combine(per_canteen, months_between(series_first, month), stream_codes)
    by_month = {figures.month: figures for figures in series}
    shown = [by_month[item] for item in months_between(chart_first, month)]
    before = by_month.get(add_months(chart_first, -1))
    earlier: list[MonthFigures | None] = [by_month.get(add_months(item.month, -12)) for item in shown]

    name = _("All canteens") if several else local_name(canteen)
    previous_ok = summed["previous_has"]
    mom_g = summed["total_g"] - summed["previous_g"] if previous_ok else None
    mom_pct = change_pct(mom_g, summed["previous_g"]) if mom_g is not None else None
    this_incomplete = bool(summed["missing"])
    mom_line = change_sentence("mom", mom_g, mom_pct, this_incomplete or bool(summed["previous_missing"]))
    yoy_g = summed["total_g"] - summed["last_year_g"] if summed["last_year_g"] is not None else None
    yoy_pct = change_pct(yoy_g, summed["last_year_g"]) if yoy_g is not None else None
    yoy_line = change_sentence("yoy", yoy_g, yoy_pct, this_incomplete or bool(summed["last_year_missing"]))
    # Without a previous month to compare with, the headline states the total alone (no "change").
    if mom_g is None:
        headline = _("%(place)s, %(month)s: %(kg)s kg of food waste", place=name, month=month_label(month),
                     kg=kg_text(summed["total_g"]))
    else:
        headline = _("%(place)s, %(month)s: %(kg)s kg of food waste, %(change)s", place=name,
                     month=month_label(month), kg=kg_text(summed["total_g"]), change=mom_line)

    this_month = by_month[month]
    year_ago = by_month.get(add_months(month, -12))
    plate_g = this_month.plate_g_per_diner_meal
    plate_last = (year_ago.plate_g_per_diner_meal if year_ago is not None and this_month.comparable(year_ago)
                  else None)
    plate_yoy = change_pct(plate_g - plate_last, plate_last) if plate_g is not None and plate_last else None

    scores = sources.caterer_scores(session, ids, [item.month for item in shown])
    score = scores.get(month) if scores else None
    season_first = season_start(settings, month)
    season = settings.season_of(month.month)
    month_dishes = top_dishes(session, ids, month, month_end(month), report_settings.top_dishes)
    season_dishes = top_dishes(session, ids, season_first, month_end(month), report_settings.top_dishes)
    offences = sources.offences_by_step(session, settings, ids, month)
    # The configured sheet's grade bands when there are any, else domain.md's.
    bands = sources.score_bands(settings) or charts.default_bands()

    report = MonthlyReport(
        month=month, target="all" if canteen is None else canteen.code, title=name, canteens=canteens,
        total_g=summed["total_g"], other_g=summed["other_g"],
        by_stream=[(stream_names[code], summed["by_stream_g"].get(code, 0)) for code in stream_codes],
        by_meal=[(meal_names.get(code, code), grams) for code, grams in summed["by_meal_g"].items()],
        diner_meals=summed["diner_meals"], plate_g=plate_g, plate_last_year_g=plate_last,
        plate_yoy_pct=plate_yoy,
        target_plate_g=report_settings.target_plate_g, baseline_plate_g=report_settings.baseline_plate_g,
        headline=headline, mom_line=mom_line, yoy_line=yoy_line,
        gaps=_gaps(settings, month, summed, several, today, meal_names),
        disposals=[(label, summed["disposals_by_type_g"].get(key, 0)) for key, label in
                   (("food", _("food waste to hauler or composter")), ("grease", _("waste grease")))],
        dishes=month_dishes,
        canteen_lines=[_canteen_line(item, per_canteen[item.id], month) for item in canteens]
        if several else [],
        score=score, score_grade=charts.band_of(score, bands) if score is not None else None,
        scores_available=scores is not None,
        spot_checks=sources.spot_checks(session, ids, month),
        rectifications=sources.rectifications(session, ids, month),
        offences=_offence_rows(offences))
    if scores is None:
        report.gaps.append(_("The caterer's assessment is not recorded in this system: no score is shown."))
    elif score is None:
        report.gaps.append(_("No assessment of the caterer is recorded for this month."))

    # Without configured seasons the season is the month itself (season_start).
    inputs = _ChartInputs(
        shown=shown, before=before, earlier=earlier,
        streams=[(code, stream_names[code]) for code in stream_codes],
        meals=[(meal.code, meal_names[meal.code]) for meal in settings.meals],
        month_dishes=month_dishes, season_dishes=season_dishes, season_first=season_first,
        season_name=local_name(season) if season else month_label(month), scores=scores, bands=bands)
    return report, inputs


def _draw_charts(settings: AppConfig, month: date, inputs: _ChartInputs) -> list[Chart]:
    report_settings = settings.reports
    shown = inputs.shown
    return [
        charts.monthly_totals_chart(shown, inputs.before,
                                    _("Food waste by month (kg) and the month-over-month change")),
        charts.plate_per_diner_chart(
            shown, inputs.earlier, report_settings.target_plate_g, report_settings.baseline_plate_g,
            _("Plate waste per diner-meal (g), the same month last year and the target")),
        charts.streams_chart(shown, inputs.streams, _("Waste by stream and month (kg)")),
        charts.meals_chart(shown, inputs.meals, _("Food waste by meal and month (kg)")),
        charts.dishes_chart(inputs.month_dishes, inputs.season_dishes,
                            _("This month (%(month)s)", month=month_label(month)),
                            _("This season (%(season)s, from %(first)s)", season=inputs.season_name,
                              first=month_label(inputs.season_first)),
                            _("Dishes with the most leftovers (kg)")),
        charts.score_chart([item.month for item in shown], inputs.scores, _("The caterer's monthly score"),
                           inputs.bands),
        charts.dumps_chart(shown, _("Dumps confirmed by a reviewer per month")),
        charts.disposals_chart(shown, _("Ledger and disposals by month (kg)")),
    ]


def _canteen_line(canteen: Canteen, by_month: dict[date, MonthFigures], month: date) -> CanteenLine:
    this, previous = by_month[month], by_month[add_months(month, -1)]
    changes = month_changes(this, previous, year_ago(canteen, by_month, month))
    return CanteenLine(
        code=canteen.code, name=local_name(canteen), total_g=this.total_g, mom_g=changes.mom_g,
        mom_pct=changes.mom_pct, yoy_g=changes.yoy_g, yoy_pct=changes.yoy_pct,
        plate_g_per_diner_meal=this.plate_g_per_diner_meal,
        diner_meals=this.diner_meals, missing=this.missing_slots)


def _offence_rows(counts: dict[str, int] | None) -> list[tuple[str, int]] | None:
    # Counts per ladder step only: a report never names a diner.
    if counts is None:
        return None
    names = {"offences": _("confirmed offences"), "warning": _("verbal warning"),
             "exposure": _("public exposure"), "referral": _("referral to the discipline office")}
    return [(names.get(step, step), count) for step, count in counts.items()]
