"""Pydantic models for the camera section of config.yaml (imports only pydantic and the stdlib)."""
from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator

Point = tuple[Annotated[float, Field(ge=0.0, le=1.0)], Annotated[float, Field(ge=0.0, le=1.0)]]
Polygon = list[Point]

WHOLE_FRAME: Polygon = [(0.0, 0.0), (1.0, 0.0), (1.0, 1.0), (0.0, 1.0)]


def _check_polygon(poly: Polygon) -> Polygon:
    """Reject polygons with fewer than three corners or no area."""
    if len(poly) < 3:
        raise ValueError("a polygon needs at least 3 points")
    area2 = 0.0
    for (x1, y1), (x2, y2) in zip(poly, poly[1:] + poly[:1]):
        area2 += x1 * y2 - x2 * y1
    if abs(area2) < 1e-6:
        raise ValueError("the polygon has no area")
    return poly


Area = Annotated[Polygon, AfterValidator(_check_polygon)]


class DetectorSettings(BaseModel):
    """Knobs of the motion/change detector; the defaults suit a bin seen from above."""

    model_config = ConfigDict(extra="forbid")

    work_width: int = Field(default=160, ge=32, le=1280,
                            description="longer side of the analysed grey region, px")
    blur_px: int = Field(default=5, ge=1, le=31,
                         description="Gaussian blur kernel applied before differencing")
    diff_threshold: float = Field(default=12.0, gt=0, le=255,
                                  description="minimum grey-level change that counts")
    noise_factor: float = Field(default=4.0, gt=0,
                                description="threshold in multiples of the measured sensor noise")
    on_fraction: float = Field(default=0.01, gt=0, lt=1,
                               description="share of the region that must change to count")
    still_fraction: float = Field(default=0.001, ge=0, lt=1, description="activity below this is stillness")
    deposit_fraction: float = Field(default=0.005, gt=0, lt=1,
                                    description="changed share of the region that counts as a lasting change")
    still_relative: float = Field(default=0.01, ge=0, lt=1,
                                  description="stillness also needs activity below this share of the "
                                              "changed area")
    confirm_s: float = Field(default=0.4, ge=0, le=10, description="motion time before an event starts")
    motion_lag_s: float = Field(default=0.4, gt=0, le=5,
                                description="motion is the difference from the frame this long before")
    quiet_gap_s: float = Field(default=0.8, gt=0, le=60,
                               description="motion-free time that ends an event (its change is judged then)")
    settle_s: float = Field(default=5.0, gt=0, le=60,
                            description="how long a lasting change is kept open for its visitor to move "
                                        "again (a person standing still) unless someone moves elsewhere; "
                                        "also the longest frozen picture ignored")
    min_event_s: float = Field(default=0.6, ge=0, le=60, description="shorter events are dropped")
    max_event_s: float = Field(default=60.0, gt=1, le=3600, description="longer events are split")
    background_tau_s: float = Field(default=20.0, gt=0,
                                    description="time constant of background adaptation while empty")
    warmup_s: float = Field(default=1.0, ge=0, le=60,
                            description="still time needed to learn the first background")
    light_jump: float = Field(default=0.15, gt=0, lt=5,
                              description="relative brightness step treated as a light change")
    global_fraction: float = Field(default=0.8, gt=0, le=1,
                                   description="share of the region changing at once that means a global "
                                               "change")
    relearn_s: float = Field(default=1.5, ge=0, le=60,
                             description="pause after a light change while exposure settles")
    light_structure: float = Field(default=0.6, gt=0, le=1,
                                   description="fine-detail correlation above which a change is light, "
                                               "not an object")

    @model_validator(mode="after")
    def _ordering(self) -> "DetectorSettings":
        if self.min_event_s >= self.max_event_s:
            raise ValueError("min_event_s must be below max_event_s")
        if self.still_fraction >= self.on_fraction:
            raise ValueError("still_fraction must be below on_fraction")
        return self


class CameraSettings(BaseModel):
    """One camera: where its frames come from and which part of the picture is watched."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")
    canteen: str = Field(min_length=1, max_length=64)
    source: int | str
    roi: Area = Field(default_factory=lambda: list(WHOLE_FRAME))
    masks: list[Area] = Field(default_factory=list)
    analysis_fps: float = Field(default=5.0, gt=0, le=60)
    detector: DetectorSettings = Field(default_factory=DetectorSettings)
    enabled: bool = True

    @field_validator("source")
    @classmethod
    def _source(cls, v: int | str) -> int | str:
        if isinstance(v, int):
            if v < 0:
                raise ValueError("a device index cannot be negative")
            return v
        if not v.strip():
            raise ValueError("the source is empty")
        return v.strip()


class CameraWorkerSettings(BaseModel):
    """Settings shared by all camera processes: delivery, evidence and reconnection."""

    model_config = ConfigDict(extra="forbid")

    service_url: str = "http://127.0.0.1:8000"
    token_env: str = Field(default="CANTEEN_CAMERA_TOKEN", min_length=1)
    outbox_dir: str = "instance/camera-outbox"
    heartbeat_interval_s: float = Field(default=30.0, gt=0)
    pre_roll_s: float = Field(default=3.0, ge=0, le=30)
    clip_max_s: float = Field(default=30.0, gt=0, le=600)
    clip_width: int = Field(default=320, ge=64, le=3840,
                            description="clips are scaled down to at most this width")
    clip_fps: float = Field(default=2.5, gt=0, le=60,
                            description="frames a second kept for clips (at most the analysis rate)")
    watchdog_s: float = Field(default=0.0, ge=0,
                              description="a camera process without progress for this long is killed "
                                          "(0: open + read timeout + two heartbeats + 30 s)")
    open_timeout_s: float = Field(default=10.0, gt=0)
    read_timeout_s: float = Field(default=10.0, gt=0)
    reconnect_initial_s: float = Field(default=1.0, gt=0)
    reconnect_max_s: float = Field(default=60.0, gt=0)
    restart_initial_s: float = Field(default=2.0, gt=0,
                                     description="first delay before a dead camera process is restarted")
    restart_max_s: float = Field(default=120.0, gt=0)
    upload_timeout_s: float = Field(default=30.0, gt=0)
    upload_retry_initial_s: float = Field(default=2.0, gt=0)
    upload_retry_max_s: float = Field(default=300.0, gt=0)

    @field_validator("service_url")
    @classmethod
    def _url(cls, v: str) -> str:
        if not v.startswith(("http://", "https://")):
            raise ValueError("service_url must start with http:// or https://")
        return v.rstrip("/")

    @model_validator(mode="after")
    def _backoff_ordering(self) -> "CameraWorkerSettings":
        for lo, hi in (("reconnect_initial_s", "reconnect_max_s"), ("restart_initial_s", "restart_max_s"),
                       ("upload_retry_initial_s", "upload_retry_max_s")):
            if getattr(self, lo) > getattr(self, hi):
                raise ValueError(f"{lo} must not exceed {hi}")
        return self
