"""Detector on real footage: every annotated visit found exactly once, none taken for a lasting change.

Clip: "one-by-one-person-detection.mp4" from the Intel IoT DevKit sample-videos
(https://github.com/intel-iot-devkit/sample-videos), licensed CC BY 4.0. A copy of the shared data
directory's clip is kept in tests/camera/footage/ (see its ATTRIBUTION.md), never modified.
"""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Callable

import cv2
import numpy as np
import pytest

from camera.analyze import analyze_file
from camera.config import WHOLE_FRAME, DetectorSettings
from camera.detector import DetectedEvent
from camera.pipeline import Pipeline, PipelineSettings


def footage_dir() -> Path:
    """The footage folder: $CANTEEN_SHARED_DIR's, else the copy kept with the tests.

    The clip is kept in the repository (3 MB, CC BY 4.0, credited in footage/ATTRIBUTION.md) so that a clone
    anywhere runs these tests instead of skipping them for want of a folder beside the checkout.
    """
    base = os.environ.get("CANTEEN_SHARED_DIR")
    return Path(base) / "data" / "footage" if base else Path(__file__).resolve().parent / "footage"


FOOTAGE = footage_dir()
CLIP = "one-by-one-person-detection"


@pytest.fixture(scope="module")
def annotated() -> tuple[dict, list]:
    """The clip's annotation and the events `analyze` finds in it."""
    if not FOOTAGE.is_dir():
        pytest.skip(f"real footage directory not found: {FOOTAGE} (set CANTEEN_SHARED_DIR)")
    truth = json.loads((FOOTAGE / f"{CLIP}.events.json").read_text(encoding="utf-8"))
    result = analyze_file(FOOTAGE / truth["video"], roi=[tuple(p) for p in truth["roi_normalized"]])
    return truth, result.events


def test_every_visit_found_exactly_once(annotated) -> None:
    truth, events = annotated
    tol = truth["tolerance_s"]
    for visit in truth["events"]:
        hits = [e for e in events
                if abs(e.start_s - visit["start_s"]) <= tol and abs(e.end_s - visit["end_s"]) <= tol]
        assert len(hits) == 1, (visit, events)
    assert len(events) == len(truth["events"]), events


def test_no_visit_is_a_lasting_change(annotated) -> None:
    _, events = annotated
    assert not [e for e in events if e.scene_changed]
    assert all(e.end_reason == "quiet" for e in events)


def _scaled(frame: np.ndarray, gain: float) -> np.ndarray:
    """The frame's brightness times gain, as float32 arithmetic clipped and truncated to uint8."""
    # Per pixel the result depends only on its value: a 256-entry table computed the same way gives
    # the same pixels as scaling the whole float frame, at a fraction of the cost.
    lut = np.clip(np.arange(256, dtype=np.uint8).astype(np.float32) * gain, 0, 255).astype(np.uint8)
    return cv2.LUT(frame, lut)


def _same(t: float, frame: np.ndarray) -> np.ndarray:
    """The picture unchanged."""
    return frame


def _dark(t: float, frame: np.ndarray) -> np.ndarray:
    """A darker exposure throughout."""
    return _scaled(frame, 0.6)


def _light_steps(t: float, frame: np.ndarray) -> np.ndarray:
    """Exposure drops between two visits, then jumps while someone stands at the table."""
    return _scaled(frame, (0.7 if t >= 47.0 else 1.0) * (1.3 if t >= 60.0 else 1.0))


class _Freezer:
    """The picture stops for 7 s twice, each time while someone stands at the table."""

    # It remembers the last picture shown, so it must see every frame, not only the analysed ones.
    every_frame = True

    def __init__(self) -> None:
        self.last: np.ndarray | None = None

    def __call__(self, t: float, frame: np.ndarray) -> np.ndarray:
        if (30.0 <= t < 37.0 or 100.0 <= t < 107.0) and self.last is not None:
            return self.last
        self.last = frame
        return frame


TABLE_AND_FLOOR = [(0.40, 0.15), (0.75, 0.15), (0.75, 1.0), (0.40, 1.0)]
Alter = Callable[[float, np.ndarray], np.ndarray]
VARIANTS: dict[str, tuple[list[tuple[float, float]] | None, float, Callable[[], Alter]]] = {
    "table-and-floor-10fps": (TABLE_AND_FLOOR, 10.0, lambda: _same),
    "darker": (None, 5.0, lambda: _dark),
    "exposure-steps": (None, 5.0, lambda: _light_steps),
    "frozen-picture": (TABLE_AND_FLOOR, 5.0, _Freezer),
}


class Altered:
    """One changed view of the clip as a pipeline source, fed the frames another loop decodes."""

    fps = 10.0

    def __init__(self, alter: Alter) -> None:
        self.alter = alter
        self.eager = getattr(alter, "every_frame", False)
        self.index = -1
        self.frame: np.ndarray | None = None

    def push(self, frame: np.ndarray) -> None:
        """Take the next decoded frame."""
        self.index += 1
        # A pure alteration is only worth computing for the frames the pipeline retrieves.
        self.frame = self.alter(self.timestamp(), frame) if self.eager else frame

    def grab(self) -> bool:
        """The frame was pushed already."""
        return True

    def retrieve(self) -> np.ndarray | None:
        """The altered frame."""
        if self.eager or self.frame is None:
            return self.frame
        return self.alter(self.timestamp(), self.frame)

    def timestamp(self) -> float:
        """Seconds into the clip."""
        return self.index / self.fps


@pytest.fixture(scope="module")
def altered_events(annotated: tuple[dict, list]) -> dict[str, list[DetectedEvent]]:
    """Events of each changed view, from one decoding of the clip (the file is never modified)."""
    truth, _ = annotated
    runs = {}
    for name, (roi, fps, make_alter) in VARIANTS.items():
        events: list[DetectedEvent] = []
        settings = PipelineSettings(roi or list(WHOLE_FRAME), [], fps, DetectorSettings(), evidence=False)
        pipe = Pipeline(settings, lambda ev, _frames, _region, sink=events: sink.append(ev))
        runs[name] = (Altered(make_alter()), pipe, events)
    cap = cv2.VideoCapture(str(FOOTAGE / truth["video"]))
    try:
        while True:
            ok, frame = cap.read()
            if not ok:
                break
            for src, pipe, _ in runs.values():
                src.push(frame)
                pipe.step(src)
    finally:
        cap.release()
    for _, pipe, _ in runs.values():
        pipe.finish()
    return {name: events for name, (_, _, events) in runs.items()}


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_visits_survive_a_changed_picture(annotated, altered_events, variant: str) -> None:
    truth, _ = annotated
    events = altered_events[variant]
    tol = truth["tolerance_s"]
    for visit in truth["events"]:
        hits = [e for e in events
                if abs(e.start_s - visit["start_s"]) <= tol and abs(e.end_s - visit["end_s"]) <= tol]
        assert len(hits) == 1, (visit, events)
    assert len(events) == len(truth["events"]), events
    assert not [e for e in events if e.scene_changed], events
