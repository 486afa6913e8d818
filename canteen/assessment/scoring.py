"""Scoring a month from its lines: rule caps, items never below 0, vetoes, bonus, grade band and fee.

Pure functions of a sheet and plain line values, so a past score can always be recomputed exactly.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Iterable

from canteen.settings.assessment import (FULL_MARKS, STEP_PCT, BandSettings, ItemSettings, RuleSettings,
                                         SheetSettings)

ZERO = Decimal(0)


def dec(value: float | int | Decimal) -> Decimal:
    """A config number as an exact decimal (2 stays 2, 0.5 stays 0.5)."""
    return value if isinstance(value, Decimal) else Decimal(str(value))


def points_text(value: Decimal | float | int) -> str:
    """Points without trailing zeros: 87.5, 90, 0.25."""
    text = f"{dec(value).quantize(Decimal('0.01'), rounding=ROUND_HALF_UP):f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def steps_for(excess_pct: float) -> int:
    """Whole 5 % steps in an excess over the baseline (12.4 % is 2 steps; below 5 % is none)."""
    if excess_pct <= 0:
        return 0
    return int(dec(excess_pct) // STEP_PCT)


@dataclass(frozen=True)
class LineValue:
    """What scoring needs of a line: its kind, code, count and an optional chosen number of points."""

    kind: str
    code: str
    count: int = 1
    points: Decimal | None = None
    line_id: int | None = None


@dataclass
class RuleScore:
    """Points a rule takes this month: the sum of its lines, at most the rule's cap."""

    rule: RuleSettings
    lines: list[LineValue] = field(default_factory=list)
    raw: Decimal = ZERO
    points: Decimal = ZERO

    @property
    def capped(self) -> bool:
        """True when the cap cut the rule's points."""
        return self.points < self.raw


@dataclass
class ItemScore:
    """An item: max points minus its rules' deductions, never below 0."""

    item: ItemSettings
    rules: list[RuleScore]
    deducted: Decimal
    score: Decimal

    @property
    def max_points(self) -> Decimal:
        """The item's max points."""
        return dec(self.item.max_points)


@dataclass
class ScoreCard:
    """The month's result."""

    items: list[ItemScore]
    items_total: Decimal
    bonus: Decimal
    bonus_lines: list[LineValue]
    vetoes: list[str]
    total: Decimal
    band: BandSettings
    base_fee_fen: int
    fee_fen: int

    @property
    def vetoed(self) -> bool:
        """True when a veto set the month to 0."""
        return bool(self.vetoes)

    @property
    def deducted(self) -> Decimal:
        """All points the items lost."""
        return sum((item.deducted for item in self.items), ZERO)


def line_points(rule: RuleSettings, line: LineValue) -> Decimal:
    """The points one deduction line is worth before caps."""
    if line.points is not None:
        return line.points
    return dec(rule.points) * line.count


def fee_for(band: BandSettings, total: Decimal, base_fee_fen: int) -> int:
    """The month's fee in fen under the band's fee rule."""
    if band.fee == "full":
        amount = Decimal(base_fee_fen)
    elif band.fee == "proportional":
        amount = Decimal(base_fee_fen) * total / FULL_MARKS
    else:
        amount = Decimal(base_fee_fen) * dec(band.fee_factor)
    # Half up to a whole fen, not Decimal's default half-even, so half a fen always rounds the same way.
    return int(amount.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def score_month(sheet: SheetSettings, lines: Iterable[LineValue], base_fee_fen: int = 0) -> ScoreCard:
    """Score active lines against a sheet; unknown codes are ignored (they cannot be stored)."""
    by_rule: dict[str, list[LineValue]] = {}
    bonus_by_code: dict[str, list[LineValue]] = {}
    vetoes: list[str] = []
    bonus_lines: list[LineValue] = []
    for line in lines:
        if line.kind == "deduction":
            by_rule.setdefault(line.code, []).append(line)
        elif line.kind == "veto" and sheet.veto(line.code) is not None:
            # Two lines for the same veto are still one veto.
            if line.code not in vetoes:
                vetoes.append(line.code)
        elif line.kind == "bonus" and sheet.bonus(line.code) is not None:
            bonus_by_code.setdefault(line.code, []).append(line)
            bonus_lines.append(line)

    items = []
    for item in sheet.items:
        rules = []
        for rule in item.rules:
            chosen = by_rule.get(rule.code, [])
            raw = sum((line_points(rule, line) for line in chosen), ZERO)
            # Without a cap of its own a rule is bounded by its item anyway.
            cap = dec(rule.cap) if rule.cap is not None else dec(item.max_points)
            rules.append(RuleScore(rule, chosen, raw, min(raw, cap)))
        deducted = sum((rule.points for rule in rules), ZERO)
        # An item never goes below 0: one bad item cannot eat into the points of the others.
        items.append(ItemScore(item, rules, deducted, max(ZERO, dec(item.max_points) - deducted)))
    items_total = sum((item.score for item in items), ZERO)

    # Each bonus item is capped on its own first, then the month's bonus as a whole.
    bonus = ZERO
    for code, chosen in bonus_by_code.items():
        settings = sheet.bonus(code)
        assert settings is not None
        raw = sum((line.points if line.points is not None else dec(settings.points) * line.count
                   for line in chosen), ZERO)
        bonus += min(raw, dec(settings.cap)) if settings.cap is not None else raw
    bonus = min(bonus, dec(sheet.bonus_cap))

    # A veto makes the month 0 whatever else happened; the bonus never lifts a month above full marks.
    total = ZERO if vetoes else min(FULL_MARKS, items_total + bonus)
    band = sheet.band_for(total)
    return ScoreCard(items=items, items_total=items_total, bonus=bonus, bonus_lines=bonus_lines,
                     vetoes=vetoes, total=total, band=band, base_fee_fen=base_fee_fen,
                     fee_fen=fee_for(band, total, base_fee_fen))
