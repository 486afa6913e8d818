"""An app whose config has cameras, for the upload and heartbeat endpoints."""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np
import pytest
from flask import Flask

from camera.config import CameraSettings
from canteen import create_app
from canteen.config import AppConfig
from canteen.extensions import db
from canteen.reference.services import sync_reference_data
from tests.conftest import FAST_HASH


@pytest.fixture
def camera_settings(settings: AppConfig) -> AppConfig:
    """The project config plus one camera per canteen."""
    cameras = [CameraSettings(id="tray-zonghe", canteen="zonghe", source="rtsp://127.0.0.1:8554/tray"),
               CameraSettings(id="tray-badajie", canteen="badajie", source=0)]
    return settings.model_copy(update={"cameras": cameras})


@pytest.fixture
def app(database_url: str, tmp_path: Path, camera_settings: AppConfig) -> Iterator[Flask]:
    """The test app with cameras configured."""
    app = create_app({
        "TESTING": True, "SECRET_KEY": "test-secret", "DATABASE_URL": database_url, "SETTINGS": camera_settings,
        "INSTANCE_PATH": str(tmp_path / "instance"), "PASSWORD_HASH_METHOD": FAST_HASH, "WTF_CSRF_ENABLED": False,
    })
    with app.app_context():
        sync_reference_data(db.session, camera_settings)
        db.session.commit()
    yield app
    app.extensions["canteen_db"].engine.dispose()


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
