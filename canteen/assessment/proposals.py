"""Deductions the service proposes from data; the assessor accepts each or overrides it with a reason.

- ledger completeness: served meals with no food-waste entry by the end of their day;
- spot re-weighs further off the ledger than the tolerance (one per check);
- plate waste per diner-meal over the baseline: the same month last year, else the season's average of the
  canteen's previous twelve months, in whole 5 % steps;
- findings of the month's spot checks, with the check as evidence.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from canteen.assessment.models import Assessment, ProposalDecision
from canteen.assessment.scoring import steps_for
from canteen.assessment.sheet import sheet_of
from canteen.config import AppConfig
from canteen.core.timeutil import add_months, month_days, month_end
from canteen.db import utcnow
from canteen.ledger.figures import first_food_waste_entries, month_series, serving_slots
from canteen.reference.models import Canteen
from canteen.assessment.spotchecks.models import SpotCheck
from canteen.assessment.spotchecks.services import reweigh_comparison


@dataclass
class Proposal:
    """A deduction suggested by data: the rule, the count and the figures behind it."""

    key: str
    source: str
    rule_code: str
    count: int
    detail: dict[str, Any] = field(default_factory=dict)
    spot_check_id: int | None = None
    ledger_day: date | None = None
    reference: str = ""
    excess_pct: float | None = None
    decision: ProposalDecision | None = None

    @property
    def needs_decision(self) -> bool:
        """A proposal that would deduct something must be accepted or overridden before submission."""
        return self.count > 0 and self.decision is None


def _end_of_day_utc(day: date, settings: AppConfig) -> datetime:
    # Midnight after the day in the canteen's zone: the entry is due before the local day ends.
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=settings.zone).astimezone(timezone.utc)


def missing_by_end_of_day(session: Session, settings: AppConfig, canteen: Canteen, month: date,
                          now: datetime | None = None
                          ) -> tuple[list[tuple[date, str]], list[tuple[date, str]]]:
    """Served meals of the month without a food-waste entry by the end of their day: (never entered, late)."""
    rows = first_food_waste_entries(session, canteen.id, month, month_end(month))
    first: dict[tuple[date, str], datetime] = {}
    for day, meal, source, created_at in rows:
        # Imported rows copy a paper ledger kept at the time; when they reached this system says nothing.
        stamp = datetime.min.replace(tzinfo=timezone.utc) if source == "import" else created_at
        # The aggregate may come back without the column's UTC marking; stored values are UTC.
        if stamp.tzinfo is None:
            stamp = stamp.replace(tzinfo=timezone.utc)
        key = (day, meal)
        first[key] = min(first.get(key, stamp), stamp)
    never, late = [], []
    current = now or utcnow()
    for slot in serving_slots(settings, canteen, month_days(month), now):
        if _end_of_day_utc(slot[0], settings) > current:
            continue  # the day is not over: its meals may still be entered in time
        if slot not in first:
            never.append(slot)
        elif first[slot] > _end_of_day_utc(slot[0], settings):
            late.append(slot)
    return never, late


def plate_baseline(session: Session, settings: AppConfig, canteen: Canteen, month: date,
                   now: datetime | None = None) -> tuple[float | None, str | None, list[str]]:
    """(baseline g per diner-meal, basis, months used): the same month last year, else the season's mean."""
    last_year = add_months(month, -12)
    season = settings.season_of(month.month)
    earlier = [add_months(month, -back) for back in range(1, 12)]
    # Only months of the same season: a summer month is not measured against a winter baseline.
    candidates = [item for item in earlier if season is not None and item.month in season.months]
    opened = [item for item in [last_year, *candidates] if month_end(item) >= canteen.opened_on]
    series = month_series(session, settings, [canteen], opened, now)[canteen.id]
    plate = {item: figures.plate_g_per_diner_meal for item, figures in series.items()}
    # Like with like first: the same month a year earlier; the season's average only when it is missing.
    if plate.get(last_year) is not None:
        return plate[last_year], "same_month_last_year", [last_year.strftime("%Y-%m")]
    found = {item: value for item in candidates if (value := plate.get(item)) is not None}
    if not found:
        return None, None, []
    return (round(sum(found.values()) / len(found), 1), "season_average",
            sorted(item.strftime("%Y-%m") for item in found))


