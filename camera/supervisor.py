"""Supervisor for `canteen-camera run`: one spawned process per camera, restarts, uploader and heartbeats."""
from __future__ import annotations

import logging
import multiprocessing as mp
import os
import queue
import signal
import threading
import time
from dataclasses import dataclass, field
from multiprocessing.process import BaseProcess
from typing import Any

import requests

from camera.backoff import Backoff
from camera.config import CameraSettings, CameraWorkerSettings
from camera.heartbeat import CameraStatus, send_heartbeat
from camera.outbox import Outbox
from camera.uploader import Uploader, start_uploader_thread

log = logging.getLogger(__name__)

# The supervisor's loop period; the watchdog counts time in these ticks.
TICK_S = 0.5


class SignalStop:
    """Stop flag set from a signal handler, also tripped when the parent process goes away."""

    def __init__(self, watch_parent: bool = False) -> None:
        # Only a plain attribute is safe to touch in a signal handler: setting a threading or
        # multiprocessing Event there can deadlock against the very wait it interrupts.
        self.requested = False
        self.parent = os.getppid() if watch_parent else None

    def request(self, *_: Any) -> None:
        """Ask to stop (usable directly as a signal handler)."""
        self.requested = True

    def is_set(self) -> bool:
        """True once stopping was requested or the parent has died."""
        if self.parent is not None and os.getppid() != self.parent:
            self.requested = True
        return self.requested

    def wait(self, timeout: float | None = None) -> bool:
        """Sleep up to timeout in short slices; True if stopping was requested."""
        end = time.monotonic() + (timeout if timeout is not None else 1e9)
        while not self.is_set():
            left = end - time.monotonic()
            if left <= 0:
                break
            time.sleep(min(0.1, left))
        return self.is_set()


def camera_process_main(cam_data: dict[str, Any], ws_data: dict[str, Any], status_q: Any,
                        log_level: int, progress: Any = None) -> None:
    """Entry point of a camera process (spawned, so it receives plain data and rebuilds the settings)."""
    logging.basicConfig(level=log_level,
                        format=f"%(asctime)s %(levelname)s [camera {cam_data['id']}] %(message)s")
    stop = SignalStop(watch_parent=True)
    # Ctrl-C reaches the whole process group; the supervisor decides when cameras stop (SIGTERM).
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, stop.request)
    # If the supervisor is gone nobody drains the queue; exiting must not wait to flush it.
    status_q.cancel_join_thread()
    from camera.worker import CameraWorker

    cam = CameraSettings.model_validate(cam_data)
    ws = CameraWorkerSettings.model_validate(ws_data)

    def tick() -> None:
        """Count one step of progress in the counter the supervisor reads (no lock: one writer)."""
        if progress is not None:
            progress.value += 1

    worker = CameraWorker(cam, ws, Outbox(ws.outbox_dir), stop, status=status_q.put, progress=tick)
    raise SystemExit(worker.run())


@dataclass
class CameraSlot:
    """Supervisor's view of one camera process."""

    cam: CameraSettings
    backoff: Backoff
    process: BaseProcess | None = None
    started: float = 0.0
    restart_at: float = 0.0
    last_seen: float = 0.0
    finished: bool = False
    status: CameraStatus | None = None
    restarts: int = field(default=0)
    progress: Any = None          # shared counter the camera process bumps on every frame and wait
    seen_progress: int = -1
    stalled_s: float = 0.0        # supervisor time on schedule without progress
    ever_frame: bool = False


