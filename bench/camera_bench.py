"""Whole-process CPU of `canteen-camera analyze` against a process that only decodes the same clip.

Clips are made at run time from the synthetic tray-return footage (tests/camera/camsynth.py) with a lunch
load: a diner every 5 s, 30 % of them leaving a deposit, at 10 fps, scaled to 720p and 360p, H.264 (PyAV's
libx264) or MPEG-4 Part 2 without PyAV. Every measurement is a child process (so imports and start-up
count), CPU from resource.getrusage(RUSAGE_CHILDREN), median of --repeat runs.

Run: .venv/bin/python bench/camera_bench.py [--seconds 60] [--repeat 3]
"""
from __future__ import annotations

import argparse
import resource
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import cv2

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from tests.camera import camsynth as cs  # noqa: E402  (the tests' footage generator, found from the root)

SIZES = {"720p": (1280, 720), "360p": (640, 360)}
FPS = 10
DECODE_ONLY = "import cv2, sys\ncap = cv2.VideoCapture(sys.argv[1])\nwhile cap.read()[0]:\n    pass\n"


def lunch_queue(seconds: float) -> cs.Scenario:
    """A diner every 5 s; 3 in 10 leave a deposit, the others pass a hand over the bin."""
    n = max(2, int(seconds / 5.0))
    kinds = ["dump" if k % 10 in (1, 4, 7) else "hand" for k in range(n)]
    sc, visits = cs.queue_scenario(kinds, [1.0] * (n - 1), seed=1)
    # Spread the visits to one every 5 s (gaps follow from each actor's time in the region).
    gaps = [5.0 - (v.end_s - v.start_s) for v in visits[:-1]]
    return cs.queue_scenario(kinds, gaps, seed=1, lead_s=2.0, tail_s=3.0)[0]


def make_clip(sc: cs.Scenario, size: tuple[int, int], path: Path) -> Path:
    """The scenario scaled to size, H.264 if PyAV is there, else MPEG-4 Part 2 through OpenCV."""
    frames = (cv2.resize(f, size, interpolation=cv2.INTER_LINEAR) for _, f in cs.frames(sc, FPS))
    try:
        import av
    except ImportError:
        writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*"mp4v"), float(FPS), size)
        for frame in frames:
            writer.write(frame)
        writer.release()
        return path
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=FPS)
        stream.width, stream.height, stream.pix_fmt = size[0], size[1], "yuv420p"
        stream.options = {"preset": "veryfast", "crf": "23", "g": str(2 * FPS)}
        for frame in frames:
            for packet in stream.encode(av.VideoFrame.from_ndarray(frame, format="bgr24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path


def child_cpu(args: list[str]) -> float:
    """CPU seconds (user + system) of one child process run to its end."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(args, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def median_cpu(args: list[str], repeat: int) -> float:
    """Median CPU seconds of repeat runs."""
    return statistics.median(child_cpu(args) for _ in range(repeat))


def main() -> int:
    """Make the clips, measure, print a table and the cameras per core."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0, help="clip length (default: %(default)s)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per measurement (median)")
    args = parser.parse_args()
    sc = lunch_queue(args.seconds)
    roi = ",".join(f"{x},{y}" for x, y in cs.ROI)
    py = sys.executable
    print(f"OpenCV {cv2.__version__}; {sc.duration_s:.0f} s at {FPS} fps, a diner every 5 s, 30 % deposits; "
          f"analysis at 5 fps; CPU = user+system of the whole child process, median of {args.repeat}")
    print(f"{'clip':5s} {'decode-only':>12s} {'analyze':>9s} {'ratio':>6s} {'analyze+evidence':>17s} "
          f"{'ratio':>6s} {'cameras/core @10fps':>20s}")
    with tempfile.TemporaryDirectory(prefix="camera-bench-") as tmp:
        folder = Path(tmp)
        for name, size in SIZES.items():
            clip = make_clip(sc, size, folder / f"{name}.mp4")
            decode = median_cpu([py, "-c", DECODE_ONLY, str(clip)], args.repeat)
            analyze = median_cpu([py, "-m", "camera.cli", "analyze", str(clip), "--roi", roi, "--json"],
                                 args.repeat)
            runs = []
            for k in range(args.repeat):
                runs.append(child_cpu([py, "-m", "camera.cli", "analyze", str(clip), "--roi", roi, "--json",
                                       "--out", str(folder / f"ev-{name}-{k}")]))
            evidence = statistics.median(runs)
            # A live camera delivers sc.duration_s of video in as many seconds: one core carries this many.
            per_core = sc.duration_s / evidence
            print(f"{name:5s} {decode:11.2f}s {analyze:8.2f}s {analyze / decode:6.2f} {evidence:16.2f}s "
                  f"{evidence / decode:6.2f} {per_core:20.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
