"""The validated shape of ``config.yaml``; parsed once at start-up, Flask-free."""
from __future__ import annotations

import os
from datetime import date, time
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator, model_validator

from camera.config import CameraSettings, CameraWorkerSettings
from camera.configfile import DEFAULT_CONFIG_PATH, ConfigError, read_config_file, validate_mapping
from canteen.settings.assessment import AssessmentSettings
from canteen.settings.base import CODE_PATTERN, Strict
from canteen.settings.offences import OffenceSettings
from canteen.settings.reports import ReportSettings
from canteen.settings.security import SecuritySettings

__all__ = ["AppConfig", "CODE_PATTERN", "ConfigError", "DEFAULT_CONFIG_PATH", "Strict", "load_config",
           "parse_config", "SecuritySettings"]


class MealSettings(Strict):
    """A meal and its serving window in local time."""

    code: str = Field(pattern=CODE_PATTERN)
    name_zh: str = Field(min_length=1)
    name_en: str = Field(min_length=1)
    start: time
    end: time

    @model_validator(mode="after")
    def _window_is_ordered(self) -> "MealSettings":
        if self.end <= self.start:
            raise ValueError("end must be after start")
        return self


class StreamSettings(Strict):
    """A waste stream; ``food_waste: false`` keeps it out of the food-waste total (grease)."""

    code: str = Field(pattern=CODE_PATTERN)
    name_zh: str = Field(min_length=1)
    name_en: str = Field(min_length=1)
    food_waste: bool = True


class UnitSettings(Strict):
    """A weighing unit and its exact size in grams."""

    code: str = Field(pattern=r"^[a-z]{1,8}$")
    # Whole grams (1 斤 = 500 g exactly): weights are stored as integer grams, so a conversion never rounds.
    grams: int = Field(gt=0)
    name_zh: str = Field(min_length=1)
    name_en: str = Field(min_length=1)


class CanteenSettings(Strict):
    """A canteen run by the centre."""

    code: str = Field(pattern=CODE_PATTERN)
    name_zh: str = Field(min_length=1)
    name_en: str = Field(min_length=1)
    opened_on: date
    meals: list[str] | None = None
    serving_weekdays: list[int] = Field(default=[1, 2, 3, 4, 5, 6, 7], min_length=1)
    diners: int | None = Field(default=None, gt=0)

    @field_validator("serving_weekdays")
    @classmethod
    def _weekdays_in_range(cls, value: list[int]) -> list[int]:
        if any(day < 1 or day > 7 for day in value):
            raise ValueError("weekdays are 1 (Monday) to 7 (Sunday)")
        return sorted(set(value))


class SeasonSettings(Strict):
    """A season for 'by season' views: its months and names."""

    code: str = Field(pattern=CODE_PATTERN)
    name_zh: str
    name_en: str
    months: list[int] = Field(min_length=1)

    @field_validator("months")
    @classmethod
    def _months_in_range(cls, value: list[int]) -> list[int]:
        if any(month < 1 or month > 12 for month in value):
            raise ValueError("months are 1 to 12")
        return value


class LedgerSettings(Strict):
    """Limits and checks on ledger entries."""

    max_entry_kg: float = Field(default=500, gt=0, le=100_000)
    outlier_weeks: int = Field(default=4, ge=1, le=52)
    outlier_factor: float = Field(default=1.5, ge=1)
    max_upload_mb: float = Field(default=5, gt=0, le=200)


class AppConfig(Strict):
    """The whole configuration file."""

    timezone: str = "Asia/Shanghai"
    default_locale: str = Field(default="zh_Hans_CN", pattern=r"^(zh_Hans_CN|en)$")
    canteens: list[CanteenSettings] = Field(min_length=1)
    meals: list[MealSettings] = Field(min_length=1)
    streams: list[StreamSettings] = Field(min_length=1)
    units: list[UnitSettings] = Field(min_length=1)
    seasons: list[SeasonSettings] = Field(default_factory=list)
    ledger: LedgerSettings = LedgerSettings()
    security: SecuritySettings = SecuritySettings()
    cameras: list[CameraSettings] = Field(default_factory=list)
    camera_worker: CameraWorkerSettings = CameraWorkerSettings()
    assessment: AssessmentSettings = AssessmentSettings()
    offences: OffenceSettings = OffenceSettings()
    reports: ReportSettings = ReportSettings()

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        # Checked here so that a typo stops start-up rather than the first date computed in the zone.
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    @model_validator(mode="after")
    def _references_resolve(self) -> "AppConfig":
        for name, items in (("canteens", self.canteens), ("meals", self.meals),
                            ("streams", self.streams), ("units", self.units),
                            ("seasons", self.seasons), ("cameras", self.cameras)):
            # Cameras are known by their id, everything else by its code.
            codes = [getattr(item, "code", None) or getattr(item, "id") for item in items]
            duplicates = sorted({code for code in codes if codes.count(code) > 1})
            if duplicates:
                raise ValueError(f"{name}: duplicate code {', '.join(duplicates)}")
        meal_codes = {meal.code for meal in self.meals}
        for index, canteen in enumerate(self.canteens):
            unknown = set(canteen.meals or []) - meal_codes
            if unknown:
                raise ValueError(f"canteens.{index}.meals: unknown meal {', '.join(sorted(unknown))}")
        canteen_codes = {canteen.code for canteen in self.canteens}
        for index, camera in enumerate(self.cameras):
            if camera.canteen not in canteen_codes:
                raise ValueError(f"cameras.{index}.canteen: unknown canteen {camera.canteen!r}")
        # A month in two seasons, or in none, would be counted twice, or never, in the by-season views.
        if self.seasons:
            months = sorted(month for season in self.seasons for month in season.months)
            if months != list(range(1, 13)):
                raise ValueError("seasons: every month must belong to exactly one season")
        return self

    @property
    def zone(self) -> ZoneInfo:
        """The configured time zone."""
        return ZoneInfo(self.timezone)

    def canteen(self, code: str) -> CanteenSettings | None:
        """The canteen with this code, if configured."""
        return next((item for item in self.canteens if item.code == code), None)

    def unit(self, code: str) -> UnitSettings | None:
        """The unit with this code, if configured."""
        return next((item for item in self.units if item.code == code), None)

    def meals_of(self, canteen: CanteenSettings) -> list[MealSettings]:
        """The meals a canteen serves, in configured order."""
        wanted = set(canteen.meals) if canteen.meals else None
        return [meal for meal in self.meals if wanted is None or meal.code in wanted]

    def season_of(self, month: int) -> SeasonSettings | None:
        """The season a month belongs to."""
        return next((season for season in self.seasons if month in season.months), None)


def parse_config(data: Any, source: str = "config") -> AppConfig:
    """Validate already-parsed YAML data; raise ConfigError naming the failing key path."""
    return validate_mapping(AppConfig, data, source)


def load_config(path: str | os.PathLike[str] | None = None) -> AppConfig:
    """Read and validate the configuration file."""
    resolved, data = read_config_file(path)
    return parse_config(data, str(resolved))
