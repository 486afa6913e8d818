"""The camera worker's own reader of config.yaml: its sections only, checked as strictly as by the service."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from camera.config import CameraSettings, CameraWorkerSettings

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CONFIG_PATH = PROJECT_ROOT / "config.yaml"


class ConfigError(Exception):
    """The configuration file is missing, malformed or invalid; the message names the key path."""


class CameraConfig(BaseModel):
    """The sections of config.yaml the camera worker reads."""

    # The other top-level sections belong to the service, which validates them at its own start-up;
    # the worker must not need (or import) their models to start.
    model_config = ConfigDict(extra="ignore")

    cameras: list[CameraSettings] = Field(default_factory=list)
    camera_worker: CameraWorkerSettings = Field(default_factory=CameraWorkerSettings)

    @model_validator(mode="after")
    def _unique_ids(self) -> "CameraConfig":
        ids = [camera.id for camera in self.cameras]
        duplicates = sorted({camera_id for camera_id in ids if ids.count(camera_id) > 1})
        if duplicates:
            # The supervisor keys its processes by id: a second camera would silently replace the first.
            raise ValueError(f"cameras: duplicate code {', '.join(duplicates)}")
        return self


def format_error(error: ValidationError) -> str:
    """One line per failing key as 'path.to.key: message', worded like the service's messages."""
    lines = []
    for item in error.errors():
        path = ".".join(str(part) for part in item["loc"]) or "(top level)"
        message = "unknown key" if item["type"] == "extra_forbidden" else item["msg"]
        lines.append(f"{path}: {message}")
    return "; ".join(lines)


def parse_camera_config(data: Any, source: str = "config") -> CameraConfig:
    """Validate already-parsed YAML data; raise ConfigError naming the failing key path."""
    if not isinstance(data, dict):
        raise ConfigError(f"{source}: the top level must be a mapping")
    try:
        return CameraConfig.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(f"{source}: {format_error(exc)}") from None


def resolve_config_path(path: str | os.PathLike[str] | None = None) -> Path:
    """The file to read: an explicit path, else $CANTEEN_CONFIG, else ./config.yaml, else the project's."""
    # The same order as the service's, so both processes started from one place read one file.
    if path:
        return Path(path)
    if os.environ.get("CANTEEN_CONFIG"):
        return Path(os.environ["CANTEEN_CONFIG"])
    local = Path.cwd() / "config.yaml"
    return local if local.is_file() else DEFAULT_CONFIG_PATH


def load_camera_config(path: str | os.PathLike[str] | None = None) -> CameraConfig:
    """Read config.yaml and validate the camera sections."""
    resolved = resolve_config_path(path)
    try:
        text = resolved.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{resolved}: cannot read the configuration file ({exc.strerror})") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{resolved}: not valid YAML ({exc})") from None
    return parse_camera_config(data, str(resolved))
