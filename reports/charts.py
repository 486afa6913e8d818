"""The report charts: each function draws one matplotlib Figure (never pyplot) and returns its numbers.

Every series differs by hatching, marker or line style as well as by shade, so the charts stay readable when
printed in black and white. Every figure comes from :func:`canteen.core.plotting.new_figure`, which registers
the CJK font.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal, Sequence, TypedDict

from flask_babel import gettext as _
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from reports.data import MonthFigures
from canteen.core.plotting import new_figure, png_bytes, svg_bytes
from reports.labels import change_pct, kg_text, month_label, pct_text, signed_kg

WIDE = (10.0, 4.4)
DPI = 150
# Shade, hatch, marker and line style cycle in step: a series is told apart without colour.
FILLS = ["0.35", "0.6", "0.85", "1.0", "0.75", "0.5"]
HATCHES = ["", "//", "..", "xx", "\\\\", "++"]
MARKERS = ["o", "s", "^", "D", "v", "P"]
LINESTYLES = ["-", "--", "-.", ":", (0, (5, 1)), (0, (1, 1))]
# Grade bands of the monthly contractor sheet (domain.md): lower bound, label, hatch.
GRADE_BANDS = [(90.0, "excellent", ".."), (80.0, "good", "//"), (70.0, "pass", "\\\\"), (0.0, "fail", "xx")]


# The rows below are what each chart writes into figures.json: the numbers behind every bar and point.

class TotalsRow(TypedDict):
    """One month of the monthly totals chart."""

    month: str
    total_kg: float
    mom_kg: float | None
    mom_pct: float | None
    complete: bool
    comparison_incomplete: bool
    missing_meals: int
    has_entries: bool


class PlateRow(TypedDict):
    """One month of the plate-waste-per-diner chart."""

    month: str
    g: float | None
    last_year_g: float | None
    yoy_g: float | None
    yoy_pct: float | None
    complete: bool


class ScoreRow(TypedDict):
    """One month of the caterer's score chart."""

    month: str
    score: float | None
    grade: str | None


class DumpRow(TypedDict):
    """One month of the confirmed dumps chart."""

    month: str
    confirmed: int


KgKey = Literal["ledger_kg", "hauler_kg", "composter_kg"]


class DisposalRow(TypedDict):
    """One month of the ledger-and-disposals chart."""

    month: str
    ledger_kg: float
    hauler_kg: float
    composter_kg: float
    difference_pct: float | None


@dataclass
class Chart:
    """A drawn chart: its file name stem, title, the Figure and the numbers it shows."""

    name: str
    title: str
    figure: Figure
    numbers: dict[str, Any] = field(default_factory=dict)

    def png(self, dpi: int = DPI) -> bytes:
        """The chart as PNG (no timestamp or version in the metadata, so re-runs give the same bytes)."""
        return png_bytes(self.figure, dpi)

    def svg(self) -> bytes:
        """The chart as SVG, also without a date, for printing at any size."""
        return svg_bytes(self.figure)


def _figure(size: tuple[float, float] = WIDE) -> Figure:
    # Made at the PNG's resolution: the one draw for the PNG then needs no change of scale. The tight layout
    # measures the labels once per drawing where the constrained one measures them twice (a fifth of the
    # drawing time), and these one- or two-panel charts come out the same.
    return new_figure(size, dpi=DPI, layout="tight")


def _no_data(axes: Axes, text: str | None = None) -> None:
    axes.text(0.5, 0.5, text or _("No data"), transform=axes.transAxes, ha="center", va="center",
              fontsize=14, color="0.3")
    axes.set_xticks([])
    axes.set_yticks([])


def _month_axis(axes: Axes, months: Sequence[date]) -> None:
    axes.set_xticks(range(len(months)), [month_label(month) for month in months], rotation=45, ha="right",
                    fontsize=8)
    axes.set_xlim(-0.6, len(months) - 0.4)


def _mom(current: MonthFigures, previous: MonthFigures | None) -> tuple[int | None, float | None]:
    # Without entries in the month before (or from other canteens) there is no change to show.
    if previous is None or not current.comparable(previous):
        return None, None
    change = current.total_g - previous.total_g
    return change, change_pct(change, previous.total_g)


