"""The ``assessment:`` section of config.yaml: the monthly contractor sheet and the spot-check rules.

Flask-free (``canteen.config`` imports it). The default is the realistic sheet of docs/domain.md, so a
config file without an ``assessment:`` section still starts with a usable sheet.
"""
from __future__ import annotations

from decimal import Decimal
from typing import Literal, Sequence

from pydantic import Field, field_validator, model_validator

from canteen.settings.base import CODE_PATTERN, Strict

PER_KINDS = ("occurrence", "person", "step5pct")
SOURCES = ("ledger_missing", "reweigh", "plate_baseline")
# Plate waste over the baseline is deducted per whole 5 % step (real sheets: -2 per 5 % over, at most -8).
STEP_PCT = 5
# The source's sheet is 百分制10小项: ten items that add up to 100 points.
ITEM_COUNT = 10
FULL_MARKS = Decimal(100)


def _named(value: str) -> str:
    if not value.strip():
        raise ValueError("a name is required")
    return value.strip()


class Named(Strict):
    """Something with a code and a Chinese and an English name."""

    code: str = Field(pattern=CODE_PATTERN)
    name_zh: str
    name_en: str

    @field_validator("name_zh", "name_en")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        return _named(value)


class GroupSettings(Named):
    """A group of items (daily service, food production, kitchen-waste supervision)."""


class RuleSettings(Named):
    """A deduction rule: ``points`` per occurrence, per person or per 5 % step, at most ``cap`` a month."""

    points: float = Field(gt=0)
    per: Literal["occurrence", "person", "step5pct"] = "occurrence"
    cap: float | None = Field(default=None, gt=0)
    # On by default: every deduction on a real sheet cites evidence (a check record, photo, ledger entry).
    evidence_required: bool = True
    # Rules the service can propose from data: missing ledger meals, spot re-weighs, plate waste vs baseline.
    source: Literal["ledger_missing", "reweigh", "plate_baseline"] | None = None


class ItemSettings(Named):
    """One of the ten items of the sheet."""

    group: str
    max_points: float = Field(gt=0, le=100)
    rules: list[RuleSettings] = Field(min_length=1)


class VetoSettings(Named):
    """A veto (一票否决): when applied, the month scores 0."""

    evidence_required: bool = True


class BonusSettings(Named):
    """A bonus item: ``points`` per award, at most ``cap`` a month."""

    points: float = Field(gt=0)
    cap: float | None = Field(default=None, gt=0)
    evidence_required: bool = True


class BandSettings(Named):
    """A grade band from ``min_score``; the fee is paid in full, pro rata to the score, or by a factor."""

    min_score: float = Field(ge=0, le=100)
    fee: Literal["full", "proportional", "factor"] = "full"
    fee_factor: float = Field(default=1.0, ge=0, le=1)
    rectification_plan: bool = False


class WarningSettings(Strict):
    """The centre may terminate after ``consecutive_months`` months below ``below`` points."""

    below: float = Field(default=80, gt=0, le=100)
    # One bad month is not a run: the contract's right to terminate needs at least two in a row.
    consecutive_months: int = Field(default=2, ge=2, le=12)


class SpotCheckSettings(Strict):
    """How many checks to draw a month, the re-weigh tolerance and the default rectification time."""

    # The draw picks distinct serving days, so a month cannot hold more than 31 checks.
    checks_per_month: int = Field(default=4, ge=1, le=31)
    reweigh_tolerance_pct: float = Field(default=10, gt=0, le=100)
    rectification_days: int = Field(default=7, ge=1, le=90)


def _rule(code: str, zh: str, en: str, points: float, cap: float | None = None,
          **extra: object) -> RuleSettings:
    return RuleSettings(code=code, name_zh=zh, name_en=en, points=points, cap=cap, **extra)


def _item(code: str, zh: str, en: str, group: str, max_points: float,
          rules: list[RuleSettings]) -> ItemSettings:
    return ItemSettings(code=code, name_zh=zh, name_en=en, group=group, max_points=max_points, rules=rules)


