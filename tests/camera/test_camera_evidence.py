"""Evidence files (WebM clip, snapshots, crops, privacy blur) and the `analyze` command."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

import camsynth as cs
from camera.media import blur_outside, write_clip
from camera.region import Region

ROI_ARG = ",".join(f"{x},{y}" for x, y in cs.ROI)


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "camera.cli", *args], capture_output=True, text=True,
                          timeout=300)


@pytest.fixture(scope="module")
def short_video(tmp_path_factory) -> tuple[Path, cs.Scenario]:
    sc = cs.Scenario(duration_s=22.0, seed=11, dumps=[3.0], hands=[15.0], walkers=[10.0])
    path = tmp_path_factory.mktemp("video") / "tray.avi"
    return cs.write_video(sc, path, fps=10.0), sc


def test_vp8_webm_clip_is_written_and_decodes(tmp_path: Path) -> None:
    frames = []
    for k in range(15):
        img = np.full((240, 320, 3), 90, np.uint8)
        cv2.circle(img, (20 + 18 * k, 120), 25, (0, 0, 255), -1)
        frames.append(img)
    path = tmp_path / "clip.webm"
    assert write_clip(path, frames, 5.0)
    data = path.read_bytes()
    assert data[:4] == b"\x1a\x45\xdf\xa3"  # EBML header: a Matroska/WebM file
    assert b"webm" in data[:64] and b"V_VP8" in data
    cap = cv2.VideoCapture(str(path))
    count = 0
    while cap.read()[0]:
        count += 1
    cap.release()
    assert count == 15


def test_public_snapshot_blurs_outside_the_region() -> None:
    rng = np.random.default_rng(0)
    frame = rng.integers(0, 255, (240, 320, 3), dtype=np.uint8)
    region = Region(cs.ROI, [], 320, 240)
    out = blur_outside(frame, region)
    inside = region.full_mask > 0
    assert np.array_equal(out[inside], frame[inside])
    # Random texture outside is flattened: neighbouring pixels become almost equal.
    outside_rows = out[:40].astype(int)
    original_rows = frame[:40].astype(int)
    assert np.abs(np.diff(outside_rows, axis=1)).mean() < 5 < np.abs(np.diff(original_rows, axis=1)).mean()


def test_analyze_json_and_evidence(short_video, tmp_path: Path) -> None:
    video, sc = short_video
    out = tmp_path / "evidence"
    proc = run_cli("analyze", str(video), "--roi", ROI_ARG, "--json", "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    events = [json.loads(line) for line in proc.stdout.splitlines()]
    assert len(events) == 2, proc.stdout
    for ev in events:
        assert {"start_s", "end_s", "scene_changed", "changed_fraction", "confidence"} <= set(ev)
    dump, hand = events
    assert dump["scene_changed"] and not hand["scene_changed"]
    assert abs(dump["start_s"] - sc.episodes()[0].start_s) <= 1.0
    assert "%" in proc.stderr or "frame" in proc.stderr  # the progress bar went to stderr
    folders = sorted(out.iterdir())
    assert len(folders) == 2
    for folder, ev in zip(folders, events):
        names = {p.name for p in folder.iterdir()}
        assert {"snapshot.jpg", "snapshot_public.jpg", "crop_before.jpg", "crop_after.jpg",
                "event.json"} <= names
        # A clip is encoded only for a lasting change: the hand passing over gets none.
        assert ("clip.webm" in names) == ev["scene_changed"]
        snap = cv2.imread(str(folder / "snapshot.jpg"))
        assert snap.shape == (240, 320, 3)
        crop = cv2.imread(str(folder / "crop_after.jpg"))
        assert crop.shape[0] < 240 and crop.shape[1] < 320
        manifest = json.loads((folder / "event.json").read_text())
        assert manifest["files"].get("clip") == ("clip.webm" if ev["scene_changed"] else None)
        assert manifest["event"]["public_image"] is True
    # The dump's before/after crops differ (food in the bin), the hand's do not much.
    before = cv2.imread(str(folders[0] / "crop_before.jpg")).astype(int)
    after = cv2.imread(str(folders[0] / "crop_after.jpg")).astype(int)
    assert np.abs(before - after).mean() > 3


def test_analyze_plain_output_lists_events(short_video) -> None:
    video, _ = short_video
    proc = run_cli("analyze", str(video), "--roi", "0.3,0.25,0.7,0.8")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("2 event(s)") and "lasting change" in proc.stdout


@pytest.mark.parametrize("content", [b"", b"not a video at all\n", bytes(range(256)) * 800])
def test_analyze_undecodable_file_is_a_clear_error(tmp_path: Path, content: bytes) -> None:
    bad = tmp_path / "broken.mp4"
    bad.write_bytes(content)
    proc = run_cli("analyze", str(bad), "--json")
    assert proc.returncode != 0
    assert proc.stdout == ""
    assert "cannot decode" in proc.stderr or "no frame" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_analyze_missing_file_and_bad_roi(tmp_path: Path) -> None:
    proc = run_cli("analyze", str(tmp_path / "nope.mp4"))
    assert proc.returncode != 0 and "no such video file" in proc.stderr
    proc = run_cli("analyze", str(tmp_path / "nope.mp4"), "--roi", "0,0,2,2")
    assert proc.returncode == 2 and "between 0 and 1" in proc.stderr


def test_analyze_truncated_file_reports_damage(short_video, tmp_path: Path) -> None:
    video, _ = short_video
    cut = tmp_path / "cut.avi"
    cut.write_bytes(video.read_bytes()[: video.stat().st_size // 3])
    proc = run_cli("analyze", str(cut), "--json")
    assert proc.returncode != 0
    assert "damaged or truncated" in proc.stderr or "cannot decode" in proc.stderr
    assert "Traceback" not in proc.stderr
