"""Month-over-month (环比) and year-over-year (同比) sentences, worded correctly in each language."""
from __future__ import annotations

from flask_babel import gettext as _


def _kg(grams: int) -> str:
    # The sign is in the words (up / down); one decimal only where it is not lost in the size.
    kg = abs(grams) / 1000
    return f"{kg:,.0f}" if kg >= 100 else f"{kg:,.1f}"


def change_sentence(kind: str, change_g: int | None, pct: float | None, incomplete: bool = False) -> str:
    """E.g. '环比下降399kg（-8.5%）' or 'down 399 kg (-8.5 %) month over month'; ``kind`` is mom or yoy."""
    if change_g is None:
        return (_("no data for the same month last year") if kind == "yoy"
                else _("no data for the previous month"))
    pct_text = "" if pct is None else f"{pct:+.1f}%"
    # Separate messages per kind rather than one with a placeholder: Chinese must say 环比 for a
    # month-over-month change and never call it 同比.
    if kind == "mom":
        if change_g < 0:
            text = _("month over month: down %(kg)s kg (%(pct)s)", kg=_kg(change_g), pct=pct_text)
        elif change_g > 0:
            text = _("month over month: up %(kg)s kg (%(pct)s)", kg=_kg(change_g), pct=pct_text)
        else:
            text = _("month over month: unchanged")
    else:
        if change_g < 0:
            text = _("year over year: down %(kg)s kg (%(pct)s)", kg=_kg(change_g), pct=pct_text)
        elif change_g > 0:
            text = _("year over year: up %(kg)s kg (%(pct)s)", kg=_kg(change_g), pct=pct_text)
        else:
            text = _("year over year: unchanged")
    # A month with gaps would show a misleading drop; say so rather than let the figure stand alone.
    if incomplete:
        text += " " + _("(a month compared has missing entries)")
    return text
