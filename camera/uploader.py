"""Drains the outbox into the service: each event leaves the outbox only once the service confirmed it."""
from __future__ import annotations

import json
import logging
import threading
from contextlib import ExitStack
from typing import Protocol

import requests

from camera.backoff import Backoff
from camera.outbox import Outbox, OutboxItem

log = logging.getLogger(__name__)

CONTENT_TYPES = {
    "snapshot": "image/jpeg",
    "snapshot_public": "image/jpeg",
    "crop_before": "image/jpeg",
    "crop_after": "image/jpeg",
    "clip": "video/webm",
}
# 409: the event's UUID is stored with other values; sending it again can never succeed.
PERMANENT = (400, 409, 422)
CONFIRMED = (200, 201)


class StopFlag(Protocol):
    """Anything with wait(timeout) -> bool and is_set(), e.g. threading.Event or multiprocessing.Event."""

    def is_set(self) -> bool:
        """True once stopping was requested."""
        ...

    def wait(self, timeout: float | None = None) -> bool:
        """Sleep up to timeout; True if stopping was requested."""
        ...


class Uploader:
    """Posts outbox events to POST /api/v1/camera-events and applies the protocol's answers."""

    def __init__(self, outbox: Outbox, service_url: str, token: str | None, timeout_s: float = 30.0,
                 retry_initial_s: float = 2.0, retry_max_s: float = 300.0,
                 session: requests.Session | None = None) -> None:
        self.outbox = outbox
        self.url = f"{service_url.rstrip('/')}/api/v1/camera-events"
        self.token = token
        self.timeout_s = timeout_s
        self.backoff = Backoff(retry_initial_s, retry_max_s)
        self.session = session or requests.Session()

    def upload(self, item: OutboxItem) -> str:
        """Send one event; return 'stored', 'duplicate', 'rejected' or 'retry'."""
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        data = {"event": json.dumps(item.manifest["event"], ensure_ascii=False)}
        try:
            with ExitStack() as stack:
                files = {}
                for name, ctype in CONTENT_TYPES.items():
                    path = item.file_path(name)
                    if path is not None and path.exists():
                        files[name] = (path.name, stack.enter_context(open(path, "rb")), ctype)
                resp = self.session.post(self.url, data=data, files=files, headers=headers,
                                         timeout=self.timeout_s)
        except (requests.RequestException, OSError) as exc:
            log.warning("event %s not delivered: %s", item.event_id, exc)
            return "retry"
        if resp.status_code in CONFIRMED:
            self.outbox.remove(item)
            return "stored" if resp.status_code == 201 else "duplicate"
        if resp.status_code in PERMANENT:
            dest = self.outbox.reject(item, resp.status_code, resp.text[:10000])
            log.error("event %s rejected by the service (HTTP %s), kept in %s",
                      item.event_id, resp.status_code, dest)
            return "rejected"
        log.warning("event %s not accepted now (HTTP %s), will retry", item.event_id, resp.status_code)
        return "retry"

    def drain_once(self) -> tuple[int, bool]:
        """Try every pending event once, oldest first; return (handled, stopped_on_failure)."""
        handled = 0
        for item in self.outbox.items():
            result = self.upload(item)
            if result == "retry":
                # The service is unwell: stop here and let the caller back off.
                return handled, True
            handled += 1
        return handled, False

    def run(self, stop: StopFlag, poll_s: float = 1.0) -> None:
        """Drain until stop is set, backing off while the service is unreachable."""
        self.outbox.cleanup()
        while not stop.is_set():
            try:
                _, failed = self.drain_once()
            except Exception:  # a bug here must not silently end delivery for every camera
                log.exception("uploader pass failed")
                failed = True
            if failed:
                delay = self.backoff.next_delay()
            else:
                self.backoff.reset()
                delay = poll_s
            stop.wait(delay)


def start_uploader_thread(uploader: Uploader, stop: threading.Event, poll_s: float = 1.0) -> threading.Thread:
    """Run an uploader in a daemon thread."""
    thread = threading.Thread(target=uploader.run, args=(stop, poll_s), name="camera-uploader", daemon=True)
    thread.start()
    return thread