class Supervisor:
    """Keeps every enabled camera running until asked to stop."""

    def __init__(self, cameras: list[CameraSettings], ws: CameraWorkerSettings, token: str | None) -> None:
        self.ws = ws
        self.token = token
        self.ctx = mp.get_context("spawn")
        self.status_q = self.ctx.Queue()
        self.stop_flag = SignalStop()
        self.stopping = threading.Event()
        self.slots = {c.id: CameraSlot(c, Backoff(ws.restart_initial_s, ws.restart_max_s))
                      for c in cameras if c.enabled}
        self.outbox = Outbox(ws.outbox_dir)
        # A hung native read cannot be interrupted from inside; a camera without progress for this long
        # is killed. Progress, not silence: a camera slowed down by load still moves its counter.
        self.watchdog_s = ws.watchdog_s or \
            ws.open_timeout_s + ws.read_timeout_s + 2 * ws.heartbeat_interval_s + 30.0
        self.last_tick = time.monotonic()

    def install_signal_handlers(self) -> None:
        """SIGTERM and SIGINT ask for a clean shutdown."""
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, self.stop_flag.request)

    def run(self) -> int:
        """Run until SIGTERM/SIGINT (or until every camera has finished); return the exit code."""
        uploader = Uploader(self.outbox, self.ws.service_url, self.token, self.ws.upload_timeout_s,
                            self.ws.upload_retry_initial_s, self.ws.upload_retry_max_s)
        upload_stop = threading.Event()
        up_thread = start_uploader_thread(uploader, upload_stop)
        hb_thread = threading.Thread(target=self._heartbeats, name="camera-heartbeats", daemon=True)
        hb_thread.start()
        for slot in self.slots.values():
            self._start(slot)
        try:
            while not self.stop_flag.wait(TICK_S):
                self._drain_status()
                now = time.monotonic()
                # A tick far later than planned means this process was starved too (load, suspend):
                # that time says nothing about the cameras, so it is not counted against them.
                elapsed = min(now - self.last_tick, 2 * TICK_S)
                self.last_tick = now
                for slot in self.slots.values():
                    self._check(slot, elapsed)
                if self.slots and all(s.finished for s in self.slots.values()):
                    log.info("every camera source has ended")
                    break
        finally:
            self.stopping.set()
            self._shutdown()
            upload_stop.set()
            up_thread.join(timeout=self.ws.upload_timeout_s + 5)
            self._send_heartbeats()
        return 0

    # -- camera processes ------------------------------------------------------------------------
    def _start(self, slot: CameraSlot) -> None:
        slot.progress = self.ctx.RawValue("Q", 0)
        slot.seen_progress, slot.stalled_s = -1, 0.0
        proc = self.ctx.Process(
            target=camera_process_main, name=f"camera-{slot.cam.id}",
            args=(slot.cam.model_dump(mode="json"), self.ws.model_dump(mode="json"), self.status_q,
                  logging.getLogger().level or logging.INFO, slot.progress),
        )
        proc.start()
        slot.process = proc
        slot.started = slot.last_seen = time.monotonic()
        log.info("camera %s started (pid %s)", slot.cam.id, proc.pid)

    def _check(self, slot: CameraSlot, elapsed: float = TICK_S) -> None:
        now = time.monotonic()
        proc = slot.process
        if slot.finished:
            return
        if proc is None:
            if now >= slot.restart_at:
                slot.restarts += 1
                self._start(slot)
            return
        if proc.is_alive():
            if self._stalled(slot, elapsed):
                log.error("camera %s made no progress for %.0f s; killing pid %s", slot.cam.id,
                          slot.stalled_s, proc.pid)
                proc.kill()
            elif now - slot.started > 60.0:
                slot.backoff.reset()
            return
        proc.join(timeout=0)
        code = proc.exitcode
        slot.process = None
        if code == 0:
            slot.finished = True
            log.info("camera %s finished (its source ended)", slot.cam.id)
            return
        delay = slot.backoff.next_delay()
        slot.restart_at = now + delay
        slot.status = CameraStatus(slot.cam.id, "error" if slot.ever_frame else "no_signal",
                                   slot.status.last_frame_at if slot.status else None,
                                   f"camera process exited with code {code}; restarting in {delay:.0f} s")
        log.warning("camera %s exited with code %s; restarting in %.1f s", slot.cam.id, code, delay)

    def _stalled(self, slot: CameraSlot, elapsed: float) -> bool:
        """True once the camera's progress counter has not moved for watchdog_s of on-time ticks."""
        value = int(slot.progress.value) if slot.progress is not None else 0
        if value != slot.seen_progress:
            slot.seen_progress, slot.stalled_s = value, 0.0
            return False
        slot.stalled_s += elapsed
        return slot.stalled_s > self.watchdog_s

    def _drain_status(self) -> None:
        while True:
            try:
                st: CameraStatus = self.status_q.get_nowait()
            except queue.Empty:
                return
            except (EOFError, OSError):
                return
            slot = self.slots.get(st.camera)
            if slot is not None:
                slot.status = st
                slot.last_seen = time.monotonic()
                slot.ever_frame = slot.ever_frame or st.last_frame_at is not None

    def _shutdown(self) -> None:
        for slot in self.slots.values():
            if slot.process is not None and slot.process.is_alive():
                slot.process.terminate()
        deadline = time.monotonic() + 15.0
        for slot in self.slots.values():
            if slot.process is not None:
                slot.process.join(timeout=max(0.1, deadline - time.monotonic()))
                if slot.process.is_alive():
                    log.warning("camera %s did not stop in time; terminating", slot.cam.id)
                    slot.process.terminate()
                    slot.process.join(timeout=5)
                    if slot.process.is_alive():
                        slot.process.kill()
        self._drain_status()
        for slot in self.slots.values():
            last_frame_at = slot.status.last_frame_at if slot.status else None
            slot.status = CameraStatus(slot.cam.id, "stopped", last_frame_at, "camera worker stopped")

    # -- heartbeats ---------------------------------------------------------------------------------
    def _heartbeats(self) -> None:
        while not self.stopping.wait(self.ws.heartbeat_interval_s):
            self._send_heartbeats()

    def _send_heartbeats(self) -> None:
        session = requests.Session()
        timeout = min(10.0, self.ws.upload_timeout_s)
        for slot in list(self.slots.values()):
            send_heartbeat(session, self.ws.service_url, self.token, self._heartbeat_status(slot), timeout)

    def _heartbeat_status(self, slot: CameraSlot) -> CameraStatus:
        """The state to report: "no_signal" for a camera that has not delivered one frame since it
        was started (after the time one open and one read may take), whatever it is trying."""
        st = slot.status or CameraStatus(slot.cam.id, "connecting", None, "starting")
        grace = self.ws.open_timeout_s + self.ws.read_timeout_s
        if not slot.ever_frame and st.state in ("connecting", "error", "stalled") \
                and time.monotonic() - slot.started > grace:
            return CameraStatus(st.camera, "no_signal", None, st.detail)
        return st


def token_from_env(ws: CameraWorkerSettings) -> str | None:
    """The API token from the environment variable the settings name."""
    token = os.environ.get(ws.token_env, "").strip()
    return token or None
