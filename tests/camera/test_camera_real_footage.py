"""Detector on real footage: every annotated visit found exactly once, none taken for a lasting change.

Clip: "one-by-one-person-detection.mp4" from the Intel IoT DevKit sample-videos
(https://github.com/intel-iot-devkit/sample-videos), licensed CC BY 4.0. Read from the shared data
directory, never modified.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from camera.analyze import analyze_file


def footage_dir() -> Path:
    base = os.environ.get("CANTEEN_SHARED_DIR")
    shared = Path(base) if base else Path(__file__).resolve().parents[2].parent / "shared"
    return shared / "data" / "footage"


FOOTAGE = footage_dir()
CLIP = "one-by-one-person-detection"


@pytest.fixture(scope="module")
def annotated() -> tuple[dict, list]:
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


class Altered:
    """The clip read frame by frame through a change of picture, as a pipeline source (file untouched)."""

    def __init__(self, path: Path, alter) -> None:
        import cv2

        self.cap = cv2.VideoCapture(str(path))
        self.alter = alter
        self.fps = 10.0
        self.index = -1
        self.frame = None

    def grab(self) -> bool:
        ok, frame = self.cap.read()
        if not ok:
            self.cap.release()
            return False
        self.index += 1
        self.frame = self.alter(self.index / self.fps, frame)
        return True

    def retrieve(self):
        return self.frame

    def timestamp(self) -> float:
        return self.index / self.fps


def _scaled(frame, gain: float):
    import numpy as np

    return np.clip(frame.astype(np.float32) * gain, 0, 255).astype(np.uint8)


def _dark(t, frame):
    return _scaled(frame, 0.6)


def _light_steps(t, frame):
    # Exposure drops between two visits, then jumps while someone stands at the table.
    return _scaled(frame, (0.7 if t >= 47.0 else 1.0) * (1.3 if t >= 60.0 else 1.0))


class _Freezer:
    """The picture stops for 7 s twice, each time while someone stands at the table."""

    def __init__(self) -> None:
        self.last = None

    def __call__(self, t, frame):
        if (30.0 <= t < 37.0 or 100.0 <= t < 107.0) and self.last is not None:
            return self.last
        self.last = frame
        return frame


TABLE_AND_FLOOR = [(0.40, 0.15), (0.75, 0.15), (0.75, 1.0), (0.40, 1.0)]


@pytest.mark.parametrize("roi,fps,alter", [
    (TABLE_AND_FLOOR, 10.0, lambda t, frame: frame),
    (None, 5.0, _dark),
    (None, 5.0, _light_steps),
    (TABLE_AND_FLOOR, 5.0, _Freezer()),
], ids=["table-and-floor-10fps", "darker", "exposure-steps", "frozen-picture"])
def test_visits_survive_a_changed_picture(annotated, roi, fps, alter) -> None:
    from camera.config import WHOLE_FRAME, DetectorSettings
    from camera.pipeline import Pipeline, PipelineSettings

    truth, _ = annotated
    events = []
    pipe = Pipeline(PipelineSettings(roi or list(WHOLE_FRAME), [], fps, DetectorSettings(), evidence=False),
                    lambda ev, _frames, _region: events.append(ev))
    src = Altered(FOOTAGE / truth["video"], alter)
    while pipe.step(src):
        pass
    pipe.finish()
    tol = truth["tolerance_s"]
    for visit in truth["events"]:
        hits = [e for e in events
                if abs(e.start_s - visit["start_s"]) <= tol and abs(e.end_s - visit["end_s"]) <= tol]
        assert len(hits) == 1, (visit, events)
    assert len(events) == len(truth["events"]), events
    assert not [e for e in events if e.scene_changed], events
