"""config.yaml is validated at start-up; errors name the key's path."""
from __future__ import annotations

import copy
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from canteen.config import ConfigError, load_config, parse_config

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def raw() -> dict:
    """The project's config.yaml as plain data, to break in each test."""
    return yaml.safe_load((ROOT / "config.yaml").read_text(encoding="utf-8"))


def test_project_config_is_valid():
    settings = load_config(ROOT / "config.yaml")
    assert [canteen.code for canteen in settings.canteens] == ["zonghe", "badajie"]
    assert settings.unit("jin").grams == 500
    assert settings.ledger.max_entry_kg == 500
    assert not next(stream for stream in settings.streams if stream.code == "grease").food_waste
    assert settings.season_of(8).code == "summer"


@pytest.mark.parametrize("mutate, path", [
    (lambda c: c.update(colour="blue"), "colour: unknown key"),
    (lambda c: c["canteens"][1].update(opened_on="someday"), "canteens.1.opened_on"),
    (lambda c: c["meals"][0].update(end="06:00"), "meals.0"),
    (lambda c: c["units"][0].update(grams=-1), "units.0.grams"),
    (lambda c: c["ledger"].update(max_entry_kg=0), "ledger.max_entry_kg"),
    (lambda c: c["ledger"].update(max_entry_kgs=10), "ledger.max_entry_kgs: unknown key"),
    (lambda c: c.update(timezone="Mars/Olympus"), "timezone"),
    (lambda c: c["canteens"].append(copy.deepcopy(c["canteens"][0])), "duplicate code zonghe"),
    (lambda c: c["seasons"][0].update(months=[3, 4]), "seasons"),
    (lambda c: c["canteens"][0].update(meals=["brunch"]), "canteens.0.meals: unknown meal brunch"),
    (lambda c: c["security"].update(secure_cookie="auto"), "security.secure_cookie: unknown key"),
    (lambda c: c["security"].update(secure_cookies="sometimes"),
     "security.secure_cookies: Input should be 'auto', 'always' or 'never'"),
    (lambda c: c["security"].update(trusted_proxies=-1),
     "security.trusted_proxies: Input should be greater than or equal to 0"),
])
def test_bad_values_name_the_key(raw, mutate, path):
    mutate(raw)
    with pytest.raises(ConfigError) as error:
        parse_config(raw, "config.yaml")
    assert path in str(error.value)


def test_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(ConfigError, match="cannot read"):
        load_config(tmp_path / "absent.yaml")


def test_service_refuses_to_start_with_a_bad_file(tmp_path, raw):
    raw["ledger"]["bogus"] = 1
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    result = subprocess.run([sys.executable, "-m", "canteen.cli", "init-db"], capture_output=True, text=True,
                            env={"CANTEEN_CONFIG": str(path), "CANTEEN_INSTANCE": str(tmp_path / "inst"),
                                 "PATH": "/usr/bin:/bin"}, timeout=60)
    assert result.returncode == 2
    assert "ledger.bogus: unknown key" in result.stderr
    assert "Traceback" not in result.stderr
