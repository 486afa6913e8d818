"""An app whose config has cameras, for the upload and heartbeat endpoints."""
from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
from flask import Flask

from camera.config import CameraSettings
from canteen.config import AppConfig
from tests.support import Bound


@pytest.fixture
def camera_settings(settings: AppConfig) -> AppConfig:
    """The project config plus one camera per canteen."""
    cameras = [CameraSettings(id="tray-zonghe", canteen="zonghe", source="rtsp://127.0.0.1:8554/tray"),
               CameraSettings(id="tray-badajie", canteen="badajie", source=0)]
    return settings.model_copy(update={"cameras": cameras})


@pytest.fixture
def app(bound: Bound, camera_settings: AppConfig) -> Flask:
    """The test app with cameras configured (the shared app's config is put back after the test)."""
    bound.app.config["SETTINGS"] = camera_settings
    return bound.app


def jpeg_bytes(shade: int = 120) -> bytes:
    """A small real JPEG."""
    ok, encoded = cv2.imencode(".jpg", np.full((48, 64, 3), shade, np.uint8))
    assert ok
    return encoded.tobytes()


def webm_bytes(tmp_path: Path) -> bytes:
    """A short real VP8 WebM clip written by OpenCV."""
    path = tmp_path / "clip.webm"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"VP80"), 5, (64, 48))
    for shade in range(0, 250, 25):
        writer.write(np.full((48, 64, 3), shade, np.uint8))
    writer.release()
    return path.read_bytes()
