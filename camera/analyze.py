"""Offline analysis of a recorded video file (`canteen-camera analyze`)."""
from __future__ import annotations

import json
import sys
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, TextIO

from tqdm import tqdm

from camera.config import WHOLE_FRAME, DetectorSettings, Polygon
from camera.detector import DetectedEvent
from camera.events import make_record
from camera.evidence import EventFrames, write_evidence
from camera.pipeline import Pipeline, PipelineSettings
from camera.region import Region
from camera.source import SourceError, VideoSource


class DecodeError(Exception):
    """The file could not be decoded (at all, or beyond some point)."""


@dataclass
class AnalysisResult:
    """Events found in a file and how much of it was read."""

    events: list[DetectedEvent]
    frames_read: int
    frame_count: int


def analyze_file(path: str | Path, roi: Polygon | None = None, masks: list[Polygon] | None = None,
                 analysis_fps: float = 5.0, detector: DetectorSettings | None = None,
                 out_dir: Path | None = None, progress: bool = False, camera: str = "offline",
                 on_event: Callable[[DetectedEvent], None] | None = None) -> AnalysisResult:
    """Analyse a video file; with out_dir also write each event's evidence into out_dir/<n>-<uuid>/."""
    src = VideoSource(str(path))
    try:
        src.open()
    except SourceError as exc:
        raise DecodeError(str(exc)) from exc
    epoch = datetime.now(timezone.utc)
    events: list[DetectedEvent] = []
    settings = PipelineSettings(roi or list(WHOLE_FRAME), masks or [], analysis_fps,
                                detector or DetectorSettings(), evidence=out_dir is not None)

    def sink(ev: DetectedEvent, frames: EventFrames | None, region: Region) -> None:
        """Collect the event and write its evidence when asked to."""
        events.append(ev)
        if out_dir is not None and frames is not None:
            record = make_record(ev, camera, "-", epoch)
            folder = out_dir / f"{len(events):03d}-{record.id}"
            folder.mkdir(parents=True, exist_ok=True)
            files = write_evidence(folder, frames, region)
            (folder / "event.json").write_text(json.dumps({"event": record.to_json(), "files": files},
                                                          indent=1), encoding="utf-8")
        if on_event is not None:
            on_event(ev)

    pipeline = Pipeline(settings, sink)
    total = src.frame_count or None
    bar = tqdm(total=total, unit="frame", file=sys.stderr, disable=not progress, desc=Path(path).name)
    try:
        while pipeline.step(src):
            bar.update(1)
        pipeline.finish()
    finally:
        bar.close()
        src.release()
    if src.frames_read == 0:
        raise DecodeError(f"no frame could be decoded from {path}")
    return AnalysisResult(events, src.frames_read, total or 0)


def event_json(ev: DetectedEvent) -> str:
    """One event as a single JSON line for --json."""
    return json.dumps(asdict(ev), ensure_ascii=False)


def ended_early(result: AnalysisResult) -> bool:
    """True when a file stopped decoding well before its announced length (damaged or truncated)."""
    # Containers often announce a frame or two more than they hold; only a real shortfall counts.
    return result.frame_count > 0 and result.frames_read < 0.95 * result.frame_count - 2


def print_summary(result: AnalysisResult, out: TextIO) -> None:
    """Human-readable list of events."""
    out.write(f"{len(result.events)} event(s) in {result.frames_read} frames\n")
    for ev in result.events:
        kind = f"lasting change {ev.changed_fraction:.1%}" if ev.scene_changed else "no lasting change"
        out.write(f"  {ev.start_s:8.1f} - {ev.end_s:8.1f} s  {kind:28s} confidence {ev.confidence:.2f}  "
                  f"({ev.end_reason})\n")