def monthly_totals_chart(shown: list[MonthFigures], before: MonthFigures | None, title: str) -> Chart:
    """Food-waste kg per month, each bar labelled with its total and month-over-month change (kg and %)."""
    figure = _figure()
    axes = figure.add_subplot()
    rows: list[TotalsRow] = []
    for index, month in enumerate(shown):
        previous = shown[index - 1] if index else before
        change, pct = _mom(month, previous)
        # A change is only as good as both months: flag it when either has meals without entries.
        incomplete = change is not None and (not month.complete or previous is None or not previous.complete)
        rows.append({"month": month_label(month.month), "total_kg": round(month.total_g / 1000, 3),
                     "mom_kg": None if change is None else round(change / 1000, 3), "mom_pct": pct,
                     "complete": month.complete, "comparison_incomplete": incomplete,
                     "missing_meals": month.missing_slots, "has_entries": month.has_entries})
    if not any(month.has_entries for month in shown):
        _no_data(axes)
    else:
        heights = [row["total_kg"] for row in rows]
        # Months of zero kg still need a non-zero scale for the label offsets below.
        top = max(heights) or 1.0
        for index, (row, month) in enumerate(zip(rows, shown)):
            full = month.complete
            # An incomplete month is drawn hollow and hatched: its bar is lower than the waste really produced
            # (domain.md: a month with missing days must say so rather than show a misleading drop).
            axes.bar(index, row["total_kg"], width=0.7, color="0.6" if full else "1.0", edgecolor="black",
                     hatch="" if full else "///", linewidth=0.8,
                     label=None if full else _("incomplete month (meals without entries)"))
            # No entries is not zero kg: say so instead of leaving a gap that reads as 0.
            if not month.has_entries:
                axes.text(index, top * 0.02, _("no entries"), ha="center", va="bottom", rotation=90,
                          fontsize=7)
                continue
            label = kg_text(month.total_g)
            if row["mom_kg"] is not None:
                label += f"\n{signed_kg(round(row['mom_kg'] * 1000))}kg"
                label += f"\n{pct_text(row['mom_pct'])}"
            if row["comparison_incomplete"]:
                label += "*"
            axes.text(index, row["total_kg"] + top * 0.01, label, ha="center", va="bottom", fontsize=7,
                      linespacing=1.1)
        # Headroom for the three-line labels above the tallest bar.
        axes.set_ylim(0, top * 1.3)
        # Every incomplete bar adds the same label; one legend entry is enough.
        handles, labels = axes.get_legend_handles_labels()
        if handles:
            axes.legend(handles[:1], labels[:1], loc="upper left", fontsize=8, frameon=False)
        axes.set_ylabel(_("kg"))
        _month_axis(axes, [month.month for month in shown])
        if any(row["comparison_incomplete"] for row in rows):
            axes.text(0.99, 0.98, "* " + _("the change compares a month that has missing entries"),
                      transform=axes.transAxes, ha="right", va="top", fontsize=7)
    axes.set_title(title, fontsize=11)
    return Chart("monthly_totals", title, figure, {"unit": "kg", "months": rows})


