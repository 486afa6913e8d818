"""Figures from the features a report draws on but does not own: the caterer's assessment, spot checks and
rectifications (``canteen.assessment``, ``canteen.spotchecks``) and the offence ladder (``canteen.offences``).

They are imported defensively: without the feature (or its tables) a function answers None, so the report
says 'no data' instead of pretending to a zero. Nothing here names a diner.
"""
from __future__ import annotations

import importlib
import logging
from dataclasses import dataclass
from datetime import date, datetime, time, timezone
from types import ModuleType
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, inspect, select
from sqlalchemy.orm import Session

from canteen.config import AppConfig
from canteen.core.timeutil import add_months, month_end
from reports.labels import english, local_name

log = logging.getLogger(__name__)
STEPS = ("warning", "exposure", "referral")
# Escalations in these states did not stand (a later recount, a withdrawal, an appeal or a refusal).
NOT_STANDING = ("superseded", "withdrawn", "annulled", "rejected")


@dataclass
class SpotCheckLine:
    """One spot check of the month: when, where, what was found, whether the caterer signed."""

    day: date
    canteen: str
    finding: str
    status: str


@dataclass
class RectificationLine:
    """One rectification order: what, until when, and whether it is closed."""

    canteen: str
    subject: str
    due: date | None
    status: str


def optional_module(name: str) -> ModuleType | None:
    """Import a feature module if it is installed; None otherwise (a broken module still raises)."""
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name and (name == exc.name or name.startswith(exc.name + ".")):
            return None
        raise


def has_tables(session: Session, *names: str) -> bool:
    """True when every named table exists in the database the session talks to."""
    inspector = inspect(session.connection())
    return all(inspector.has_table(name) for name in names)


def _available(session: Session, modules: tuple[str, ...],
               tables: tuple[str, ...]) -> list[ModuleType] | None:
    loaded = [optional_module(name) for name in modules]
    if any(module is None for module in loaded) or not has_tables(session, *tables):
        return None
    return loaded  # type: ignore[return-value]


def _local_bounds(settings: AppConfig, month: date) -> tuple[datetime, datetime]:
    zone = settings.zone
    return (datetime.combine(month, time(0), tzinfo=zone).astimezone(timezone.utc),
            datetime.combine(add_months(month, 1), time(0), tzinfo=zone).astimezone(timezone.utc))


def caterer_scores(session: Session, canteen_ids: list[int], months: list[date]) -> dict[date, float] | None:
    """The caterer's monthly total (mean of the canteens' submitted assessments); None without the feature."""
    loaded = _available(session, ("canteen.assessment.models", "canteen.assessment.assessments"),
                        ("assessment",))
    if loaded is None or not canteen_ids or not months:
        return None
    models, assessments = loaded
    rows = session.scalars(select(models.Assessment).where(
        models.Assessment.canteen_id.in_(canteen_ids), models.Assessment.month.in_(months),
        models.Assessment.status != "draft")).all()
    totals: dict[date, list[float]] = {}
    for assessment in rows:
        totals.setdefault(assessment.month, []).append(float(assessments.score_of(assessment).total))
    return {month: round(sum(values) / len(values), 1) for month, values in totals.items()}


def score_bands(settings: AppConfig) -> list[tuple[float, str]] | None:
    """The configured grade bands (lower bound, name), highest first; None without the assessment feature."""
    section = getattr(settings, "assessment", None)
    if section is None:
        return None
    return [(float(band.min_score), local_name(band))
            for band in sorted(section.bands, key=lambda band: band.min_score, reverse=True)]


def spot_checks(session: Session, canteen_ids: list[int], month: date) -> list[SpotCheckLine] | None:
    """The month's spot checks with their findings; None without the spot-check feature."""
    loaded = _available(session, ("canteen.spotchecks.models", "canteen.assessment.sheet"), ("spot_check",))
    if loaded is None:
        return None
    models, sheet_module = loaded
    checks = session.scalars(select(models.SpotCheck).where(
        models.SpotCheck.canteen_id.in_(canteen_ids), models.SpotCheck.day >= month,
        models.SpotCheck.day <= month_end(month)).order_by(models.SpotCheck.day, models.SpotCheck.id)).all()
    lines = []
    for check in checks:
        sheet = sheet_module.sheet_of(check.sheet_version)
        names = [_rule_name(sheet, finding.rule_code) + (f" ×{finding.count}" if finding.count > 1 else "")
                 for finding in check.findings]
        response = {"signed": _("signed by the caterer"), "disputed": _("disputed by the caterer")}.get(
            check.contractor_response or "", _("not yet answered by the caterer"))
        lines.append(SpotCheckLine(check.day, local_name(check.canteen),
                                   "; ".join(names) if names else _("no finding"), response))
    return lines


