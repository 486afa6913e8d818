"""Scoring without a database: rule caps, items never below 0, vetoes, bonus, grade bands and the fee."""
from __future__ import annotations

from decimal import Decimal

import pytest

from canteen.assessment.scoring import LineValue, fee_for, points_text, score_month, steps_for
from canteen.settings.assessment import AssessmentSettings, BandSettings, SheetSettings

SHEET = AssessmentSettings().sheet()
FEE = 20_000_000  # 200 000.00 yuan in fen


def deduction(code: str, count: int = 1, points: str | None = None) -> LineValue:
    """A deduction line."""
    return LineValue("deduction", code, count, Decimal(points) if points else None)


def item_score(card, code: str) -> Decimal:
    """The score of one item."""
    return next(item.score for item in card.items if item.item.code == code)


def test_a_clean_month_scores_100_excellent_with_the_full_fee():
    card = score_month(SHEET, [], FEE)
    assert card.total == 100 and card.items_total == 100
    assert [float(item.score) for item in card.items] == [10, 8, 8, 10, 12, 8, 10, 8, 12, 14]
    assert card.band.code == "excellent" and card.fee_fen == FEE
    assert not card.vetoed and card.bonus == 0


def test_deductions_are_points_times_count():
    card = score_month(SHEET, [deduction("late_opening", 2), deduction("missing_sample")], FEE)
    assert item_score(card, "punctuality") == 6  # 10 - 2 x 2
    assert item_score(card, "food_safety") == 9  # 12 - 3
    assert card.total == 93


def test_a_rule_never_takes_more_than_its_cap():
    # A meal's ledger entry missing: -1 each, at most -6, however many meals are missing.
    card = score_month(SHEET, [deduction("ledger_entry_missing", 9)], FEE)
    rule = next(rule for item in card.items for rule in item.rules
                if rule.rule.code == "ledger_entry_missing")
    assert (rule.raw, rule.points, rule.capped) == (9, 6, True)
    assert item_score(card, "waste_ledger") == 6


def test_the_cap_applies_to_the_rules_lines_together():
    card = score_month(SHEET, [deduction("ledger_entry_missing", 4), deduction("ledger_entry_missing", 4)],
                       FEE)
    assert item_score(card, "waste_ledger") == 6


def test_an_item_never_goes_below_zero():
    lines = [deduction("ledger_falsified"), deduction("ledger_entry_missing", 6),
             deduction("disposal_irregular", 3)]
    card = score_month(SHEET, lines, FEE)
    waste = next(item for item in card.items if item.item.code == "waste_ledger")
    assert waste.deducted == 24 and waste.score == 0
    # The other items are untouched: the floor does not spill over.
    assert card.total == 88


def test_falsified_ledger_data_leaves_item_9_at_zero():
    card = score_month(SHEET, [deduction("ledger_falsified")], FEE)
    assert item_score(card, "waste_ledger") == 0 and card.total == 88


def test_per_5_percent_steps():
    assert [steps_for(value) for value in (-3, 0, 4.9, 5, 9.99, 10, 12.4, 41)] == [0, 0, 0, 1, 1, 2, 2, 8]
    card = score_month(SHEET, [deduction("plate_over_baseline", steps_for(12.4))], FEE)
    assert item_score(card, "anti_waste") == 10  # 2 steps x 2 points
    card = score_month(SHEET, [deduction("plate_over_baseline", steps_for(41))], FEE)
    assert item_score(card, "anti_waste") == 6  # 8 steps would be 16, the cap is 8


def test_per_person_rules_multiply_by_persons():
    card = score_month(SHEET, [deduction("no_health_certificate", 3)], FEE)
    assert item_score(card, "conduct") == 2  # 8 - 3 persons x 2


def test_a_partial_deduction_uses_the_chosen_points():
    card = score_month(SHEET, [deduction("late_opening", 1, points="0.5")], FEE)
    assert item_score(card, "punctuality") == Decimal("9.5")
    assert card.total == Decimal("99.5") and points_text(card.total) == "99.5"


