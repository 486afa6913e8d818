"""Restarts never replay a file (it resumes at a safe point, or stops once analysed to its end), the watchdog
judges progress rather than wall time, and a camera that never delivered a frame reports "no_signal"."""
from __future__ import annotations

import threading
import time
from pathlib import Path

import camsynth as cs
from camera.config import CameraSettings, CameraWorkerSettings
from camera.heartbeat import STATES, CameraStatus
from camera.outbox import Outbox
from camera.supervisor import TICK_S, CameraSlot, Supervisor
from camera.worker import CameraWorker


class StopAfter:
    """A stop flag that trips after a number of progress ticks (a camera process dying mid-file)."""

    def __init__(self, ticks: int | None) -> None:
        self.ticks, self.count, self.event = ticks, 0, threading.Event()

    def tick(self) -> None:
        self.count += 1
        if self.ticks is not None and self.count >= self.ticks:
            self.event.set()

    def is_set(self) -> bool:
        return self.event.is_set()

    def wait(self, timeout: float | None = None) -> bool:
        return self.event.wait(timeout)


def run_worker(video: Path, outbox_dir: Path, ticks: int | None) -> tuple[int, list[CameraStatus]]:
    cam = CameraSettings(id="tray-1", canteen="ZH", source=str(video), roi=cs.ROI)
    ws = CameraWorkerSettings(outbox_dir=str(outbox_dir), heartbeat_interval_s=0.2)
    stop, statuses = StopAfter(ticks), []
    worker = CameraWorker(cam, ws, Outbox(outbox_dir), stop, statuses.append, progress=stop.tick)
    return worker.run(), statuses


def starts(outbox: Outbox) -> list[float]:
    return sorted(item.manifest["event"]["start_s"] for item in outbox.items())


def test_file_resumes_where_it_stopped_and_is_never_replayed(tmp_path: Path) -> None:
    sc = cs.queue_scenario(["dump", "hand", "dump", "hand"], [2.0, 6.0, 2.0], seed=41)[0]
    video = cs.write_video(sc, tmp_path / "tray.avi")
    whole = Outbox(tmp_path / "whole")
    assert run_worker(video, tmp_path / "whole", None)[0] == 0
    expected = starts(whole)
    assert len(expected) == 4
    # Stopped a third of the way in (after the first event), restarted, and restarted once more.
    run_worker(video, tmp_path / "parts", int(sc.duration_s * 10 / 3))
    first = starts(Outbox(tmp_path / "parts"))
    assert 1 <= len(first) < 4
    assert run_worker(video, tmp_path / "parts", None)[0] == 0
    assert starts(Outbox(tmp_path / "parts")) == expected  # the same events, none twice
    code, statuses = run_worker(video, tmp_path / "parts", None)
    assert code == 0 and starts(Outbox(tmp_path / "parts")) == expected
    assert statuses[-1].state == "stopped"
    ids = [item.event_id for item in Outbox(tmp_path / "parts").items()]
    assert len(set(ids)) == len(ids)


def test_a_replaced_file_is_analysed_from_its_start(tmp_path: Path) -> None:
    video = cs.write_video(cs.Scenario(duration_s=12.0, seed=42, dumps=[3.0]), tmp_path / "tray.avi")
    run_worker(video, tmp_path / "outbox", None)
    time.sleep(0.01)
    cs.write_video(cs.Scenario(duration_s=12.0, seed=43, dumps=[5.0]), video)
    run_worker(video, tmp_path / "outbox", None)
    assert len(starts(Outbox(tmp_path / "outbox"))) == 2


def test_missing_file_is_no_signal(tmp_path: Path) -> None:
    code, statuses = run_worker(tmp_path / "missing.mp4", tmp_path / "outbox", None)
    assert code == 2 and statuses[-1].state == "no_signal" and "no_signal" in STATES


def supervisor(tmp_path: Path, **kw) -> tuple[Supervisor, CameraSlot]:
    cam = CameraSettings(id="tray-1", canteen="ZH", source="rtsp://10.0.0.9/s")
    ws = CameraWorkerSettings(outbox_dir=str(tmp_path / "outbox"), **kw)
    sup = Supervisor([cam], ws, None)
    slot = sup.slots["tray-1"]
    slot.progress = sup.ctx.RawValue("Q", 0)
    slot.started = time.monotonic()
    return sup, slot


def test_watchdog_counts_progress_not_time(tmp_path: Path) -> None:
    sup, slot = supervisor(tmp_path, watchdog_s=5.0)
    # A slow camera: one frame now and then, with long pauses of the supervisor itself (load): never killed.
    for k in range(200):
        if k % 4 == 0:
            slot.progress.value += 1
        assert not sup._stalled(slot, min(30.0, 2 * TICK_S))
    # No progress at all from now on: killed after watchdog_s of on-time ticks, and only then.
    slot.progress.value += 1
    assert not sup._stalled(slot, TICK_S)
    ticks = [sup._stalled(slot, TICK_S) for _ in range(int(5.0 / TICK_S) + 2)]
    assert ticks[:int(5.0 / TICK_S)] == [False] * int(5.0 / TICK_S) and ticks[-1] is True


def test_camera_without_a_frame_reports_no_signal(tmp_path: Path) -> None:
    sup, slot = supervisor(tmp_path, open_timeout_s=1.0, read_timeout_s=1.0)
    slot.status = CameraStatus("tray-1", "error", None, "cannot open the stream; retrying in 4 s")
    assert sup._heartbeat_status(slot).state == "error"  # still within one open and one read
    slot.started -= 3.0
    st = sup._heartbeat_status(slot)
    assert st.state == "no_signal" and st.detail.startswith("cannot open")
    slot.ever_frame = True
    assert sup._heartbeat_status(slot).state == "error"
