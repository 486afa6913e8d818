"""Evidence for each event: a pre-roll ring buffer, the frames kept per event and the files written."""
from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from camera.detector import DetectedEvent, Detector
from camera.media import blur_outside, draw_region, encode_jpeg, fit_width, write_clip
from camera.region import Region

EVIDENCE_FILES = {
    "snapshot": "snapshot.jpg",
    "snapshot_public": "snapshot_public.jpg",
    "crop_before": "crop_before.jpg",
    "crop_after": "crop_after.jpg",
    "clip": "clip.webm",
}


@dataclass
class EventFrames:
    """The pictures kept for one finished event (full frames are shared, never copied)."""

    before: np.ndarray
    peak: np.ndarray
    after: np.ndarray
    clip: list[np.ndarray] = field(default_factory=list)
    clip_fps: float = 2.5
    # False when no settled after-view exists (the region never became still): nothing may be published.
    public: bool = True


class EvidenceRecorder:
    """Keeps a bounded ring of small clip frames and the key full frames of the open event."""

    def __init__(self, region: Region, fps: float, pre_roll_s: float, clip_max_s: float,
                 clip_width: int, clip_fps: float = 2.5) -> None:
        self.region = region
        self.pre_roll_s = pre_roll_s
        self.clip_max_s = clip_max_s
        self.clip_width = clip_width
        self.clip_fps = min(clip_fps, fps)
        # Raw small frames, bounded: pre-roll plus the longest clip at the clip rate (a few MB at 320 px).
        self.ring: deque[tuple[float, np.ndarray]] = deque(
            maxlen=int(math.ceil((pre_roll_s + clip_max_s) * self.clip_fps)) + 2)
        self.next_clip_t = -math.inf
        self.last_settled: np.ndarray | None = None
        self.before: np.ndarray | None = None
        self.peak: np.ndarray | None = None

    def add(self, t: float, frame: np.ndarray, detector: Detector,
            finished: list[DetectedEvent]) -> list[tuple[DetectedEvent, EventFrames]]:
        """Record one analysed frame (after detector.feed) and pair finished events with their frames."""
        if t >= self.next_clip_t - 1e-6:
            self.ring.append((t, fit_width(frame, self.clip_width)))
            # Never a burst of catch-up frames after a gap.
            self.next_clip_t = max(self.next_clip_t + 1.0 / self.clip_fps, t + 0.5 / self.clip_fps)
        if detector.settled:
            # The newest still view: before an event its before-view, at its end its after-view.
            self.last_settled = frame
        out: list[tuple[DetectedEvent, EventFrames]] = []
        for ev in finished:
            after = self.last_settled if ev.public_image and self.last_settled is not None else frame
            out.append((ev, EventFrames(
                before=self.before if self.before is not None else frame,
                peak=self.peak if self.peak is not None else frame,
                after=after, clip=self._clip(ev) if ev.scene_changed else [], clip_fps=self.clip_fps,
                public=ev.public_image)))
        if detector.opened or detector.continued and finished:
            if detector.opened:
                self.before = self.last_settled if self.last_settled is not None else frame
            self.peak = None
        if detector.is_peak or (detector.active and self.peak is None):
            self.peak = frame
        return out

    def _clip(self, ev: DetectedEvent) -> list[np.ndarray]:
        """The ring's frames from pre-roll before the event to just after it, at most clip_max_s."""
        frames = [f for ft, f in self.ring if ev.start_s - self.pre_roll_s <= ft <= ev.end_s + 1.0]
        return frames[:max(1, int(self.clip_max_s * self.clip_fps))]


def public_image(frames: EventFrames, region: Region) -> np.ndarray:
    """The image that may be published: what was left in the region once its visitor had gone.

    It is the settled after-view (never the peak frame), with everything outside the region pixelated
    beyond recognition. Without a settled after-view it is a black picture of the same size: the event
    says public_image false, and the picture shows nobody even if it were published by mistake.
    """
    if not frames.public:
        return np.zeros_like(frames.after)
    return draw_region(blur_outside(frames.after, region), region)


def write_evidence(folder: Path, frames: EventFrames, region: Region) -> dict[str, str]:
    """Write the evidence files of one event into folder; return the protocol name -> file name map."""
    files: dict[str, str] = {}

    def put(name: str, data: bytes) -> None:
        """Write one file and note it in the map."""
        (folder / EVIDENCE_FILES[name]).write_bytes(data)
        files[name] = EVIDENCE_FILES[name]

    put("snapshot", encode_jpeg(draw_region(frames.peak, region)))
    put("snapshot_public", encode_jpeg(public_image(frames, region)))
    put("crop_before", encode_jpeg(region.crop(frames.before)))
    put("crop_after", encode_jpeg(region.crop(frames.after)))
    if frames.clip:
        clip_path = folder / EVIDENCE_FILES["clip"]
        if write_clip(clip_path, frames.clip, frames.clip_fps):
            files["clip"] = EVIDENCE_FILES["clip"]
        else:
            clip_path.unlink(missing_ok=True)
    return files
