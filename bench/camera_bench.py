"""Camera worker throughput on 720p and 1080p: decoding alone vs the whole worker at its analysis rate.

Clips are made at run time in a temporary directory (the shared real footage upscaled, or synthetic
frames when it is absent). Run: .venv/bin/python bench/camera_bench.py [--seconds 30]
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Iterator

import cv2
import numpy as np

from camera.config import DetectorSettings
from camera.detector import DetectedEvent
from camera.evidence import EventFrames, write_evidence
from camera.region import Region
from camera.pipeline import Pipeline, PipelineSettings
from camera.source import VideoSource

SIZES = {"720p": (1280, 720), "1080p": (1920, 1080)}
# Analysed at the default 5 fps, a 10 fps clip has the worker retrieve exactly every other frame.
CLIP_FPS = 10.0
ROI = [(0.25, 0.2), (0.8, 0.2), (0.8, 0.95), (0.25, 0.95)]


def shared_footage() -> Path:
    """The real clip from the shared data directory (may be absent)."""
    base = os.environ.get("CANTEEN_SHARED_DIR")
    shared = Path(base) if base else Path(__file__).resolve().parents[1].parent / "shared"
    return shared / "data" / "footage" / "one-by-one-person-detection.mp4"


def source_frames(seconds: float) -> Iterator[np.ndarray]:
    """Frames at 10 fps from the real footage, or moving synthetic shapes if it is missing."""
    n = int(seconds * CLIP_FPS)
    real = shared_footage()
    if real.is_file():
        cap = cv2.VideoCapture(str(real))
        for _ in range(n):
            ok, frame = cap.read()
            if not ok:
                break
            yield frame
        cap.release()
        return
    # Fixed seed: the synthetic clip is the same on every run.
    rng = np.random.default_rng(0)
    base = rng.integers(80, 180, (432, 768, 3), dtype=np.uint8)
    for k in range(n):
        frame = base.copy()
        cv2.circle(frame, (100 + (k * 7) % 560, 216), 40, (30, 30, 200), -1)
        yield frame


def make_clip(folder: Path, name: str, size: tuple[int, int], seconds: float) -> Path:
    """Upscale the source frames into an MPEG-4 clip of the given size."""
    path = folder / f"{name}.mp4"
    # MPEG-4 Part 2: the opencv-python wheel has no H.264 encoder.
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*"mp4v"), CLIP_FPS, size)
    for frame in source_frames(seconds):
        writer.write(cv2.resize(frame, size, interpolation=cv2.INTER_LINEAR))
    writer.release()
    return path


def decode_only(path: Path) -> tuple[int, float, float]:
    """Grab every frame; return (frames, wall seconds, CPU seconds)."""
    src = VideoSource(str(path)).open()
    w0, c0 = time.perf_counter(), time.process_time()
    n = 0
    while src.grab():
        n += 1
    wall, cpu = time.perf_counter() - w0, time.process_time() - c0
    src.release()
    return n, wall, cpu


def whole_worker(path: Path, out: Path, analysis_fps: float,
                 write_files: bool) -> tuple[int, float, float, int]:
    """The worker's pipeline (ring buffer included); write_files adds the evidence of each event."""
    settings = PipelineSettings(ROI, [], analysis_fps, DetectorSettings())
    events: list[DetectedEvent] = []

    def sink(ev: DetectedEvent, frames: EventFrames | None, region: Region) -> None:
        """Count the event and, if asked, write its evidence."""
        # The pipeline hands over frames only while it records evidence (the default settings do).
        if write_files and frames is not None:
            folder = out / f"{path.stem}-{len(events)}"
            folder.mkdir(parents=True, exist_ok=True)
            write_evidence(folder, frames, region)
        events.append(ev)

    src = VideoSource(str(path)).open()
    pipeline = Pipeline(settings, sink)
    w0, c0 = time.perf_counter(), time.process_time()
    n = 0
    while pipeline.step(src):
        n += 1
    pipeline.finish()
    wall, cpu = time.perf_counter() - w0, time.process_time() - c0
    src.release()
    return n, wall, cpu, len(events)


def main() -> int:
    """Make the clips, measure, print a table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=30.0, help="clip length (default: %(default)s)")
    parser.add_argument("--analysis-fps", type=float, default=5.0)
    args = parser.parse_args()
    print(f"OpenCV {cv2.__version__}, {os.cpu_count()} CPUs, cv2 threads {cv2.getNumThreads()}; "
          f"source: {'real footage' if shared_footage().is_file() else 'synthetic'}, "
          f"{args.seconds:.0f} s at {CLIP_FPS:.0f} fps, MPEG-4 Part 2 (the wheel has no H.264 encoder)")
    print("worker = grab every frame, retrieve and analyse 5 a second, keep the pre-roll ring; "
          "+evidence also writes each event's JPEGs and VP8 clip (in the real worker on a side thread)")
    print(f"{'clip':6s} {'decode fps':>11s} {'per core':>9s} {'worker fps':>11s} {'per core':>9s} "
          f"{'+evidence':>10s} {'per core':>9s} {'events':>6s}")
    per_core: dict[str, tuple[float, float]] = {}
    with tempfile.TemporaryDirectory(prefix="camera-bench-") as tmp:
        folder = Path(tmp)
        for name, size in SIZES.items():
            clip = make_clip(folder, name, size, args.seconds)
            n, wall, cpu = decode_only(clip)
            m, wall2, cpu2, _ = whole_worker(clip, folder / "evidence", args.analysis_fps, False)
            k, wall3, cpu3, events = whole_worker(clip, folder / "evidence", args.analysis_fps, True)
            per_core[name] = (m / cpu2, k / cpu3)
            print(f"{name:6s} {n / wall:11.1f} {n / cpu:9.1f} {m / wall2:11.1f} {m / cpu2:9.1f} "
                  f"{k / wall3:10.1f} {k / cpu3:9.1f} {events:6d}")
    steady, busy = per_core["720p"]
    print(f"720p cameras at 10 fps per core in real time: {steady / 10:.1f} between events, "
          f"{busy / 10:.1f} with an event every {args.seconds / max(1, events):.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