def plate_per_diner_chart(shown: list[MonthFigures], last_year: list[MonthFigures | None], target_g: float,
                          baseline_g: float | None, title: str) -> Chart:
    """Plate waste per diner-meal by month, the same months a year earlier, the target and the baseline."""
    figure = _figure()
    axes = figure.add_subplot()
    rows: list[PlateRow] = []
    for month, earlier in zip(shown, last_year):
        value = month.plate_g_per_diner_meal
        before = (earlier.plate_g_per_diner_meal if earlier is not None and month.comparable(earlier)
                  else None)
        yoy = None if value is None or before is None else round(value - before, 1)
        rows.append({"month": month_label(month.month), "g": value, "last_year_g": before, "yoy_g": yoy,
                     "yoy_pct": None if yoy is None or before is None else change_pct(yoy, before),
                     "complete": month.complete})
    numbers = {"unit": "g per diner-meal", "target_g": target_g, "baseline_g": baseline_g, "months": rows}
    if all(row["g"] is None for row in rows):
        _no_data(axes)
        axes.set_title(title, fontsize=11)
        return Chart("plate_per_diner", title, figure, numbers)
    xs = range(len(rows))
    # NaN breaks the line at a month without matched meals instead of drawing it down to 0.
    this = [row["g"] if row["g"] is not None else float("nan") for row in rows]
    axes.plot(xs, this, color="black", marker="o", linestyle="-", label=_("this period"))
    if any(row["last_year_g"] is not None for row in rows):
        earlier_g = [row["last_year_g"] if row["last_year_g"] is not None else float("nan") for row in rows]
        axes.plot(xs, earlier_g, color="0.45", marker="s", markerfacecolor="white", linestyle="--",
                  label=_("same month last year"))
    axes.axhline(target_g, color="black", linestyle=":", linewidth=1.2,
                 label=_("target %(g)s g", g=f"{target_g:g}"))
    if baseline_g is not None:
        axes.axhline(baseline_g, color="0.3", linestyle="-.", linewidth=1.2,
                     label=_("baseline %(g)s g", g=f"{baseline_g:g}"))
    for index, row in enumerate(rows):
        g = row["g"]
        if g is None:
            continue
        text = f"{g:.1f}"
        if row["yoy_pct"] is not None:
            text += "\n" + _("YoY %(pct)s", pct=pct_text(row["yoy_pct"]))
        axes.annotate(text, (index, g), textcoords="offset points", xytext=(0, 7), ha="center",
                      fontsize=7, linespacing=1.1)
    values = [v for row in rows for v in (row["g"], row["last_year_g"]) if v is not None]
    # The target and baseline lines stay in view even when every month is far from them.
    axes.set_ylim(0, max(values + [target_g, baseline_g or 0]) * 1.3)
    axes.set_ylabel(_("g per diner-meal"))
    _month_axis(axes, [month.month for month in shown])
    axes.legend(loc="lower left", fontsize=8, frameon=False, ncol=4)
    axes.set_title(title, fontsize=11)
    return Chart("plate_per_diner", title, figure, numbers)


def streams_chart(shown: list[MonthFigures], streams: list[tuple[str, str]], title: str) -> Chart:
    """Kg per stream and month, stacked (every configured stream, grease included, each hatched)."""
    figure = _figure()
    axes = figure.add_subplot()
    rows: list[dict[str, Any]] = [
        {"month": month_label(month.month),
         **{code: round(month.by_stream_g.get(code, 0) / 1000, 3) for code, _label in streams}}
        for month in shown]
    if not any(month.by_stream_g and any(month.by_stream_g.values()) for month in shown):
        _no_data(axes)
    else:
        bottoms = [0.0] * len(shown)
        for index, (code, label) in enumerate(streams):
            values = [row[code] for row in rows]
            axes.bar(range(len(rows)), values, bottom=bottoms, width=0.7, color=FILLS[index % len(FILLS)],
                     hatch=HATCHES[index % len(HATCHES)], edgecolor="black", linewidth=0.6, label=label)
            bottoms = [bottom + value for bottom, value in zip(bottoms, values)]
        axes.set_ylim(0, max(bottoms) * 1.25 or 1)
        axes.set_ylabel(_("kg"))
        _month_axis(axes, [month.month for month in shown])
        axes.legend(loc="upper left", fontsize=8, frameon=False, ncol=len(streams))
    axes.set_title(title, fontsize=11)
    return Chart("streams", title, figure, {"unit": "kg", "streams": [code for code, _l in streams],
                                            "months": rows})


def meals_chart(shown: list[MonthFigures], meals: list[tuple[str, str]], title: str) -> Chart:
    """Food-waste kg per meal and month, one line and marker per meal."""
    figure = _figure()
    axes = figure.add_subplot()
    # None, not 0, for a month without entries: the meal's line breaks there.
    rows: list[dict[str, Any]] = [
        {"month": month_label(month.month),
         **{code: round(month.by_meal_g.get(code, 0) / 1000, 3) if month.has_entries else None
            for code, _label in meals}} for month in shown]
    if not any(month.has_entries for month in shown):
        _no_data(axes)
    else:
        for index, (code, label) in enumerate(meals):
            values = [row[code] if row[code] is not None else float("nan") for row in rows]
            axes.plot(range(len(rows)), values, color=("black", "0.3", "0.5")[index % 3],
                      marker=MARKERS[index % len(MARKERS)], linestyle=LINESTYLES[index % len(LINESTYLES)],
                      markeredgecolor="black", label=label)
        axes.set_ylim(bottom=0)
        axes.set_ylabel(_("kg"))
        _month_axis(axes, [month.month for month in shown])
        axes.legend(loc="lower left", fontsize=8, frameon=False, ncol=len(meals))
    axes.set_title(title, fontsize=11)
    return Chart("meals", title, figure,
                 {"unit": "kg", "meals": [code for code, _l in meals], "months": rows})