def test_a_veto_makes_the_month_zero_whatever_else():
    lines = [LineValue("veto", "food_poisoning"), LineValue("bonus", "commendation")]
    card = score_month(SHEET, lines, FEE)
    assert card.vetoed and card.vetoes == ["food_poisoning"]
    assert card.items_total == 100 and card.total == 0
    assert card.band.code == "fail" and card.fee_fen == 0


def test_a_bonus_offsets_deductions_but_never_lifts_above_100():
    card = score_month(SHEET, [deduction("late_opening", 2), LineValue("bonus", "commendation")], FEE)
    assert (card.items_total, card.bonus, card.total) == (96, 2, 98)
    card = score_month(SHEET, [LineValue("bonus", "commendation")], FEE)
    assert card.total == 100


def test_bonus_caps_per_item_and_overall():
    lines = [LineValue("bonus", "commendation", 5), LineValue("bonus", "anti_waste_innovation", 5),
             deduction("ledger_falsified")]
    card = score_month(SHEET, lines, FEE)
    # commendation 2 x 5 = 10, capped at 4; innovation 1 x 5 capped at 3; together 7, capped at 5.
    assert card.bonus == 5 and card.total == 93


@pytest.mark.parametrize("lines, total, band", [
    ([], 100, "excellent"),
    ([deduction("ledger_falsified"), deduction("menu_not_published", 1)], 87, "good"),
    ([deduction("ledger_falsified"), deduction("survey_below_80")], 84, "good"),
    ([deduction("ledger_falsified"), deduction("plate_over_baseline", 4), deduction("survey_below_80")],
     76, "pass"),
    ([deduction("ledger_falsified"), deduction("plate_over_baseline", 4), deduction("survey_below_80"),
      deduction("missing_sample", 4)], 64, "fail"),
])
def test_grade_bands(lines, total, band):
    card = score_month(SHEET, lines, FEE)
    assert card.total == total and card.band.code == band


def test_band_edges_belong_to_the_upper_band():
    assert SHEET.band_for(90).code == "excellent"
    assert SHEET.band_for(Decimal("89.99")).code == "good"
    assert SHEET.band_for(80).code == "good"
    assert SHEET.band_for(70).code == "pass"
    assert SHEET.band_for(Decimal("69.5")).code == "fail"
    assert SHEET.band_for(0).code == "fail"


def test_fee_rules():
    full = BandSettings(code="a", name_zh="甲", name_en="A", min_score=90, fee="full")
    proportional = BandSettings(code="b", name_zh="乙", name_en="B", min_score=0, fee="proportional")
    factor = BandSettings(code="c", name_zh="丙", name_en="C", min_score=50, fee="factor", fee_factor=0.8)
    assert fee_for(full, Decimal(92), FEE) == FEE
    assert fee_for(proportional, Decimal(76), FEE) == 15_200_000
    assert fee_for(proportional, Decimal("75.5"), 10_001) == 7551  # 7550.755 fen, rounded half up
    assert fee_for(factor, Decimal(60), FEE) == 16_000_000


def test_the_month_fee_follows_the_band():
    lines = [deduction("ledger_falsified"), deduction("plate_over_baseline", 4), deduction("survey_below_80")]
    card = score_month(SHEET, lines, FEE)
    assert card.total == 76 and card.band.fee == "proportional" and card.fee_fen == 15_200_000
    assert score_month(SHEET, [deduction("ledger_falsified")], FEE).fee_fen == FEE  # 88, good: full fee


def test_scores_use_the_sheet_they_are_given():
    data = SHEET.model_dump()
    data["items"][0]["rules"][0]["points"] = 5
    stricter = SheetSettings.model_validate(data)
    assert score_month(stricter, [deduction("late_opening")], FEE).total == 95
    assert score_month(SHEET, [deduction("late_opening")], FEE).total == 98
