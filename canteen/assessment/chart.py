"""The year summary's chart: monthly totals and plate waste per diner-meal (matplotlib's Figure API)."""
from __future__ import annotations

from io import BytesIO

from canteen.assessment.summary import YearSummary
from canteen.core.plotting import new_figure


def trend_png(summary: YearSummary, labels: dict[str, str], names: dict[int, str]) -> bytes:
    """A PNG with two panels: each canteen's monthly score, and its plate waste per diner-meal."""
    # The one figure factory registers the CJK font file, whatever matplotlib's cache says.
    figure = new_figure((8, 4.4), dpi=110)
    score_axes, waste_axes = figure.subplots(1, 2)
    months = list(range(1, 13))
    for canteen in summary.canteens:
        rows = summary.rows_of(canteen)
        # None leaves a gap for a month without a result instead of drawing it at 0.
        score_axes.plot(months, [float(row.total) if row.total is not None else None for row in rows],
                        marker="o", label=names[canteen.id])
        waste_axes.plot(months, [row.plate_g for row in rows], marker="s", label=names[canteen.id])
    score_axes.set_title(labels["score"])
    # A fixed 0-100 scale (with room for the markers) so that years and canteens compare at a glance.
    score_axes.set_ylim(0, 105)
    waste_axes.set_title(labels["plate"])
    for axes in (score_axes, waste_axes):
        axes.set_xticks(months)
        axes.set_xlabel(labels["month"])
        axes.grid(alpha=0.3)
        axes.legend(fontsize=8)
    buffer = BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()