def _rule_name(sheet: Any, code: str) -> str:
    found = sheet.rule(code)
    if found is None:
        return code
    return found[1].name_en if english() else found[1].name_zh


def rectifications(session: Session, canteen_ids: list[int], month: date) -> list[RectificationLine] | None:
    """Rectifications ordered during the month or still open at its end; None without the feature."""
    loaded = _available(session, ("canteen.spotchecks.models", "canteen.assessment.sheet"),
                        ("spot_check_finding",))
    if loaded is None:
        return None
    models, sheet_module = loaded
    finding, check = models.SpotCheckFinding, models.SpotCheck
    last = month_end(month)
    rows = session.scalars(select(finding).join(check, check.id == finding.check_id).where(
        check.canteen_id.in_(canteen_ids), finding.rectify_by.is_not(None), check.day <= last)
        .order_by(finding.rectify_by, finding.id)).all()
    lines = []
    for row in rows:
        closed_day = row.closed_at.date() if row.closed_at else None
        ordered_this_month = row.check.day >= month
        if not ordered_this_month and closed_day is not None and closed_day < month:
            continue
        if closed_day is not None and closed_day <= last:
            status = _("closed on %(day)s", day=closed_day.isoformat())
        elif row.rectify_by < last:
            status = _("open, overdue")
        else:
            status = _("open")
        subject = _rule_name(sheet_module.sheet_of(row.check.sheet_version), row.rule_code)
        lines.append(RectificationLine(local_name(row.check.canteen), subject, row.rectify_by, status))
    return lines


def offences_by_step(session: Session, settings: AppConfig, canteen_ids: list[int],
                     month: date) -> dict[str, int] | None:
    """Confirmed offences of the month and the ladder steps they led to (counts only, nobody named)."""
    loaded = _available(session, ("canteen.offences.models", "canteen.camera_events.models"),
                        ("offence", "escalation"))
    if loaded is None:
        return None
    models, events = loaded
    since, until = _local_bounds(settings, month)
    offence, event = models.Offence, events.CameraEvent
    offences = session.scalar(select(func.count()).select_from(offence)
                              .join(event, event.id == offence.event_id)
                              .where(event.canteen_id.in_(canteen_ids), offence.occurred_at >= since,
                                     offence.occurred_at < until, offence.withdrawn_at.is_(None),
                                     offence.annulled_at.is_(None)))
    steps = dict(session.execute(
        select(models.Escalation.step, func.count()).join(models.Offence,
                                                          models.Offence.id == models.Escalation.offence_id)
        .join(events.CameraEvent, events.CameraEvent.id == models.Offence.event_id)
        .where(events.CameraEvent.canteen_id.in_(canteen_ids), models.Escalation.created_at >= since,
               models.Escalation.created_at < until, models.Escalation.status.not_in(NOT_STANDING))
        .group_by(models.Escalation.step)).all())
    return {"offences": int(offences or 0), **{step: int(steps.get(step, 0)) for step in STEPS}}


def open_rectification_count(session: Session, settings: AppConfig, actor: Any,
                             canteen_ids: list[int]) -> int | None:
    """Open rectifications the actor may see in these canteens; None without the spot-check feature."""
    services = optional_module("canteen.spotchecks.services")
    if services is None or not has_tables(session, "spot_check_finding"):
        return None
    findings = services.rectifications(session, settings, actor, "open")
    return sum(1 for finding in findings if finding.check.canteen_id in canteen_ids)


def rectifications_endpoint() -> str | None:
    """The endpoint of the page listing open rectifications, when that feature is installed."""
    return "spotchecks.rectifications_page" if optional_module("canteen.spotchecks.web") else None