def proposals_for(session: Session, settings: AppConfig, assessment: Assessment,
                  now: datetime | None = None) -> list[Proposal]:
    """Every proposal for the assessment's canteen-month, with the assessor's current decision if any."""
    sheet = sheet_of(assessment.sheet_version)
    canteen, month = assessment.canteen, assessment.month
    proposals: list[Proposal] = []
    found = sheet.rule_for_source("ledger_missing")
    if found is not None:
        never, late = missing_by_end_of_day(session, settings, canteen, month, now)
        # A late entry counts like a missing one: the rule asks for it by the end of the meal's day.
        slots = sorted(never + late)
        proposals.append(Proposal(
            key="ledger_missing", source="ledger_missing", rule_code=found[1].code, count=len(slots),
            detail={"missing": [f"{day.isoformat()} {meal}" for day, meal in never],
                    "late": [f"{day.isoformat()} {meal}" for day, meal in late]},
            ledger_day=slots[0][0] if slots else None, reference=f"ledger {month:%Y-%m}"))
    found = sheet.rule_for_source("plate_baseline")
    if found is not None:
        this = month_series(session, settings, [canteen], [month], now)[canteen.id][month]
        current = this.plate_g_per_diner_meal
        baseline, basis, used = plate_baseline(session, settings, canteen, month, now)
        excess = None
        # A zero baseline has no percentage excess. The excess is rounded as the assessor sees it, so the
        # steps follow from the figure shown.
        if current is not None and baseline:
            excess = round((current - baseline) * 100 / baseline, 1)
        proposals.append(Proposal(
            key="plate_baseline", source="plate_baseline", rule_code=found[1].code,
            count=steps_for(excess) if excess is not None else 0,
            detail={"plate_g_per_diner_meal": current, "baseline_g": baseline, "basis": basis,
                    "baseline_months": used, "excess_pct": excess},
            reference=f"ledger {month:%Y-%m}", excess_pct=excess))
    checks = session.scalars(select(SpotCheck).where(
        SpotCheck.canteen_id == canteen.id, SpotCheck.day >= month, SpotCheck.day <= month_end(month))
        .order_by(SpotCheck.day, SpotCheck.id)).all()
    found = sheet.rule_for_source("reweigh")
    if found is not None:
        tolerance = settings.assessment.spot_checks.reweigh_tolerance_pct
        for check in checks:
            flagged = [row for row in reweigh_comparison(session, settings, check) if row.beyond]
            # One occurrence per check, however many of its streams are off.
            if flagged:
                proposals.append(Proposal(
                    key=f"reweigh:{check.id}", source="reweigh", rule_code=found[1].code, count=1,
                    detail={"check": check.id, "day": check.day.isoformat(), "meal": check.meal_code,
                            "tolerance_pct": tolerance,
                            "streams": [row.as_dict() for row in flagged]},
                    spot_check_id=check.id))
    for check in checks:
        for finding in check.findings:
            # A check recorded under another sheet version may cite a rule this month's sheet lacks.
            if sheet.rule(finding.rule_code) is None:
                continue
            proposals.append(Proposal(
                key=f"finding:{finding.id}", source="finding", rule_code=finding.rule_code,
                count=finding.count,
                detail={"check": check.id, "day": check.day.isoformat(), "meal": check.meal_code,
                        "note": finding.note},
                spot_check_id=check.id))
    decisions = {decision.key: decision for decision in assessment.decisions if not decision.superseded}
    for proposal in proposals:
        proposal.decision = decisions.get(proposal.key)
    return proposals


def undecided_proposals(session: Session, settings: AppConfig, assessment: Assessment,
                        now: datetime | None = None) -> list[Proposal]:
    """Proposals that would deduct points and have no decision yet."""
    return [proposal for proposal in proposals_for(session, settings, assessment, now)
            if proposal.needs_decision]


def proposal_as_dict(proposal: Proposal) -> dict[str, Any]:
    """The JSON shape of a proposal."""
    decision = proposal.decision
    return {"key": proposal.key, "source": proposal.source, "rule": proposal.rule_code,
            "count": proposal.count, "detail": proposal.detail, "spot_check": proposal.spot_check_id,
            "decision": None if decision is None else {
                "accepted": decision.accepted, "count": decision.decided_count, "reason": decision.reason,
                "by": decision.decided_by.username, "at": decision.decided_at.isoformat()}}
