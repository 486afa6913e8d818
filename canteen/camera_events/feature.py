"""Camera events: the API the camera worker posts events, media and heartbeats to."""
from __future__ import annotations

from flask import Flask

from canteen.api.base import register_api
from canteen.camera_events import api


def init_app(app: Flask) -> None:
    """Register the camera API routes."""
    register_api(app, api.bp, api.SCHEMAS)
