"""The public image shows what was left in the region, never who left it: the settled after-view once
motion has stopped, pixelated outside the region; none at all when the region never became still.

Real clip: "one-by-one-person-detection.mp4" from the Intel IoT DevKit sample-videos
(https://github.com/intel-iot-devkit/sample-videos), licensed CC BY 4.0; read, never modified.
"""
from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest

import camsynth as cs
from camera.analyze import analyze_file
from camera.config import DetectorSettings
from camera.evidence import EventFrames, write_evidence
from camera.pipeline import Pipeline, PipelineSettings
from camera.region import Region
from test_camera_real_footage import CLIP, FOOTAGE


def frame_at(video: Path, t: float) -> np.ndarray:
    """The decoded frame t seconds into a file."""
    cap = cv2.VideoCapture(str(video))
    fps = cap.get(cv2.CAP_PROP_FPS)
    frame = None
    for _ in range(int(round(t * fps)) + 1):
        ok, frame = cap.read()
        assert ok
    cap.release()
    assert frame is not None
    return frame


def differs(a: np.ndarray, b: np.ndarray, level: float = 40.0) -> np.ndarray:
    """Pixels where two pictures clearly differ (grey level, smoothed against compression noise)."""
    ga = cv2.GaussianBlur(cv2.cvtColor(a, cv2.COLOR_BGR2GRAY), (9, 9), 0).astype(np.float32)
    gb = cv2.GaussianBlur(cv2.cvtColor(b, cv2.COLOR_BGR2GRAY), (9, 9), 0).astype(np.float32)
    return np.abs(ga - gb) > level


def mean_difference(a: np.ndarray, b: np.ndarray, where: np.ndarray) -> float:
    """Mean absolute difference of two pictures over some pixels."""
    return float(np.abs(a.astype(np.float32) - b.astype(np.float32))[where].mean())


def check_person_gone(folder: Path, empty: np.ndarray, border: int = 8) -> tuple[float, float]:
    """Where the raw snapshot shows someone, compare both snapshots with the empty scene."""
    raw = cv2.imread(str(folder / "snapshot.jpg"))
    public = cv2.imread(str(folder / "snapshot_public.jpg"))
    person = differs(raw, empty)
    # The region's outline is drawn on both pictures: leave the frame edge out.
    person[:border], person[-border:], person[:, :border], person[:, -border:] = False, False, False, False
    assert person.sum() > 500, "the raw snapshot shows nobody: the peak frame was not kept"
    return mean_difference(public, empty, person), mean_difference(raw, empty, person)


@pytest.fixture(scope="module")
def real_evidence(tmp_path_factory) -> tuple[Path, dict, list[Path]]:
    if not FOOTAGE.is_dir():
        pytest.skip(f"real footage directory not found: {FOOTAGE} (set CANTEEN_SHARED_DIR)")
    truth = json.loads((FOOTAGE / f"{CLIP}.events.json").read_text(encoding="utf-8"))
    out = tmp_path_factory.mktemp("evidence")
    video = FOOTAGE / truth["video"]
    analyze_file(video, roi=[tuple(p) for p in truth["roi_normalized"]], out_dir=out)
    return video, truth, sorted(out.iterdir())


def test_real_clip_public_image_is_the_empty_scene_where_the_person_was(real_evidence) -> None:
    video, truth, folders = real_evidence
    assert len(folders) == len(truth["events"])
    for folder in folders:
        event = json.loads((folder / "event.json").read_text())["event"]
        assert event["public_image"] is True
        # The empty table a second before the visitor came in.
        empty = frame_at(video, max(0.0, event["start_s"] - 1.0))
        public_diff, raw_diff = check_person_gone(folder, empty)
        assert public_diff < 12.0 < 40.0 < raw_diff, (folder.name, public_diff, raw_diff)
        assert (folder / "snapshot_public.jpg").read_bytes() != (folder / "snapshot.jpg").read_bytes()


def test_synthetic_public_image_shows_the_deposit_not_the_tray(tmp_path: Path) -> None:
    sc = cs.Scenario(duration_s=22.0, seed=12, dumps=[3.0], hands=[15.0], walkers=[10.0])
    video = cs.write_video(sc, tmp_path / "tray.avi")
    out = tmp_path / "evidence"
    analyze_file(video, roi=cs.ROI, out_dir=out)
    folders = sorted(out.iterdir())
    assert len(folders) == 2
    empty = frame_at(video, 1.0)
    region = Region(cs.ROI, [], cs.W, cs.H)
    inside = region.full_mask > 0
    for folder in folders:
        event = json.loads((folder / "event.json").read_text())["event"]
        raw = cv2.imread(str(folder / "snapshot.jpg"))
        public = cv2.imread(str(folder / "snapshot_public.jpg"))
        after = frame_at(video, min(sc.duration_s - 0.2, event["end_s"] + 2.0))
        # Where the tray or hand was at the peak, minus what the dump left: the empty bin in public.
        actor = differs(raw, empty) & ~differs(after, empty) & inside
        actor = cv2.erode(actor.astype(np.uint8), np.ones((5, 5), np.uint8)).astype(bool)
        assert actor.sum() > 300, folder.name
        assert mean_difference(public, empty, actor) < 12.0 < 40.0 < mean_difference(raw, empty, actor)
        if event["scene_changed"]:
            # The food is in the public picture: that is what it is for.
            food = differs(after, empty) & inside
            assert food.sum() > 50 and mean_difference(public, after, food) < 15.0


def test_outside_the_region_is_pixelated(tmp_path: Path) -> None:
    sc = cs.Scenario(duration_s=14.0, seed=13, dumps=[3.0])
    video = cs.write_video(sc, tmp_path / "tray.avi")
    analyze_file(video, roi=cs.ROI, out_dir=tmp_path / "evidence")
    (folder,) = sorted((tmp_path / "evidence").iterdir())
    public = cv2.imread(str(folder / "snapshot_public.jpg")).astype(np.int32)
    # Above the region: 13-px blocks of one colour each (JPEG rounding aside), no fine detail left.
    top = public[:50, :]
    assert np.abs(np.diff(top, axis=1)).mean() < 3.0


def test_region_never_still_gives_no_public_image(tmp_path: Path) -> None:
    # Someone keeps moving over the bin past max_event_s: the parts have no settled after-view.
    kept: list[tuple] = []
    settings = PipelineSettings(cs.ROI, [], 5.0, DetectorSettings(max_event_s=8.0))
    pipe = Pipeline(settings, lambda ev, frames, region: kept.append((ev, frames, region)))
    rng = np.random.default_rng(0)
    for k in range(int(26 * 5)):
        t = k / 5.0
        frame = np.clip(rng.normal(110, 3, (cs.H, cs.W, 3)), 0, 255).astype(np.uint8)
        if 2.0 <= t < 21.0:
            x = 130 + int(40 * np.sin(t * 3))
            cv2.circle(frame, (x, 120), 30, (40, 50, 200), -1)
        pipe.analyse(frame, t)
    pipe.finish()
    parts = [(ev, frames, region) for ev, frames, region in kept if ev.end_reason == "max_duration"]
    assert len(parts) == 2
    for ev, frames, region in parts:
        assert ev.public_image is False and isinstance(frames, EventFrames) and not frames.public
        folder = tmp_path / f"{ev.start_s:.0f}"
        folder.mkdir()
        write_evidence(folder, frames, region)
        public = cv2.imread(str(folder / "snapshot_public.jpg"))
        assert public.shape == (cs.H, cs.W, 3) and public.max() < 10  # black: nobody in it
    last = kept[-1][0]
    assert last.end_reason == "quiet" and last.public_image is True
