"""Camera settings validation (pydantic v2, extra keys forbidden, errors name the key path) and the worker's
own loader of config.yaml, which must not pull the web service into the camera process."""
from __future__ import annotations

import copy
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import ValidationError

from camera.cli import main
from camera.config import CameraSettings, CameraWorkerSettings, DetectorSettings
from camera.configfile import ConfigError, load_camera_config, parse_camera_config
from camera.region import parse_polygon

ROOT = Path(__file__).resolve().parents[2]
PROJECT_CONFIG = ROOT / "config.yaml"


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


@pytest.fixture(scope="module")
def project_data() -> dict[str, Any]:
    """The project's config.yaml as plain data, to be altered per test."""
    data = yaml.safe_load(PROJECT_CONFIG.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def test_loader_reads_the_project_config() -> None:
    config = load_camera_config(PROJECT_CONFIG)
    assert [cam.id for cam in config.cameras] == ["tray-zonghe", "tray-badajie"]
    assert config.cameras[0].canteen == "zonghe"
    assert config.cameras[0].source == "rtsp://127.0.0.1:8554/tray-zonghe"
    assert config.camera_worker == CameraWorkerSettings()


def test_loader_ignores_the_service_sections() -> None:
    data = {"canteens": "not checked here", "no_such_section": {"x": 1},
            "cameras": [{"id": "a", "canteen": "ZH", "source": 0}]}
    config = parse_camera_config(data)
    assert [cam.id for cam in config.cameras] == ["a"]
    assert parse_camera_config({}).cameras == []


@pytest.mark.parametrize("section, value, message", [
    ("cameras", [{"id": "a", "canteen": "zonghe", "source": 0, "roii": []}], "cameras.0.roii: unknown key"),
    ("cameras", [{"id": "a", "canteen": "zonghe", "source": 0, "detector": {"settle": 1}}],
     "cameras.0.detector.settle: unknown key"),
    ("cameras", [{"id": "a", "canteen": "zonghe", "source": 0, "analysis_fps": 0}],
     "cameras.0.analysis_fps: Input should be greater than 0"),
    ("camera_worker", {"outbox": "x"}, "camera_worker.outbox: unknown key"),
    ("camera_worker", {"service_url": "ftp://x"},
     "camera_worker.service_url: Value error, service_url must start with http:// or https://"),
    ("cameras", [{"id": "a", "canteen": "zonghe", "source": n} for n in (0, 1)],
     "(top level): Value error, cameras: duplicate code a"),
])
def test_loader_names_the_failing_key_like_the_service(project_data: dict[str, Any], section: str,
                                                       value: Any, message: str) -> None:
    from canteen.config import ConfigError as ServiceConfigError, parse_config

    data = copy.deepcopy(project_data)
    data[section] = value
    with pytest.raises(ConfigError) as err:
        parse_camera_config(data, "config.yaml")
    assert str(err.value).startswith(f"config.yaml: {message}")
    # The service validates the same models, so it refuses the same file with the same words.
    with pytest.raises(ServiceConfigError) as service_err:
        parse_config(data, "config.yaml")
    assert str(service_err.value) == str(err.value)


@pytest.mark.parametrize("content, message", [
    (None, "cannot read the configuration file"),
    ("cameras: [unclosed", "not valid YAML"),
    ("- a list\n", "the top level must be a mapping"),
])
def test_loader_file_errors(tmp_path: Path, content: str | None, message: str) -> None:
    path = tmp_path / "config.yaml"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    with pytest.raises(ConfigError, match=message):
        load_camera_config(path)


def test_loader_finds_the_file_like_the_service(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "config.yaml").write_text("cameras: [{id: here, canteen: x, source: 0}]\n", encoding="utf-8")
    env = tmp_path / "env.yaml"
    env.write_text("cameras: [{id: from-env, canteen: x, source: 0}]\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("CANTEEN_CONFIG", raising=False)
    assert load_camera_config().cameras[0].id == "here"
    monkeypatch.setenv("CANTEEN_CONFIG", str(env))
    assert load_camera_config().cameras[0].id == "from-env"


def test_run_refuses_a_bad_config_naming_the_key(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "config.yaml"
    path.write_text("cameras:\n  - {id: a, canteen: x, source: 0, roii: []}\n", encoding="utf-8")
    assert main(["run", "--config", str(path)]) == 2
    assert "cameras.0.roii: unknown key" in capsys.readouterr().err
    path.write_text("cameras:\n  - {id: a, canteen: x, source: 0, enabled: false}\n", encoding="utf-8")
    assert main(["run", "--config", str(path)]) == 2
    assert "no enabled camera" in capsys.readouterr().err


STANDALONE = textwrap.dedent("""
    import sys
    import camera.analyze, camera.cli, camera.uploader
    from camera.configfile import load_camera_config
    from camera.outbox import Outbox
    from camera.supervisor import SignalStop, Supervisor, token_from_env
    from camera.worker import CameraWorker

    config = load_camera_config(sys.argv[1])
    ws = config.camera_worker.model_copy(update={"outbox_dir": sys.argv[2]})
    enabled = [cam for cam in config.cameras if cam.enabled]
    assert enabled, "the project config has no enabled camera"
    # What `canteen-camera run` builds, and what each camera process builds, without starting capture.
    supervisor = Supervisor(enabled, ws, token_from_env(ws))
    worker = CameraWorker(enabled[0], ws, Outbox(ws.outbox_dir), SignalStop())
    worker.close()
    loaded = sorted(m for m in sys.modules if m.split(".")[0] in ("flask", "sqlalchemy", "canteen"))
    assert not loaded, loaded
    print("standalone", len(supervisor.slots))
""")


def test_camera_process_stands_alone(tmp_path: Path) -> None:
    # PYTHONPATH: this checkout's camera/, not the installed one; cwd: the outbox lands in tmp_path.
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([sys.executable, "-c", STANDALONE, str(PROJECT_CONFIG), str(tmp_path / "outbox")],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "standalone 2"
