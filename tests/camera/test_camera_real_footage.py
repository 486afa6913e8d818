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
