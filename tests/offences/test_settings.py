"""The offences: section of config.yaml is validated at start-up; errors name the key path."""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from canteen.config import ConfigError, load_config, parse_config

ROOT = Path(__file__).resolve().parent.parent.parent


@pytest.fixture
def raw() -> dict:
    return yaml.safe_load((ROOT / "config.yaml").read_text(encoding="utf-8"))


def test_project_config_has_the_ladder_and_one_camera_per_canteen():
    settings = load_config(ROOT / "config.yaml")
    offences = settings.offences
    assert offences.steps == ["warning", "exposure", "referral"]
    assert offences.window == "rolling_12_months" and offences.exposure_days == 7
    assert offences.board.fields == ["name", "department", "date", "snapshot"]
    assert offences.board.locale == "zh_Hans_CN"
    assert sorted(camera.canteen for camera in settings.cameras) == sorted(c.code for c in settings.canteens)
    assert all(str(camera.source).startswith("rtsp://127.0.0.1") for camera in settings.cameras)


@pytest.mark.parametrize("change, path", [
    ({"steps": ["exposure", "warning"]}, "offences.steps"),
    ({"steps": []}, "offences.steps"),
    ({"steps": ["warning", "caning"]}, "offences.steps.1"),
    ({"window": "forever"}, "offences.window"),
    ({"exposure_days": 0}, "offences.exposure_days"),
    ({"approver_roles": ["contractor"]}, "offences.approver_roles"),
    ({"approver_roles": ["viewer", "admin"]}, "offences.approver_roles"),
    ({"camera_silence_alert_minutes": 0}, "offences.camera_silence_alert_minutes"),
    ({"retention": {"dismissed_media_days": -1}}, "offences.retention.dismissed_media_days"),
    ({"triage": {"close_unchanged_after_hours": -1}}, "offences.triage.close_unchanged_after_hours"),
    ({"triage": {"close_unchanged_after_hours": "soon"}}, "offences.triage.close_unchanged_after_hours"),
    ({"triage": {"close_after": 4}}, "offences.triage.close_after: unknown key"),
    ({"board": {"fields": ["name", "clip"]}}, "offences.board.fields.1"),
    ({"board": {"fields": ["name", "name_masked"]}}, "offences.board.fields"),
    ({"board": {"refresh_seconds": 1}}, "offences.board.refresh_seconds"),
    ({"referral": {"body_name": ""}}, "offences.referral.body_name"),
    ({"colour": "red"}, "offences.colour: unknown key"),
])
def test_bad_values_name_the_key(raw, change, path):
    raw["offences"].update(change)
    with pytest.raises(ConfigError) as error:
        parse_config(raw, "config.yaml")
    assert path in str(error.value)


def test_the_section_may_be_left_out(raw):
    del raw["offences"]
    assert parse_config(raw).offences.steps == ["warning", "exposure", "referral"]


def test_the_unblurred_snapshot_or_clip_can_never_be_configured_onto_the_board(raw):
    for field in ("snapshot_raw", "clip", "crop_after", "card_no"):
        raw["offences"]["board"]["fields"] = ["name", field]
        with pytest.raises(ConfigError):
            parse_config(raw)