# The realistic sheet of docs/domain.md: the groups of the source's item (9).4, rules as on real sheets.
DEFAULT_GROUPS = [
    GroupSettings(code="service", name_zh="日常服务", name_en="Daily service"),
    GroupSettings(code="production", name_zh="食品制作", name_en="Food production"),
    GroupSettings(code="waste", name_zh="餐厨垃圾监管", name_en="Kitchen-waste supervision"),
]

DEFAULT_ITEMS = [
    _item("punctuality", "供餐保障与准时开餐", "Meal provision and punctuality", "service", 10, [
        _rule("late_opening", "开餐延误", "Late opening", 2, 10),
        _rule("dish_sold_out", "菜品未到结束时间即售罄", "Dishes sold out before the meal ends", 1, 6)]),
    _item("conduct", "服务规范与人员管理", "Service conduct and staffing", "service", 8, [
        _rule("staff_conduct", "服务人员着装或态度不规范", "Staff dress or manner not to standard", 1, 6,
              per="person"),
        _rule("no_health_certificate", "从业人员无有效健康证", "Staff without a valid health certificate", 2, 8,
              per="person")]),
    _item("dining_area", "就餐区环境卫生", "Dining-area cleanliness", "service", 8, [
        _rule("dirty_dining_area", "餐桌、地面不洁", "Tables or floor not clean", 1, 6),
        _rule("tableware_not_disinfected", "餐具消毒不合格", "Tableware not properly disinfected", 2, 8)]),
    _item("satisfaction", "就餐满意度", "Diner satisfaction", "service", 10, [
        _rule("verified_complaint", "经核实的有效投诉", "Verified complaint", 1, 6),
        _rule("survey_below_80", "满意度测评低于80%", "Satisfaction survey below 80 %", 4, 4)]),
    _item("food_safety", "食品安全与留样", "Food safety and sample retention", "production", 12, [
        _rule("missing_sample", "未按规定留样", "Food sample (留样) missing", 3, 12),
        _rule("raw_cooked_mixed", "生熟混放", "Raw and cooked food stored together", 2, 8)]),
    _item("sourcing", "原料采购与验收", "Ingredient sourcing and receiving", "production", 8, [
        _rule("no_receiving_record", "进货查验记录缺失", "Receiving inspection record missing", 1, 6),
        _rule("unapproved_supplier", "从非定点供应商采购", "Bought from an unapproved supplier", 2, 8)]),
    _item("dish_quality", "菜品质量与菜谱管理", "Dish quality and menu management", "production", 10, [
        _rule("menu_not_published", "未按时公布周菜谱", "Weekly menu not published on time", 1, 4),
        _rule("foreign_matter", "菜品中有异物", "Foreign matter in a dish", 3, 9),
        _rule("portion_mismatch", "分量与菜谱不符", "Portion not as on the menu", 1, 5)]),
    _item("kitchen_hygiene", "后厨卫生与操作规范", "Kitchen hygiene and process", "production", 8, [
        _rule("kitchen_not_clean", "后厨卫生不达标", "Kitchen not clean", 1, 6),
        _rule("process_violation", "违反操作规程", "Process violation", 2, 8)]),
    _item("waste_ledger", "餐厨垃圾台账与收运处置", "Kitchen-waste ledger and disposal", "waste", 12, [
        _rule("ledger_entry_missing", "当日未登记台账（每餐）", "A meal's ledger entry missing by the end of its day",
              1, 6, source="ledger_missing"),
        _rule("reweigh_off_ledger", "抽查复称与台账偏差超限", "Spot re-weigh off the ledger beyond tolerance", 2, 6,
              source="reweigh"),
        # Worth the whole item: falsified data leaves item 9 at 0.
        _rule("ledger_falsified", "台账数据弄虚作假（本项0分）", "Falsified ledger data (the item scores 0)", 12, 12),
        _rule("disposal_irregular", "收运联单缺失或交非持证单位", "Manifest missing or unlicensed hauler", 2, 6)]),
    _item("anti_waste", "反浪费措施与减量成效", "Anti-waste measures and reduction results", "waste", 14, [
        _rule("plate_over_baseline", "人均每餐剩餐量超基准（每超5%）",
              "Plate waste per diner-meal over the baseline (per 5 % step)", 2, 8, per="step5pct",
              source="plate_baseline"),
        _rule("no_clean_plate_reminder", "未开展光盘提醒或劝导", "No clean-plate reminders or interventions", 2, 4),
        _rule("no_small_portions", "未提供小份菜、半份菜", "No small or half portions offered", 1, 3),
        _rule("trimmings_not_reused", "边角料未综合利用", "Trimmings not reused", 1, 3)]),
]

