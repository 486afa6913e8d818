"""The reader of config.yaml: the camera worker's sections here, and the file reading both processes share.

The camera worker must not import ``canteen`` (no Flask, no SQLAlchemy in the camera process), so the generic
part (finding the file, parsing YAML safely, naming a failing key's path) lives here, and the service's
``canteen.config`` uses it for its own, complete model.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from camera.config import CameraSettings, CameraWorkerSettings

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CONFIG_PATH = PROJECT_ROOT / "config.yaml"
Model = TypeVar("Model", bound=BaseModel)


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
    """One line per failing key as 'path.to.key: message'."""
    lines = []
    for item in error.errors():
        path = ".".join(str(part) for part in item["loc"]) or "(top level)"
        # Pydantic says "Extra inputs are not permitted"; the operator needs to hear that a key is misspelt.
        message = "unknown key" if item["type"] == "extra_forbidden" else item["msg"]
        lines.append(f"{path}: {message}")
    return "; ".join(lines)


def validate_mapping(model: type[Model], data: Any, source: str) -> Model:
    """Validate parsed YAML against ``model``; ConfigError names the source and each failing key path."""
    if not isinstance(data, dict):
        raise ConfigError(f"{source}: the top level must be a mapping")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(f"{source}: {format_error(exc)}") from None


def parse_camera_config(data: Any, source: str = "config") -> CameraConfig:
    """Validate already-parsed YAML data; raise ConfigError naming the failing key path."""
    return validate_mapping(CameraConfig, data, source)


def resolve_config_path(path: str | os.PathLike[str] | None = None) -> Path:
    """The file to read: an explicit path, else $CANTEEN_CONFIG, else ./config.yaml, else the project's."""
    # The same order as the service's, so both processes started from one place read one file.
    if path:
        return Path(path)
    if os.environ.get("CANTEEN_CONFIG"):
        return Path(os.environ["CANTEEN_CONFIG"])
    local = Path.cwd() / "config.yaml"
    return local if local.is_file() else DEFAULT_CONFIG_PATH


def read_config_file(path: str | os.PathLike[str] | None = None) -> tuple[Path, Any]:
    """The resolved path and the parsed YAML of the configuration file; ConfigError when unreadable."""
    resolved = resolve_config_path(path)
    try:
        text = resolved.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{resolved}: cannot read the configuration file ({exc.strerror})") from None
    # safe_load: a config file must never be able to build Python objects.
    try:
        return resolved, yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{resolved}: not valid YAML ({exc})") from None


def load_camera_config(path: str | os.PathLike[str] | None = None) -> CameraConfig:
    """Read config.yaml and validate the camera sections."""
    resolved, data = read_config_file(path)
    return parse_camera_config(data, str(resolved))
