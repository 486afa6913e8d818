"""The event record sent to the service: detector output plus identity and wall-clock times."""
from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from camera.detector import DETECTOR_VERSION, DetectedEvent


def iso_utc(moment: datetime) -> str:
    """Format an aware datetime as ISO-8601 UTC with a trailing Z (millisecond precision)."""
    return moment.astimezone(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass
class EventRecord:
    """One event as the upload protocol describes it."""

    id: str
    camera: str
    canteen: str
    started_at: str
    ended_at: str
    start_s: float
    end_s: float
    peak_activity: float
    activity_integral: float
    scene_changed: bool
    changed_fraction: float
    confidence: float
    end_reason: str
    detector_version: str = DETECTOR_VERSION
    # False: snapshot_public is a black placeholder (the region never became still), not to be published.
    public_image: bool = True

    def to_json(self) -> dict[str, Any]:
        """Plain dict for json.dumps."""
        return asdict(self)


def make_record(ev: DetectedEvent, camera: str, canteen: str, source_epoch: datetime) -> EventRecord:
    """Give a detected event its UUID and wall-clock times (source_epoch is the wall time of t=0)."""
    return EventRecord(
        id=str(uuid.uuid4()),
        camera=camera,
        canteen=canteen,
        started_at=iso_utc(source_epoch + timedelta(seconds=ev.start_s)),
        ended_at=iso_utc(source_epoch + timedelta(seconds=ev.end_s)),
        start_s=float(ev.start_s),
        end_s=float(ev.end_s),
        peak_activity=float(ev.peak_activity),
        activity_integral=float(ev.activity_integral),
        scene_changed=bool(ev.scene_changed),
        changed_fraction=float(ev.changed_fraction),
        confidence=float(ev.confidence),
        end_reason=ev.end_reason,
        public_image=bool(ev.public_image),
    )
