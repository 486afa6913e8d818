"""Camera settings validation (pydantic v2, extra keys forbidden, errors name the key path)."""
from __future__ import annotations

import pytest
from pydantic import ValidationError

from camera.config import CameraSettings, CameraWorkerSettings, DetectorSettings
from camera.region import parse_polygon


def test_defaults() -> None:
    cam = CameraSettings(id="tray-1", canteen="ZH", source=0)
    assert cam.analysis_fps == 5.0 and cam.enabled and cam.masks == []
    assert cam.roi[0] == (0.0, 0.0) and len(cam.roi) == 4
    ws = CameraWorkerSettings()
    assert ws.service_url == "http://127.0.0.1:8000" and ws.token_env == "CANTEEN_CAMERA_TOKEN"
    assert ws.outbox_dir == "instance/camera-outbox"


@pytest.mark.parametrize("data, loc", [
    ({"id": "a", "canteen": "ZH", "source": 0, "colour": 1}, ("colour",)),
    ({"id": "a", "canteen": "ZH", "source": 0, "roi": [[0, 0], [1.5, 0], [1, 1]]}, ("roi", 1, 0)),
    ({"id": "a", "canteen": "ZH", "source": 0, "detector": {"quiet_gap_s": -1}}, ("detector", "quiet_gap_s")),
    ({"id": "a", "canteen": "ZH", "source": 0, "detector": {"typo": 1}}, ("detector", "typo")),
    ({"id": "a", "canteen": "ZH", "source": 0, "masks": [[[0, 0], [1, 1]]]}, ("masks", 0)),
    ({"id": "a b", "canteen": "ZH", "source": 0}, ("id",)),
])
def test_bad_values_name_their_path(data: dict, loc: tuple) -> None:
    with pytest.raises(ValidationError) as err:
        CameraSettings.model_validate(data)
    assert err.value.errors()[0]["loc"][:len(loc)] == loc


def test_worker_settings_reject_unknown_keys_and_bad_urls() -> None:
    with pytest.raises(ValidationError):
        CameraWorkerSettings.model_validate({"outbox": "x"})
    with pytest.raises(ValidationError):
        CameraWorkerSettings(service_url="ftp://x")
    with pytest.raises(ValidationError):
        DetectorSettings(min_event_s=100, max_event_s=50)


def test_parse_polygon() -> None:
    assert parse_polygon("0.1,0.2,0.5,0.6") == [(0.1, 0.2), (0.5, 0.2), (0.5, 0.6), (0.1, 0.6)]
    assert len(parse_polygon("0,0,1,0,0.5,1")) == 3
    with pytest.raises(ValueError):
        parse_polygon("0,0,2,1")
    with pytest.raises(ValueError):
        parse_polygon("0,0,1")


def test_camera_package_does_not_import_flask_or_the_web_app() -> None:
    import subprocess
    import sys

    code = ("import sys, camera.cli, camera.supervisor, camera.worker, camera.analyze, camera.uploader; "
            "bad = [m for m in sys.modules if m.split('.')[0] in ('flask', 'canteen')]; "
            "assert not bad, bad")
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)
