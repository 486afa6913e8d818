"""The ``offences:`` section of config.yaml: the ladder, the counting window, the board, retention.

Flask-free: ``canteen.config`` imports this module and the camera worker imports ``canteen.config``.
"""
from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from canteen.settings.base import Strict

STEP_KINDS = ("warning", "exposure", "referral")
StepKind = Literal["warning", "exposure", "referral"]
WindowKind = Literal["rolling_12_months", "calendar_year"]
BoardField = Literal["name", "name_masked", "department", "canteen", "date", "snapshot", "count"]


def _default_board_fields() -> list[BoardField]:
    return ["name", "department", "date", "snapshot"]


def _default_steps() -> list[StepKind]:
    return ["warning", "exposure", "referral"]


class BoardSettings(Strict):
    """What the public exposure board shows and how often the screen reloads."""

    fields: list[BoardField] = Field(default_factory=_default_board_fields, min_length=1)
    refresh_seconds: int = Field(default=60, ge=10, le=3600)
    locale: str = Field(default="zh_Hans_CN", pattern=r"^(zh_Hans_CN|en)$")

    @field_validator("fields")
    @classmethod
    def _one_name_at_most(cls, value: list[str]) -> list[str]:
        if len(set(value)) != len(value):
            raise ValueError("a field is listed twice")
        # The full name next to its masked form would defeat the mask.
        if "name" in value and "name_masked" in value:
            raise ValueError("show either name or name_masked, not both")
        return value


class RetentionSettings(Strict):
    """How long evidence is kept."""

    # A dismissed event shows someone who did nothing wrong: privacy law wants its images kept only briefly.
    dismissed_media_days: int = Field(default=30, ge=0, le=3650)


class TriageSettings(Strict):
    """How the review queue treats visits that left no lasting change in the bin."""

    # Pending visits without a lasting change are closed by the system (as "not a dump") after this many
    # hours; 0 never closes them. Their evidence is then kept for retention.dismissed_media_days.
    close_unchanged_after_hours: int = Field(default=48, ge=0, le=24 * 365)


class ReferralSettings(Strict):
    """Where referral letters go and who signs them."""

    body_name: str = Field(default="纪检监察部门", min_length=1, max_length=200)
    body_address: str = Field(default="", max_length=500)
    sender: str = Field(default="机关事务中心后勤管理科", min_length=1, max_length=200)


class OffenceSettings(Strict):
    """The offender ladder: steps, counting window, exposure length, approvers, camera alerts, retention."""

    steps: list[StepKind] = Field(default_factory=_default_steps, min_length=1)
    window: WindowKind = "rolling_12_months"
    exposure_days: int = Field(default=7, ge=1, le=365)
    # Any step beyond a warning needs a second person's approval; these roles may give it.
    approver_roles: list[str] = Field(default_factory=lambda: ["admin", "reviewer", "discipline"],
                                      min_length=1)
    camera_silence_alert_minutes: int = Field(default=30, ge=1, le=10080)
    board: BoardSettings = BoardSettings()
    retention: RetentionSettings = RetentionSettings()
    triage: TriageSettings = TriageSettings()
    referral: ReferralSettings = ReferralSettings()

    @field_validator("steps")
    @classmethod
    def _steps_never_go_down(cls, value: list[str]) -> list[str]:
        # A milder step after a harsher one would let a repeat offender off more lightly than a first one.
        severity = [STEP_KINDS.index(step) for step in value]
        if severity != sorted(severity):
            raise ValueError("steps must not become milder (warning, then exposure, then referral)")
        return value

    @field_validator("approver_roles")
    @classmethod
    def _roles_may_approve(cls, value: list[str]) -> list[str]:
        # Imported here: the permission table lives with the models, which the config must not load eagerly.
        from canteen.core.permissions import PERMISSIONS

        allowed = PERMISSIONS["offences.approve"]
        wrong = [role for role in value if role not in allowed]
        if wrong:
            raise ValueError(f"{', '.join(wrong)} may not approve; choose from {', '.join(sorted(allowed))}")
        return value

    def step_for(self, count: int) -> str | None:
        """The ladder step that the ``count``-th counted offence reaches (the last step repeats)."""
        if count <= 0:
            return None
        return self.steps[min(count, len(self.steps)) - 1]