DEFAULT_VETOES = [
    VetoSettings(code="food_poisoning", name_zh="发生食物中毒事故", name_en="Food poisoning incident"),
    VetoSettings(code="expired_ingredients", name_zh="使用过期变质原料",
                 name_en="Expired or spoiled ingredients used"),
]

DEFAULT_BONUSES = [
    BonusSettings(code="commendation", name_zh="受到上级部门通报表扬", name_en="Commended by a higher authority",
                  points=2, cap=4),
    BonusSettings(code="anti_waste_innovation", name_zh="反浪费创新做法被推广",
                  name_en="Anti-waste practice adopted elsewhere", points=1, cap=3),
]

# Below 80 the fee is pro rata and a plan is due; the right to terminate is ``warning``, not a band.
DEFAULT_BANDS = [
    BandSettings(code="excellent", name_zh="优秀", name_en="Excellent", min_score=90, fee="full"),
    BandSettings(code="good", name_zh="良好", name_en="Good", min_score=80, fee="full"),
    BandSettings(code="pass", name_zh="合格", name_en="Pass", min_score=70, fee="proportional",
                 rectification_plan=True),
    BandSettings(code="fail", name_zh="不合格", name_en="Fail", min_score=0, fee="proportional",
                 rectification_plan=True),
]


class SheetSettings(Strict):
    """The scoring sheet: what a stored sheet version holds and what a past score is computed from."""

    groups: list[GroupSettings] = Field(default_factory=lambda: list(DEFAULT_GROUPS), min_length=1)
    items: list[ItemSettings] = Field(default_factory=lambda: list(DEFAULT_ITEMS))
    vetoes: list[VetoSettings] = Field(default_factory=lambda: list(DEFAULT_VETOES))
    bonuses: list[BonusSettings] = Field(default_factory=lambda: list(DEFAULT_BONUSES))
    bonus_cap: float = Field(default=5, ge=0, le=100)
    bands: list[BandSettings] = Field(default_factory=lambda: list(DEFAULT_BANDS), min_length=1)
    warning: WarningSettings = WarningSettings()

    @field_validator("items")
    @classmethod
    def _ten_items_of_100_points(cls, items: list[ItemSettings]) -> list[ItemSettings]:
        if len(items) != ITEM_COUNT:
            raise ValueError(f"items: the sheet needs exactly {ITEM_COUNT} items, not {len(items)}")
        # Decimal, not float: fractional maxima must add up to exactly 100.
        total = sum((Decimal(str(item.max_points)) for item in items), Decimal(0))
        if total != FULL_MARKS:
            raise ValueError(f"items: the max_points add up to {total.normalize():f}, not 100")
        for index, item in enumerate(items):
            maximum = Decimal(str(item.max_points))
            for number, rule in enumerate(item.rules):
                path = f"items.{index}.rules.{number}"
                # An item never goes below 0, so a rule worth more than its item is a typo in the config.
                if Decimal(str(rule.points)) > maximum:
                    raise ValueError(f"{path}.points: {rule.points:g} is more than the item's "
                                     f"{item.max_points:g} points")
                if rule.cap is not None and Decimal(str(rule.cap)) > maximum:
                    raise ValueError(f"{path}.cap: {rule.cap:g} is more than the item's "
                                     f"{item.max_points:g} points")
                if rule.cap is not None and rule.cap < rule.points:
                    raise ValueError(f"{path}.cap: {rule.cap:g} is less than one deduction of "
                                     f"{rule.points:g}")
        return items

    @model_validator(mode="after")
    def _references_resolve(self) -> "SheetSettings":
        group_codes = [group.code for group in self.groups]
        _unique("groups", group_codes)
        for index, item in enumerate(self.items):
            if item.group not in group_codes:
                raise ValueError(f"items.{index}.group: unknown group {item.group!r}")
        empty = [code for code in group_codes if all(item.group != code for item in self.items)]
        if empty:
            raise ValueError(f"groups: no item belongs to {', '.join(empty)}")
        # Deductions name a rule, veto or bonus by code alone, so the codes share one namespace.
        codes = [item.code for item in self.items] + [rule.code for item in self.items for rule in item.rules]
        codes += [veto.code for veto in self.vetoes] + [bonus.code for bonus in self.bonuses]
        _unique("items, rules, vetoes and bonuses", codes)
        # rule_for_source takes the first rule of a source: a second one would silently never be proposed.
        sources = [rule.source for item in self.items for rule in item.rules if rule.source]
        _unique("rules' source", sources)
        for index, item in enumerate(self.items):
            for number, rule in enumerate(item.rules):
                # Proposals count 5 % steps for the plate baseline and occurrences for the rest; a rule
                # counted per person would misread the proposed count.
                wanted = "step5pct" if rule.source == "plate_baseline" else "occurrence"
                if rule.source and rule.per != wanted:
                    raise ValueError(f"items.{index}.rules.{number}.per: a {rule.source} rule counts "
                                     f"per {wanted}")
        for index, bonus in enumerate(self.bonuses):
            # One award above the monthly bonus cap could never be granted in full.
            if bonus.points > self.bonus_cap:
                raise ValueError(f"bonuses.{index}.points: more than bonus_cap {self.bonus_cap:g}")
        _unique("bands", [band.code for band in self.bands])
        # Two bands with the same threshold: band_for would always pick the same one, the other never.
        _unique("bands' min_score", [f"{band.min_score:g}" for band in self.bands])
        if all(band.min_score != 0 for band in self.bands):
            raise ValueError("bands: one band must start at min_score 0, so that every score has a grade")
        return self

    def item(self, code: str) -> ItemSettings | None:
        """The item with this code."""
        return next((item for item in self.items if item.code == code), None)

    def rule(self, code: str) -> tuple[ItemSettings, RuleSettings] | None:
        """The rule with this code and the item it belongs to."""
        for item in self.items:
            for rule in item.rules:
                if rule.code == code:
                    return item, rule
        return None

    def rule_for_source(self, source: str) -> tuple[ItemSettings, RuleSettings] | None:
        """The rule the service proposes from ``source`` data, if the sheet has one."""
        for item in self.items:
            for rule in item.rules:
                if rule.source == source:
                    return item, rule
        return None

    def veto(self, code: str) -> VetoSettings | None:
        """The veto with this code."""
        return next((veto for veto in self.vetoes if veto.code == code), None)

    def bonus(self, code: str) -> BonusSettings | None:
        """The bonus item with this code."""
        return next((bonus for bonus in self.bonuses if bonus.code == code), None)

    def group(self, code: str) -> GroupSettings | None:
        """The group with this code."""
        return next((group for group in self.groups if group.code == code), None)

    def band_for(self, total: float | Decimal) -> BandSettings:
        """The band a total falls in: the one with the highest ``min_score`` not above it."""
        ordered = sorted(self.bands, key=lambda band: band.min_score, reverse=True)
        return next(band for band in ordered if Decimal(str(band.min_score)) <= Decimal(str(total)))


def _unique(name: str, codes: Sequence[str]) -> None:
    duplicates = sorted({code for code in codes if codes.count(code) > 1})
    if duplicates:
        raise ValueError(f"{name}: duplicate code {', '.join(duplicates)}")


class AssessmentSettings(SheetSettings):
    """The whole ``assessment:`` section: the sheet, the response window and the spot-check rules."""

    dispute_days: int = Field(default=5, ge=1, le=60)
    spot_checks: SpotCheckSettings = SpotCheckSettings()

    def sheet(self) -> SheetSettings:
        """The scoring sheet alone (what sheet versions store)."""
        # The response window and spot-check rules are workflow, not scoring: changing them must not
        # create a new sheet version (versions are keyed by the content hash).
        return SheetSettings.model_validate(self.model_dump(exclude={"dispute_days", "spot_checks"}))