def _dish_bars(axes: Axes, rows: list[tuple[str, int]], heading: str, hatch: str) -> None:
    axes.set_title(heading, fontsize=10)
    if not rows:
        _no_data(axes, _("No dish recorded"))
        return
    names = [name for name, _grams in rows][::-1]
    values = [grams / 1000 for _name, grams in rows][::-1]
    axes.barh(range(len(rows)), values, color="0.7", hatch=hatch, edgecolor="black", linewidth=0.6)
    axes.set_yticks(range(len(rows)), names, fontsize=8)
    for index, value in enumerate(values):
        axes.text(value, index, f" {value:.1f}", va="center", fontsize=7)
    axes.set_xlim(0, max(values) * 1.2)
    axes.set_xlabel(_("kg"))


def dishes_chart(month_rows: list[tuple[str, int]], season_rows: list[tuple[str, int]], month_heading: str,
                 season_heading: str, title: str) -> Chart:
    """The dishes with the most leftovers this month and this season, side by side."""
    figure = _figure((10.0, 4.8))
    left, right = figure.subplots(1, 2)
    _dish_bars(left, month_rows, month_heading, "")
    _dish_bars(right, season_rows, season_heading, "//")
    figure.suptitle(title, fontsize=11)
    kg = lambda rows: [{"dish": name, "kg": round(grams / 1000, 3)} for name, grams in rows]  # noqa: E731
    return Chart("dishes", title, figure, {"unit": "kg", "month": kg(month_rows), "season": kg(season_rows)})


def grade_label(key: str) -> str:
    """The grade's name in the current language."""
    return {"excellent": _("excellent (≥ 90)"), "good": _("good (80–89)"), "pass": _("pass (70–79)"),
            "fail": _("fail (< 70)")}[key]


def chart_label(name: str) -> str:
    """A short name of a report chart, for lists of files."""
    return {"monthly_totals": _("monthly totals"), "plate_per_diner": _("plate waste per diner-meal"),
            "streams": _("streams"), "meals": _("meals"), "dishes": _("dishes"),
            "caterer_score": _("caterer's score"), "dumps": _("confirmed dumps"),
            "disposals": _("ledger and disposals")}.get(name, name)


def default_bands() -> list[tuple[float, str]]:
    """The grade bands of domain.md (lower bound, name), highest first, for when none are configured."""
    return [(bound, grade_label(key)) for bound, key, _hatch in GRADE_BANDS]


def band_of(score: float, bands: list[tuple[float, str]]) -> str:
    """The name of the band a score falls in."""
    # Bands run highest first; a score under the lowest configured bound still gets the lowest band.
    return next((label for bound, label in bands if score >= bound), bands[-1][1])


def score_chart(months: list[date], scores: dict[date, float] | None, title: str,
                bands: list[tuple[float, str]] | None = None) -> Chart:
    """The caterer's monthly score on the grade bands; 'no data' when no assessment is recorded."""
    bands = bands or default_bands()
    figure = _figure()
    axes = figure.add_subplot()
    rows: list[ScoreRow] = [{"month": month_label(month),
                             "score": None if scores is None else scores.get(month), "grade": None}
                            for month in months]
    for row in rows:
        if row["score"] is not None:
            row["grade"] = band_of(row["score"], bands)
    if not any(row["score"] is not None for row in rows):
        _no_data(axes, _("No assessment data"))
    else:
        xs = [index for index, row in enumerate(rows) if row["score"] is not None]
        ys = [row["score"] for row in rows if row["score"] is not None]
        # Scores rarely fall far: show from a little below the lowest band bound or score, not from 0.
        bottom = max(0.0, min([min(ys) - 10] + [bound - 10 for bound, _label in bands if bound > 0]))
        upper = 100.0
        for index, (bound, label) in enumerate(bands):
            # Configured bands may outnumber the default hatches: they repeat.
            hatch = [band_hatch for _b, _k, band_hatch in GRADE_BANDS][index % len(GRADE_BANDS)]
            axes.axhspan(max(bound, bottom), upper, facecolor="white", edgecolor="0.8", hatch=hatch,
                         linewidth=0, zorder=0)
            axes.axhline(bound, color="0.5", linewidth=0.6, zorder=1)
            axes.text(len(months) - 0.45, (max(bound, bottom) + upper) / 2, label, ha="right", va="center",
                      fontsize=8, color="0.1", bbox={"facecolor": "white", "edgecolor": "none", "pad": 1})
            upper = bound
        axes.plot(xs, ys, color="black", marker="o", linestyle="-", zorder=3)
        for x, y in zip(xs, ys):
            axes.annotate(f"{y:g}", (x, y), textcoords="offset points", xytext=(0, 6), ha="center",
                          fontsize=8, bbox={"facecolor": "white", "edgecolor": "none", "pad": 0.5}, zorder=4)
        # A little above 100, so the label of a full score is not cut off.
        axes.set_ylim(bottom, 104)
        axes.set_ylabel(_("points (of 100)"))
        _month_axis(axes, months)
    axes.set_title(title, fontsize=11)
    return Chart("caterer_score", title, figure, {"unit": "points", "available": scores is not None,
                                                  "months": rows})


