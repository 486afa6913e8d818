"""Stream loss against a loopback MJPEG camera that refuses, never answers, stalls or cuts the stream."""
from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from camservers import MjpegCamera, free_port, grey_jpeg
from camera.config import CameraSettings, CameraWorkerSettings, DetectorSettings
from camera.heartbeat import CameraStatus
from camera.outbox import Outbox
from camera.worker import CameraWorker

FLAT = grey_jpeg(120)
BLOB = grey_jpeg(120, blob=True)


def worker_settings(tmp_path: Path, open_timeout_s: float = 1.0) -> CameraWorkerSettings:
    """Short timeouts and backoff: every failure here happens on loopback."""
    return CameraWorkerSettings(outbox_dir=str(tmp_path / "outbox"), open_timeout_s=open_timeout_s,
                                read_timeout_s=1.0, reconnect_initial_s=0.05, reconnect_max_s=0.3,
                                heartbeat_interval_s=0.2)


class Running:
    """A camera worker in a thread, with its reported states."""

    def __init__(self, source: str, tmp_path: Path, detector: DetectorSettings | None = None,
                 open_timeout_s: float = 1.0) -> None:
        self.statuses: list[CameraStatus] = []
        self.stop = threading.Event()
        cam = CameraSettings(id="tray-1", canteen="ZH", source=source,
                             detector=detector or DetectorSettings())
        self.outbox = Outbox(tmp_path / "outbox")
        self.worker = CameraWorker(cam, worker_settings(tmp_path, open_timeout_s), self.outbox, self.stop,
                                   self.statuses.append)
        self.thread = threading.Thread(target=self.worker.run, daemon=True)

    def __enter__(self) -> "Running":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop.set()
        self.thread.join(60)
        assert not self.thread.is_alive(), "the worker hung"

    def states(self) -> list[str]:
        """The states reported so far, oldest first."""
        return [s.state for s in list(self.statuses)]

    def wait_for(self, predicate, limit: float = 60.0) -> bool:
        """Poll predicate until it holds (True) or limit seconds have passed (False)."""
        deadline = time.monotonic() + limit
        while time.monotonic() < deadline:
            if predicate():
                return True
            time.sleep(0.05)
        return False


def test_refused_connection_is_retried_with_backoff(tmp_path: Path) -> None:
    with Running(f"http://127.0.0.1:{free_port()}/stream.mjpg", tmp_path) as run:
        assert run.wait_for(lambda: run.states().count("connecting") >= 3)
    assert "ok" not in run.states() and "error" in run.states()
    assert run.worker.backoff.failures >= 3
    assert any("retrying in" in s.detail for s in run.statuses)


def test_server_that_never_answers_does_not_hang_the_worker(tmp_path: Path) -> None:
    with MjpegCamera(lambda i: ("silent", 0), lambda i, n: FLAT) as cam:
        # The open timeout is what ends each silent attempt; half a second shows it as well as ten.
        with Running(cam.url, tmp_path, open_timeout_s=0.5) as run:
            assert run.wait_for(lambda: cam.connections >= 2)
    assert "ok" not in run.states()


@pytest.mark.parametrize("failure", ["stall", "cut"])
def test_stream_that_stalls_or_is_cut_is_reconnected(tmp_path: Path, failure: str) -> None:
    # Ten frames (half a second) are enough for the worker to report "ok" on each connection.
    plan = {0: (failure, 10), 1: (failure, 10)}
    with MjpegCamera(lambda i: plan.get(i, ("stall", 100000)), lambda i, n: FLAT) as cam:
        with Running(cam.url, tmp_path) as run:
            assert run.wait_for(lambda: cam.connections >= 3 and run.states()[-1:] == ["ok"])
    states = run.states()
    first_ok = states.index("ok")
    assert "stalled" in states[first_ok:]
    assert run.statuses[-1].last_frame_at is not None


def test_background_is_relearnt_after_a_reconnect(tmp_path: Path) -> None:
    # Connection 0 shows an empty bin, connection 1 a bin with an object already in it, flickering
    # at first (someone is still there); without relearning, the object would be reported as a
    # lasting change nobody made. (A plain jump would not show it: an instant is no event.) Shorter
    # detector times than the defaults let that change settle, and show, within seconds of stream.
    detector = DetectorSettings(warmup_s=0.4, settle_s=1.0, quiet_gap_s=0.5)
    plan = {0: ("cut", 40)}

    def frame(i: int, n: int) -> bytes:
        """An empty bin on the first connection, an occupied one afterwards."""
        if i == 0:
            return FLAT
        return FLAT if n < 30 and (n // 3) % 2 else BLOB

    with MjpegCamera(lambda i: plan.get(i, ("stall", 100)), frame) as cam:
        with Running(cam.url, tmp_path, detector) as run:
            assert run.wait_for(lambda: cam.connections >= 2)
            # Let the second connection run well past the settle time of a lasting change.
            assert run.wait_for(lambda: len(run.statuses) > 0 and cam.connections >= 3, limit=60)
    assert run.outbox.items() == []
