"""The sheet in config.yaml is validated at start-up; each error names the key path."""
from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

from canteen.config import ConfigError, load_config, parse_config
from canteen.settings.assessment import AssessmentSettings

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def raw() -> dict:
    """config.yaml as plain data."""
    return yaml.safe_load((ROOT / "config.yaml").read_text(encoding="utf-8"))


def test_the_project_sheet_is_the_realistic_default():
    settings = load_config(ROOT / "config.yaml")
    sheet = settings.assessment
    assert len(sheet.items) == 10 and sum(item.max_points for item in sheet.items) == 100
    assert [item.max_points for item in sheet.items] == [10, 8, 8, 10, 12, 8, 10, 8, 12, 14]
    assert [group.code for group in sheet.groups] == ["service", "production", "waste"]
    assert sheet.item("waste_ledger").name_zh == "餐厨垃圾台账与收运处置"
    assert sheet.rule("ledger_entry_missing")[1].cap == 6
    assert sheet.rule_for_source("plate_baseline")[1].per == "step5pct"
    assert sheet.dispute_days == 5 and sheet.spot_checks.reweigh_tolerance_pct == 10
    # The file spells out exactly the built-in default, so a config without the section scores the same.
    assert sheet == AssessmentSettings()


def test_a_config_without_the_section_gets_the_default(raw):
    del raw["assessment"]
    assert parse_config(raw).assessment == AssessmentSettings()


def _items(raw: dict) -> list[dict]:
    return raw["assessment"]["items"]


@pytest.mark.parametrize("mutate, message", [
    (lambda c: _items(c)[0].update(max_points=12),
     "assessment.items: Value error, items: the max_points add up to 102"),
    (lambda c: _items(c).pop(), "exactly 10 items, not 9"),
    (lambda c: _items(c).append(copy.deepcopy(_items(c)[0])), "exactly 10 items, not 11"),
    (lambda c: _items(c)[2].update(name_zh="  "), "assessment.items.2.name_zh"),
    (lambda c: _items(c)[2].pop("name_en"), "assessment.items.2.name_en: Field required"),
    (lambda c: _items(c)[1]["rules"][0].update(points=9),
     "items.1.rules.0.points: 9 is more than the item's 8 points"),
    (lambda c: _items(c)[1]["rules"][0].update(cap=10),
     "items.1.rules.0.cap: 10 is more than the item's 8 points"),
    (lambda c: _items(c)[1]["rules"][0].update(per="week"), "assessment.items.1.rules.0.per"),
    (lambda c: _items(c)[1]["rules"][0].update(code="late_opening"), "duplicate code late_opening"),
    (lambda c: _items(c)[1].update(group="nowhere"), "items.1.group: unknown group 'nowhere'"),
    (lambda c: _items(c)[1]["rules"].clear(), "assessment.items.1.rules"),
    (lambda c: c["assessment"]["bands"].pop(), "bands: one band must start at min_score 0"),
    (lambda c: c["assessment"].update(colour="red"), "assessment.colour: unknown key"),
    (lambda c: c["assessment"]["spot_checks"].update(checks_per_month=0),
     "assessment.spot_checks.checks_per_month"),
    (lambda c: c["assessment"]["bonuses"][0].update(points=6), "bonuses.0.points: more than bonus_cap 5"),
])
def test_bad_sheets_are_refused_naming_the_key(raw, mutate, message):
    mutate(raw)
    with pytest.raises(ConfigError) as error:
        parse_config(raw, "config.yaml")
    assert message in str(error.value)


def test_items_may_be_rebalanced_as_long_as_they_add_up(raw):
    _items(raw)[0]["max_points"] = 12
    _items(raw)[9]["max_points"] = 12
    settings = parse_config(raw)
    assert settings.assessment.item("punctuality").max_points == 12
