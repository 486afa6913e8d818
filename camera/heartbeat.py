"""Camera heartbeats: the state each camera process reports and its delivery to the service."""
from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from typing import Any

import requests

log = logging.getLogger(__name__)

# "no_signal": the camera has not delivered a single frame since it was started; "stopped": its file has
# ended or the worker was stopped.
STATES = ("ok", "connecting", "stalled", "error", "no_signal", "stopped")


@dataclass
class CameraStatus:
    """What one camera last reported about itself."""

    camera: str
    state: str
    last_frame_at: str | None
    detail: str = ""

    def to_json(self) -> dict[str, Any]:
        """Body of the heartbeat request."""
        return asdict(self)


def send_heartbeat(session: requests.Session, service_url: str, token: str | None,
                   status: CameraStatus, timeout_s: float) -> bool:
    """POST one heartbeat; failures are logged and reported as False, never raised."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    try:
        resp = session.post(f"{service_url}/api/v1/camera-heartbeats", json=status.to_json(),
                            headers=headers, timeout=timeout_s)
    except requests.RequestException as exc:
        log.warning("heartbeat for %s not delivered: %s", status.camera, exc)
        return False
    if resp.status_code != 200:
        log.warning("heartbeat for %s refused: HTTP %s", status.camera, resp.status_code)
        return False
    return True
