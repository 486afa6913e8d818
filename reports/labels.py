"""Names and numbers as the reports print them, in the language of the current locale."""
from __future__ import annotations

from datetime import date
from typing import Any

from flask_babel import get_locale


def english() -> bool:
    """True when the current locale is English (Chinese otherwise, and outside any request)."""
    return str(get_locale() or "zh").startswith("en")


def local_name(item: Any) -> str:
    """An item's name in the current language (``name_zh``/``name_en``), else its code."""
    name = getattr(item, "name_en" if english() else "name_zh", "")
    return name or getattr(item, "code", "") or str(item)


def month_label(month: date) -> str:
    """``2021-08``: the same in both languages and sortable."""
    return month.strftime("%Y-%m")


def kg_text(grams: int | float) -> str:
    """Kilograms without a sign: whole kg from 100 kg up, one decimal below (as the ledger words it)."""
    # The sign is signed_kg's business; this is the magnitude.
    kg = abs(grams) / 1000
    return f"{kg:.0f}" if kg >= 100 else f"{kg:.1f}"


def signed_kg(grams: int | float) -> str:
    """Kilograms with a sign, e.g. ``-399`` or ``+12.5``."""
    sign = "-" if grams < 0 else "+" if grams > 0 else "±"
    return sign + kg_text(grams)


def pct_text(pct: float | None) -> str:
    """``-8.5%``; an en dash when there is no base to compare with."""
    return "–" if pct is None else f"{pct:+.1f}%"


def change_pct(change: float, base: float) -> float | None:
    """Change in percent of a positive base, one decimal."""
    # No percentage of nothing: a month without waste is no base.
    return None if base <= 0 else round(change * 100 / base, 1)
