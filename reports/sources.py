"""Figures from the features a report draws on but does not own: the caterer's assessment, spot checks and
rectifications (``canteen.assessment``, ``canteen.assessment.spotchecks``) and the offence ladder
(``canteen.offences``).

Those features always ship with the service and are imported normally. A database without their tables
(not migrated yet) makes a function answer None, so the report says 'no data' instead of pretending to a zero.
Nothing here names a diner.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, time, timezone
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, inspect, select
from sqlalchemy.orm import Session, contains_eager, lazyload

from canteen.assessment.assessments import score_of
from canteen.assessment.models import Assessment
from canteen.assessment.sheet import sheet_of
from canteen.camera_events.models import CameraEvent
from canteen.config import AppConfig
from canteen.offences.models import Escalation, Offence
from canteen.assessment.spotchecks import services as spotcheck_services
from canteen.assessment.spotchecks.models import SpotCheck, SpotCheckFinding
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


def has_tables(session: Session, *names: str) -> bool:
    """True when every named table exists in the database the session talks to."""
    inspector = inspect(session.connection())
    return all(inspector.has_table(name) for name in names)


def _local_bounds(settings: AppConfig, month: date) -> tuple[datetime, datetime]:
    zone = settings.zone
    return (datetime.combine(month, time(0), tzinfo=zone).astimezone(timezone.utc),
            datetime.combine(add_months(month, 1), time(0), tzinfo=zone).astimezone(timezone.utc))


def caterer_scores(session: Session, canteen_ids: list[int], months: list[date]) -> dict[date, float] | None:
    """The caterer's monthly total (mean of the canteens' submitted assessments); None without its tables."""
    if not has_tables(session, "assessment") or not canteen_ids or not months:
        return None
    # A score needs the lines and the sheet version only: the history the model loads eagerly is left out.
    rows = session.scalars(select(Assessment).where(
        Assessment.canteen_id.in_(canteen_ids), Assessment.month.in_(months),
        Assessment.status != "draft").options(
            lazyload(Assessment.revisions), lazyload(Assessment.decisions),
            lazyload(Assessment.contractor))).all()
    totals: dict[date, list[float]] = {}
    for assessment in rows:
        totals.setdefault(assessment.month, []).append(float(score_of(assessment).total))
    return {month: round(sum(values) / len(values), 1) for month, values in totals.items()}


def score_bands(settings: AppConfig) -> list[tuple[float, str]] | None:
    """The configured grade bands (lower bound, name), highest first; None without the assessment feature."""
    section = getattr(settings, "assessment", None)
    if section is None:
        return None
    return [(float(band.min_score), local_name(band))
            for band in sorted(section.bands, key=lambda band: band.min_score, reverse=True)]


def spot_checks(session: Session, canteen_ids: list[int], month: date) -> list[SpotCheckLine] | None:
    """The month's spot checks with their findings; None without the spot-check tables."""
    if not has_tables(session, "spot_check"):
        return None
    # The findings come with the checks (selectin); the re-weighs, photos and inspector are not shown here.
    checks = session.scalars(select(SpotCheck).where(
        SpotCheck.canteen_id.in_(canteen_ids), SpotCheck.day >= month,
        SpotCheck.day <= month_end(month)).order_by(SpotCheck.day, SpotCheck.id)
        .options(*_unshown_check_parts(SpotCheck))).all()
    lines = []
    for check in checks:
        sheet = sheet_of(check.sheet_version)
        names = [_rule_name(sheet, finding.rule_code) + (f" ×{finding.count}" if finding.count > 1 else "")
                 for finding in check.findings]
        response = {"signed": _("signed by the caterer"), "disputed": _("disputed by the caterer")}.get(
            check.contractor_response or "", _("not yet answered by the caterer"))
        lines.append(SpotCheckLine(check.day, local_name(check.canteen),
                                   "; ".join(names) if names else _("no finding"), response))
    return lines


def _unshown_check_parts(check: type[SpotCheck]) -> list[Any]:
    """Loader options leaving out the parts of a spot check the report does not show."""
    return [lazyload(check.reweighs), lazyload(check.photos), lazyload(check.inspector)]


def _rule_name(sheet: Any, code: str) -> str:
    found = sheet.rule(code)
    if found is None:
        return code
    return found[1].name_en if english() else found[1].name_zh


def rectifications(session: Session, canteen_ids: list[int], month: date) -> list[RectificationLine] | None:
    """Rectifications ordered during the month or still open at its end; None without its tables."""
    if not has_tables(session, "spot_check_finding"):
        return None
    finding, check = SpotCheckFinding, SpotCheck
    last = month_end(month)
    # Each finding's check comes from the join itself: one query, not one more per check.
    rows = session.scalars(select(finding).join(finding.check).where(
        check.canteen_id.in_(canteen_ids), finding.rectify_by.is_not(None), check.day <= last)
        .order_by(finding.rectify_by, finding.id)
        .options(contains_eager(finding.check).options(*_unshown_check_parts(check)))).all()
    lines = []
    for row in rows:
        due = row.rectify_by
        assert due is not None  # the query keeps only findings with a deadline
        closed_day = row.closed_at.date() if row.closed_at else None
        ordered_this_month = row.check.day >= month
        # An order from an earlier month is listed until the month it is closed in.
        if not ordered_this_month and closed_day is not None and closed_day < month:
            continue
        # The status as of the month's last day: the report describes that month, whenever it is produced.
        if closed_day is not None and closed_day <= last:
            status = _("closed on %(day)s", day=closed_day.isoformat())
        elif due < last:
            status = _("open, overdue")
        else:
            status = _("open")
        subject = _rule_name(sheet_of(row.check.sheet_version), row.rule_code)
        lines.append(RectificationLine(local_name(row.check.canteen), subject, due, status))
    return lines


def offences_by_step(session: Session, settings: AppConfig, canteen_ids: list[int],
                     month: date) -> dict[str, int] | None:
    """Confirmed offences of the month and the ladder steps they led to (counts only, nobody named)."""
    if not has_tables(session, "offence", "escalation"):
        return None
    since, until = _local_bounds(settings, month)
    offence, event = Offence, CameraEvent
    offences = session.scalar(select(func.count()).select_from(offence)
                              .join(event, event.id == offence.event_id)
                              .where(event.canteen_id.in_(canteen_ids), offence.occurred_at >= since,
                                     offence.occurred_at < until, offence.withdrawn_at.is_(None),
                                     offence.annulled_at.is_(None)))
    steps = dict(session.execute(
        select(Escalation.step, func.count()).join(Offence, Offence.id == Escalation.offence_id)
        .join(CameraEvent, CameraEvent.id == Offence.event_id)
        .where(CameraEvent.canteen_id.in_(canteen_ids), Escalation.created_at >= since,
               Escalation.created_at < until, Escalation.status.not_in(NOT_STANDING))
        .group_by(Escalation.step)).all())
    return {"offences": int(offences or 0), **{step: int(steps.get(step, 0)) for step in STEPS}}


def open_rectification_count(session: Session, settings: AppConfig, actor: Any,
                             canteen_ids: list[int]) -> int | None:
    """Open rectifications the actor may see in these canteens; None without the spot-check tables."""
    if not has_tables(session, "spot_check_finding"):
        return None
    findings = spotcheck_services.rectifications(session, settings, actor, "open")
    return sum(1 for finding in findings if finding.check.canteen_id in canteen_ids)


def rectifications_endpoint() -> str | None:
    """The endpoint of the page listing open rectifications."""
    return "spotchecks.rectifications_page"