def dumps_chart(shown: list[MonthFigures], title: str) -> Chart:
    """Dumps confirmed by a reviewer per month (counts only, nobody named)."""
    figure = _figure()
    axes = figure.add_subplot()
    rows: list[DumpRow] = [{"month": month_label(month.month), "confirmed": month.confirmed_dumps}
                           for month in shown]
    if not any(row["confirmed"] for row in rows):
        _no_data(axes, _("No confirmed dumps"))
    else:
        counts = [row["confirmed"] for row in rows]
        axes.bar(range(len(rows)), counts, width=0.6, color="0.5", hatch="xx", edgecolor="black",
                 linewidth=0.6)
        for index, count in enumerate(counts):
            axes.text(index, count, str(count), ha="center", va="bottom", fontsize=8)
        # Counts: no half dumps on the axis.
        axes.yaxis.set_major_locator(MaxNLocator(integer=True))
        axes.set_ylim(0, max(counts) * 1.2 + 1)
        axes.set_ylabel(_("confirmed dumps"))
        _month_axis(axes, [month.month for month in shown])
    axes.set_title(title, fontsize=11)
    return Chart("dumps", title, figure, {"unit": "count", "months": rows})


def disposals_chart(shown: list[MonthFigures], title: str) -> Chart:
    """Ledger food waste beside what the hauler's manifests and the composter took, by month."""
    figure = _figure()
    axes = figure.add_subplot()
    rows: list[DisposalRow] = []
    for month in shown:
        hauled, composted = month.disposals_g.get("hauler", 0), month.disposals_g.get("composter", 0)
        disposed = hauled + composted
        rows.append({"month": month_label(month.month), "ledger_kg": round(month.total_g / 1000, 3),
                     "hauler_kg": round(hauled / 1000, 3), "composter_kg": round(composted / 1000, 3),
                     # No entries or no handover: nothing to compare, so no difference (not -100 %).
                     "difference_pct": change_pct(disposed - month.total_g, month.total_g)
                     if month.has_entries and disposed else None})
    if not any(row["ledger_kg"] or row["hauler_kg"] or row["composter_kg"] for row in rows):
        _no_data(axes)
    else:
        series: list[tuple[KgKey, str, str, str]] = [("ledger_kg", _("ledger (food waste)"), "0.35", ""),
                                                     ("hauler_kg", _("hauler manifests"), "0.75", "//"),
                                                     ("composter_kg", _("composter"), "1.0", "..")]
        width = 0.27
        for offset, (key, label, fill, hatch) in zip((-width, 0.0, width), series):
            axes.bar([index + offset for index in range(len(rows))], [row[key] for row in rows], width=width,
                     color=fill, hatch=hatch, edgecolor="black", linewidth=0.6, label=label)
        peak = max(max(row["ledger_kg"], row["hauler_kg"] + row["composter_kg"]) for row in rows)
        axes.set_ylim(0, peak * 1.25 or 1)
        axes.set_ylabel(_("kg"))
        _month_axis(axes, [month.month for month in shown])
        axes.legend(loc="upper left", fontsize=8, frameon=False, ncol=3)
    axes.set_title(title, fontsize=11)
    return Chart("disposals", title, figure, {"unit": "kg", "months": rows})
