"""One camera's loop: open with backoff, analyse, save events to the outbox, report its state."""
from __future__ import annotations

import logging
import time
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from typing import Callable

from camera.backoff import Backoff
from camera.config import CameraSettings, CameraWorkerSettings
from camera.detector import DetectedEvent
from camera.events import iso_utc, make_record
from camera.evidence import EventFrames, write_evidence
from camera.heartbeat import CameraStatus
from camera.outbox import Outbox
from camera.pipeline import Pipeline, PipelineSettings
from camera.region import Region
from camera.source import SourceError, VideoSource, describe, is_file
from camera.uploader import StopFlag

log = logging.getLogger(__name__)

StatusSink = Callable[[CameraStatus], None]

# A connection that delivered frames this long counts as healthy: its drop restarts the backoff.
HEALTHY_SESSION_S = 60.0


def save_event(outbox: Outbox, cam: CameraSettings, epoch: datetime, ev: DetectedEvent,
               frames: EventFrames | None, region: Region) -> str:
    """Write one event's evidence and manifest into the outbox; return its id."""
    record = make_record(ev, cam.id, cam.canteen, epoch)
    folder = outbox.stage(record.id)
    files = write_evidence(folder, frames, region) if frames is not None else {}
    outbox.commit(folder, record.to_json(), files)
    log.info("camera %s: event %s %.1f-%.1f s (%s, scene_changed=%s)", cam.id, record.id,
             ev.start_s, ev.end_s, ev.end_reason, ev.scene_changed)
    return record.id


class CameraWorker:
    """Runs one camera until stopped; a file source ends the run, a stream is reconnected."""

    def __init__(self, cam: CameraSettings, ws: CameraWorkerSettings, outbox: Outbox, stop: StopFlag,
                 status: StatusSink | None = None) -> None:
        self.cam = cam
        self.ws = ws
        self.outbox = outbox
        self.stop = stop
        self.status_sink = status
        self.backoff = Backoff(ws.reconnect_initial_s, ws.reconnect_max_s)
        # Encoding a clip takes a moment; doing it aside keeps the capture loop reading.
        self.writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"evidence-{cam.id}")
        self.pending: list[Future[None]] = []
        self.last_frame_at: str | None = None
        self.last_report = 0.0
        self.state = ""
        self.saved = 0

    def run(self) -> int:
        """Loop until stop is set (0) or a file source has ended (0) or cannot be decoded (2)."""
        try:
            while not self.stop.is_set():
                self.report("connecting", f"opening {describe(self.cam.source)}")
                src = VideoSource(self.cam.source, self.ws.open_timeout_s, self.ws.read_timeout_s)
                try:
                    src.open()
                except SourceError as exc:
                    log.warning("camera %s: %s", self.cam.id, exc)
                    if is_file(self.cam.source):
                        self.report("error", str(exc))
                        return 2
                    self._wait_retry(str(exc))
                    continue
                started = time.monotonic()
                try:
                    self._consume(src)
                finally:
                    src.release()
                if is_file(self.cam.source):
                    self.report("error", "the video file has ended")
                    return 0
                if self.stop.is_set():
                    break
                if time.monotonic() - started >= HEALTHY_SESSION_S:
                    self.backoff.reset()
                self._wait_retry("the stream stalled or dropped", state="stalled")
            return 0
        finally:
            self.close()

    def close(self) -> None:
        """Wait for evidence still being written, then release the writer thread."""
        for fut in self.pending:
            try:
                fut.result()
            except Exception:
                log.exception("camera %s: saving an event failed", self.cam.id)
        self.pending.clear()
        self.writer.shutdown(wait=True)

    def report(self, state: str, detail: str = "") -> None:
        """Pass the camera's state on (every change, and while running at least every heartbeat)."""
        now = time.monotonic()
        if state == self.state and now - self.last_report < self.ws.heartbeat_interval_s / 2:
            return
        self.state, self.last_report = state, now
        if self.status_sink is not None:
            self.status_sink(CameraStatus(self.cam.id, state, self.last_frame_at, detail))

    def _wait_retry(self, reason: str, state: str = "error") -> None:
        delay = self.backoff.next_delay()
        self.report(state, f"{reason}; retrying in {delay:.0f} s")
        log.info("camera %s: %s; retrying in %.1f s", self.cam.id, reason, delay)
        self.stop.wait(delay)

    def _consume(self, src: VideoSource) -> None:
        epoch = datetime.now(timezone.utc)
        if not is_file(self.cam.source):
            epoch -= timedelta(seconds=time.monotonic() - src.opened_at)
        settings = PipelineSettings(self.cam.roi, self.cam.masks, self.cam.analysis_fps, self.cam.detector,
                                    self.ws.pre_roll_s, self.ws.clip_max_s, self.ws.clip_width,
                                    clip_fps=self.ws.clip_fps)

        def sink(ev: DetectedEvent, frames: EventFrames | None, region: Region) -> None:
            """Hand the event to the writer thread."""
            self.pending.append(self.writer.submit(self._save, epoch, ev, frames, region))

        # A new pipeline per connection: the background is learnt again after every reconnect.
        pipeline = Pipeline(settings, sink)
        while not self.stop.is_set():
            if not pipeline.step(src):
                break
            self.last_frame_at = iso_utc(datetime.now(timezone.utc))
            self.report("ok", f"{src.frames_read} frames read")
            self.pending = [f for f in self.pending if not f.done()]
        pipeline.finish()

    def _save(self, epoch: datetime, ev: DetectedEvent, frames: EventFrames | None, region: Region) -> None:
        try:
            save_event(self.outbox, self.cam, epoch, ev, frames, region)
            self.saved += 1
        except Exception:
            log.exception("camera %s: could not save an event", self.cam.id)
            raise
