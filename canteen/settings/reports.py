"""The ``reports:`` section of config.yaml: targets, report and check times, backups, the scheduler."""
from __future__ import annotations

from datetime import time

from pydantic import Field, model_validator

from canteen.settings.base import Strict


class SchedulerSettings(Strict):
    """How the scheduler process treats late and missed runs."""

    misfire_grace_minutes: int = Field(default=60, ge=1, le=24 * 60)
    catch_up: bool = True
    retention_time: time = time(3, 0)
    backup_time: time = time(2, 30)
    # The nightly re-computation of every history chain (canteen verify).
    verify_time: time = time(2, 0)
    spot_check_draw_day: int = Field(default=1, ge=1, le=28)
    spot_check_draw_time: time = time(6, 30)


class ReportSettings(Strict):
    """Targets the charts compare with, when the report and check jobs run, and what they keep."""

    target_plate_g: float = Field(default=50.0, gt=0, le=1000)
    baseline_plate_g: float | None = Field(default=None, gt=0, le=1000)
    # Days up to 28 only (here and for the spot-check draw): every month has them, February included.
    report_day: int = Field(default=1, ge=1, le=28)
    report_hour: int = Field(default=5, ge=0, le=23)
    evening_check: time = time(20, 30)
    backup_keep: int = Field(default=14, ge=1, le=1000)
    chart_months: int = Field(default=13, ge=2, le=60)
    top_dishes: int = Field(default=10, ge=1, le=50)
    # Each chart is drawn once as PNG (page, PDF, download); an SVG copy is a second drawing of every chart.
    chart_svg: bool = False
    scheduler: SchedulerSettings = SchedulerSettings()

    @model_validator(mode="after")
    def _baseline_above_target(self) -> "ReportSettings":
        # The baseline is the level waste is to be brought down from, so the target cannot lie above it.
        if self.baseline_plate_g is not None and self.baseline_plate_g < self.target_plate_g:
            raise ValueError("baseline_plate_g must not be below target_plate_g")
        return self
