"""One opened source's frames through region, detector and evidence recorder (for worker and analyze)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from camera.config import DetectorSettings, Polygon
from camera.detector import DetectedEvent, Detector
from camera.evidence import EventFrames, EvidenceRecorder
from camera.region import Region
from camera.source import VideoSource


@dataclass
class PipelineSettings:
    """What the pipeline needs from the camera and worker settings."""

    roi: Polygon
    masks: list[Polygon]
    analysis_fps: float
    detector: DetectorSettings
    pre_roll_s: float = 3.0
    clip_max_s: float = 30.0
    clip_width: int = 320
    evidence: bool = True
    clip_fps: float = 2.5


# Mostly exact repeats among this many first analysed frames mark a source that repeats when still.
REPEAT_PROBE_FRAMES = 25

EventSink = Callable[[DetectedEvent, "EventFrames | None", Region], None]


class Pipeline:
    """Analyses a few frames a second of one source and hands finished events to a sink."""

    def __init__(self, settings: PipelineSettings, sink: EventSink) -> None:
        self.s = settings
        self.sink = sink
        self.region: Region | None = None
        self.detector: Detector | None = None
        self.recorder: EvidenceRecorder | None = None
        self.next_t = 0.0
        self.last_frame: np.ndarray | None = None
        self.last_small: np.ndarray | None = None
        self.last_t = 0.0
        self.analysed = 0
        self.repeated = 0
        self.repeats_when_still = False

    def step(self, src: VideoSource) -> bool:
        """Read one frame; analyse it if it is due. False when the source gave no frame."""
        if not src.grab():
            return False
        t = src.timestamp()
        # Half a frame of slack keeps a 10 fps file analysed at exactly every other frame for 5 fps.
        if t + 0.5 / max(src.fps, 30.0) < self.next_t:
            return True
        frame = src.retrieve()
        if frame is None:
            return True
        period = 1.0 / self.s.analysis_fps
        # Falling behind a live stream must not cause a burst of catch-up analyses.
        self.next_t = max(self.next_t + period, t + period * 0.5)
        self.analyse(frame, t)
        return True

    def analyse(self, frame: np.ndarray, t: float) -> None:
        """Run one frame through detector and recorder."""
        size = (frame.shape[1], frame.shape[0])
        if self.region is None or size != (self.region.frame_width, self.region.frame_height):
            self._setup(frame)
        assert self.region is not None and self.detector is not None
        small = self.region.prepare(frame)
        # A decoder repeating a picture repeats its small grey copy too: compared there, it costs nothing.
        finished = self.detector.feed(small, t, self._frozen(small))
        self.last_small = small
        self.last_frame, self.last_t = frame, t
        self.analysed += 1
        if self.recorder is not None:
            for ev, frames in self.recorder.add(t, frame, self.detector, finished):
                self.sink(ev, frames, self.region)
        else:
            for ev in finished:
                self.sink(ev, None, self.region)

    def _frozen(self, frame: np.ndarray) -> bool:
        """True when the picture repeats the last one bit for bit in a source that normally never does."""
        last = self.last_small
        same = last is not None and last.shape == frame.shape and np.array_equal(last, frame)
        self.repeated += same
        if self.analysed == REPEAT_PROBE_FRAMES and self.repeated > REPEAT_PROBE_FRAMES // 2:
            self.repeats_when_still = True
        # Sensor noise changes a few pixels of nearly every real frame, so a run of exact repeats is
        # a stalled or concealing decoder. A source that repeats whenever nothing moves (a noiseless
        # synthetic clip, a static scene under a frugal encoder: most of its first frames, or a
        # large share of all, are repeats) is just still, and there a repeat means nothing.
        return same and not self.repeats_when_still and self.analysed >= REPEAT_PROBE_FRAMES \
            and self.repeated <= 0.2 * self.analysed

    def open_event(self) -> bool:
        """True while an event is open or being confirmed (no safe point to resume a file from)."""
        return self.detector is not None and self.detector.candidate_start is not None

    def finish(self) -> None:
        """The source ended or dropped: close the open event with what was seen."""
        if self.detector is None or self.region is None:
            return
        finished = self.detector.flush()
        if not finished:
            return
        if self.recorder is not None and self.last_frame is not None:
            for ev, frames in self.recorder.add(self.last_t, self.last_frame, self.detector, finished):
                self.sink(ev, frames, self.region)
        else:
            for ev in finished:
                self.sink(ev, None, self.region)

    def restart(self) -> None:
        """Forget the scene (after a reconnect the background must be learnt again)."""
        self.region = self.detector = self.recorder = None
        self.next_t = 0.0
        self.last_frame = self.last_small = None
        self.analysed = self.repeated = 0
        self.repeats_when_still = False

    def _setup(self, frame: np.ndarray) -> None:
        h, w = frame.shape[:2]
        self.region = Region(self.s.roi, self.s.masks, w, h, self.s.detector.work_width)
        self.detector = Detector(self.s.detector, self.region.work_mask)
        self.recorder = None
        if self.s.evidence:
            self.recorder = EvidenceRecorder(self.region, self.s.analysis_fps, self.s.pre_roll_s,
                                             self.s.clip_max_s, self.s.clip_width, self.s.clip_fps)
