"""One camera's loop: open with backoff, analyse, save events to the outbox, report its state."""
from __future__ import annotations

import logging
import threading
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
from camera.position import PositionStore
from camera.region import Region
from camera.source import SourceError, VideoSource, describe, is_file
from camera.uploader import StopFlag

log = logging.getLogger(__name__)

StatusSink = Callable[[CameraStatus], None]

# A connection that delivered frames this long counts as healthy: its drop restarts the backoff.
HEALTHY_SESSION_S = 60.0
# How often (wall time) a file's safe position is written at most.
CHECKPOINT_S = 2.0


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
                 status: StatusSink | None = None, progress: Callable[[], None] | None = None) -> None:
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
        # Called on every frame and every deliberate wait: the supervisor's watchdog judges this progress.
        self.progress = progress or (lambda: None)
        self.positions = PositionStore(ws.outbox_dir, cam.id)
        self.ever_frame = False
        # A file's safe point (frames, epoch) and the end of the newest saved event; written from the
        # capture loop and the writer thread, hence the lock.
        self.position_lock = threading.Lock()
        self.safe_frames = 0
        self.epoch_text = ""
        self.saved_until_s = -1.0

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
                        self.report(self._failed_state(), str(exc))
                        return 2
                    self._wait_retry(str(exc))
                    continue
                started = time.monotonic()
                try:
                    ended = self._consume(src)
                finally:
                    src.release()
                if is_file(self.cam.source):
                    self.report("stopped", "the video file has ended" if ended else "stopped")
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
        self.close_pending()
        self.writer.shutdown(wait=True)

    def close_pending(self) -> None:
        """Wait for the events handed to the writer thread."""
        for fut in self.pending:
            try:
                fut.result()
            except Exception:
                log.exception("camera %s: saving an event failed", self.cam.id)
        self.pending.clear()

    def report(self, state: str, detail: str = "") -> None:
        """Pass the camera's state on (every change, and while running at least every heartbeat)."""
        now = time.monotonic()
        if state == self.state and now - self.last_report < self.ws.heartbeat_interval_s / 2:
            return
        self.state, self.last_report = state, now
        if self.status_sink is not None:
            self.status_sink(CameraStatus(self.cam.id, state, self.last_frame_at, detail))

    def _failed_state(self) -> str:
        """"no_signal" while the camera has never delivered a frame, "error" afterwards."""
        return "error" if self.ever_frame else "no_signal"

    def _wait_retry(self, reason: str, state: str = "error") -> None:
        delay = self.backoff.next_delay()
        self.report(state, f"{reason}; retrying in {delay:.0f} s")
        log.info("camera %s: %s; retrying in %.1f s", self.cam.id, reason, delay)
        # Waiting on purpose is progress: the watchdog must not take a backoff for a hung read.
        end = time.monotonic() + delay
        while not self.stop.is_set() and time.monotonic() < end:
            self.progress()
            self.stop.wait(min(1.0, max(0.0, end - time.monotonic())))

    def _resume(self, src: VideoSource) -> tuple[datetime, bool]:
        """For a file: skip to where a previous run stopped safely; (epoch, already ended)."""
        epoch = datetime.now(timezone.utc)
        if not is_file(self.cam.source):
            return epoch - timedelta(seconds=time.monotonic() - src.opened_at), False
        pos = self.positions.load(str(self.cam.source))
        if pos is None:
            self.epoch_text, self.safe_frames, self.saved_until_s = iso_utc(epoch), 0, -1.0
            self._write_position()
            return epoch, False
        self.epoch_text, self.safe_frames, self.saved_until_s = pos.epoch, pos.frames, pos.saved_until_s
        if pos.ended:
            log.info("camera %s: %s was analysed to its end before; not replayed", self.cam.id,
                     describe(self.cam.source))
            return epoch, True
        # Grabbing decodes without converting: skipping is cheap and exact (a seek may land elsewhere).
        while src.frames_read < pos.frames and src.grab():
            self.progress()
        log.info("camera %s: resuming %s at frame %d", self.cam.id, describe(self.cam.source), pos.frames)
        return datetime.fromisoformat(pos.epoch.replace("Z", "+00:00")), False

    def _checkpoint(self, pipeline: Pipeline, src: VideoSource, ended: bool = False) -> bool:
        """Remember a file position at which no event is open and every finished one is saved."""
        if ended:
            self.close_pending()
        elif pipeline.open_event() or any(not f.done() for f in self.pending):
            return False
        self.safe_frames = src.frames_read
        self._write_position(ended)
        return True

    def _write_position(self, ended: bool = False) -> None:
        with self.position_lock:
            self.positions.save(PositionStore.new(str(self.cam.source), self.safe_frames, self.epoch_text,
                                                  ended, self.saved_until_s))

    def _consume(self, src: VideoSource) -> bool:
        """Analyse until the source ends (True), stops or stop is set (False)."""
        epoch, done = self._resume(src)
        if done:
            return True
        file = is_file(self.cam.source)
        settings = PipelineSettings(self.cam.roi, self.cam.masks, self.cam.analysis_fps, self.cam.detector,
                                    self.ws.pre_roll_s, self.ws.clip_max_s, self.ws.clip_width,
                                    clip_fps=self.ws.clip_fps)

        def sink(ev: DetectedEvent, frames: EventFrames | None, region: Region) -> None:
            """Hand the event to the writer thread (unless a resumed file finished it once already)."""
            if file and ev.end_s <= self.saved_until_s + 1e-6:
                return
            self.pending.append(self.writer.submit(self._save, epoch, ev, frames, region))

        # A new pipeline per connection: the background is learnt again after every reconnect.
        pipeline = Pipeline(settings, sink)
        ended = False
        next_checkpoint = 0.0
        saved = self.saved
        while not self.stop.is_set():
            if not pipeline.step(src):
                ended = True
                break
            self.ever_frame = True
            self.progress()
            self.last_frame_at = iso_utc(datetime.now(timezone.utc))
            self.report("ok", f"{src.frames_read} frames read")
            self.pending = [f for f in self.pending if not f.done()]
            # A safe point right after each saved event, and every few seconds otherwise.
            if file and (self.saved != saved or time.monotonic() >= next_checkpoint) \
                    and self._checkpoint(pipeline, src):
                saved, next_checkpoint = self.saved, time.monotonic() + CHECKPOINT_S
        if ended or not file:
            # A stopped file run leaves its open event to the resumed run, which sees it again whole.
            pipeline.finish()
        if file and ended:
            self._checkpoint(pipeline, src, ended=True)
        return ended

    def _save(self, epoch: datetime, ev: DetectedEvent, frames: EventFrames | None, region: Region) -> None:
        try:
            save_event(self.outbox, self.cam, epoch, ev, frames, region)
            if is_file(self.cam.source):
                # Noted at once: a resume after a crash right now must not send this event again.
                self.saved_until_s = max(self.saved_until_s, ev.end_s)
                self._write_position()
            self.saved += 1
        except Exception:
            log.exception("camera %s: could not save an event", self.cam.id)
            raise
