"""Evidence for each event: a pre-roll ring buffer, the frames kept per event and the files written."""
from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from camera.detector import DetectedEvent, Detector
from camera.media import blur_outside, decode_jpeg, draw_region, encode_jpeg, fit_width, write_clip
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
    """The pictures kept for one finished event."""

    before: np.ndarray
    peak: np.ndarray
    after: np.ndarray
    clip: list[bytes] = field(default_factory=list)
    clip_fps: float = 5.0


class EvidenceRecorder:
    """Keeps a few seconds of small frames before an event and the key frames during it."""

    def __init__(self, region: Region, fps: float, pre_roll_s: float, clip_max_s: float,
                 clip_width: int) -> None:
        self.region = region
        self.fps = fps
        self.pre_roll_s = pre_roll_s
        self.clip_max_s = clip_max_s
        self.clip_width = clip_width
        # Clip frames are kept as JPEG bytes: a 30 s clip then costs a few MB, not hundreds.
        self.ring: deque[tuple[float, bytes]] = deque()
        self.clip: list[tuple[float, bytes]] = []
        self.collecting = False
        self.before: np.ndarray | None = None
        self.peak: np.ndarray | None = None

    def add(self, t: float, frame: np.ndarray, detector: Detector,
            finished: list[DetectedEvent]) -> list[tuple[DetectedEvent, EventFrames]]:
        """Record one analysed frame (after detector.feed) and pair finished events with their frames."""
        small = encode_jpeg(fit_width(frame, self.clip_width), 90)
        self.ring.append((t, small))
        while self.ring and self.ring[0][0] < t - self.pre_roll_s - 10.0:
            self.ring.popleft()
        if self.collecting:
            self._append_clip(t, small)
        out: list[tuple[DetectedEvent, EventFrames]] = []
        for ev in finished:
            clip = [jpg for ft, jpg in self.clip if ev.start_s - self.pre_roll_s <= ft]
            out.append((ev, EventFrames(
                before=self.before if self.before is not None else frame,
                peak=self.peak if self.peak is not None else frame,
                after=frame, clip=clip, clip_fps=self.fps)))
            self.collecting = False
            self.peak = None
        if detector.is_peak:
            self.peak = frame
        start = detector.candidate_start
        if start is None:
            self.collecting = False
            self.clip = []
            self.before = frame
            self.peak = None
        elif not self.collecting:
            self.collecting = True
            if finished:
                # A split: the next part follows on directly from this frame.
                self.before = frame
            self.clip = [(ft, jpg) for ft, jpg in self.ring if ft >= start - self.pre_roll_s]
        return out

    def _append_clip(self, t: float, jpg: bytes) -> None:
        if self.clip and t - self.clip[0][0] > self.clip_max_s:
            return
        self.clip.append((t, jpg))


def write_evidence(folder: Path, frames: EventFrames, region: Region) -> dict[str, str]:
    """Write the evidence files of one event into folder; return the protocol name -> file name map."""
    files: dict[str, str] = {}

    def put(name: str, data: bytes) -> None:
        """Write one file and note it in the map."""
        (folder / EVIDENCE_FILES[name]).write_bytes(data)
        files[name] = EVIDENCE_FILES[name]

    put("snapshot", encode_jpeg(draw_region(frames.peak, region)))
    put("snapshot_public", encode_jpeg(draw_region(blur_outside(frames.peak, region), region)))
    put("crop_before", encode_jpeg(region.crop(frames.before)))
    put("crop_after", encode_jpeg(region.crop(frames.after)))
    if frames.clip:
        clip_path = folder / EVIDENCE_FILES["clip"]
        if write_clip(clip_path, (decode_jpeg(j) for j in frames.clip), frames.clip_fps):
            files["clip"] = EVIDENCE_FILES["clip"]
        else:
            clip_path.unlink(missing_ok=True)
    return files
