"""A contractor's year: monthly totals, grades, fees, deductions by item and the waste trend of its canteens.

This is the anti-waste record the centre attaches to the next tender.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy.orm import Session

from canteen.assessment.assessments import list_assessments, score_of, sheet_for
from canteen.assessment.contractors import get_visible_contractor
from canteen.assessment.models import Assessment, Contractor
from canteen.assessment.scoring import ZERO, ScoreCard
from canteen.auth.models import User
from canteen.config import AppConfig
from canteen.core.permissions import can_access_canteen
from canteen.core.timeutil import local_today, month_end
from canteen.ledger.figures import month_series
from canteen.reference.models import Canteen
from canteen.settings.assessment import BandSettings, ItemSettings


@dataclass
class SummaryMonth:
    """One canteen-month of the year: its assessment (if any) and its ledger figures."""

    month: date
    canteen: Canteen
    assessment: Assessment | None = None
    card: ScoreCard | None = None
    waste_kg: float | None = None
    plate_g: float | None = None
    missing_meals: int | None = None

    @property
    def total(self) -> Decimal | None:
        """The month's total, None when not assessed."""
        return self.card.total if self.card else None

    @property
    def band(self) -> BandSettings | None:
        """The month's grade band."""
        return self.card.band if self.card else None


@dataclass
class YearSummary:
    """Everything the year summary page, Excel and PDF show."""

    contractor: Contractor
    year: int
    canteens: list[Canteen]
    months: list[SummaryMonth]
    items: list[ItemSettings]
    deducted: dict[str, dict[date, Decimal]] = field(default_factory=dict)

    @property
    def assessed(self) -> list[SummaryMonth]:
        """The months with a submitted (or later) assessment."""
        return [month for month in self.months if month.card is not None]

    @property
    def average(self) -> Decimal | None:
        """The mean of the assessed months' totals, two decimals."""
        totals = [month.card.total for month in self.assessed if month.card]
        if not totals:
            return None
        return (sum(totals, ZERO) / len(totals)).quantize(Decimal("0.01"))

    @property
    def fee_fen(self) -> int:
        """The fees payable over the assessed months."""
        return sum(month.card.fee_fen for month in self.assessed if month.card)

    @property
    def base_fee_fen(self) -> int:
        """The contract fees of the assessed months."""
        return sum(month.card.base_fee_fen for month in self.assessed if month.card)

    def grade_counts(self) -> list[tuple[BandSettings, int]]:
        """How many months fell in each band, best band first."""
        counts: dict[str, tuple[BandSettings, int]] = {}
        for month in self.assessed:
            if month.band is not None:
                band, count = counts.get(month.band.code, (month.band, 0))
                counts[band.code] = (band, count + 1)
        return sorted(counts.values(), key=lambda pair: -pair[0].min_score)

    def item_total(self, code: str) -> Decimal:
        """Points an item lost over the year."""
        return sum(self.deducted.get(code, {}).values(), ZERO)

    def rows_of(self, canteen: Canteen) -> list[SummaryMonth]:
        """The twelve months of one canteen."""
        return [month for month in self.months if month.canteen.id == canteen.id]


def year_summary(session: Session, settings: AppConfig, actor: User, contractor_id: object, year: int,
                 now: datetime | None = None) -> YearSummary:
    """Collect a contractor's year as the actor may see it (drafts are not results and are left out)."""
    contractor = get_visible_contractor(session, actor, contractor_id)
    canteens = [link.canteen for link in contractor.canteens if can_access_canteen(actor, link.canteen)]
    assessments = {(item.canteen_id, item.month): item for item in list_assessments(
        session, actor, contractor.id, year) if item.status != "draft"}
    today = local_today(settings.zone, now)
    months: list[SummaryMonth] = []
    deducted: dict[str, dict[date, Decimal]] = {}
    # The sheet in force first, then any item only an older sheet version had, so no deduction goes unlisted.
    items: dict[str, ItemSettings] = {item.code: item for item in settings.assessment.items}
    for canteen in canteens:
        year_months = [date(year, number, 1) for number in range(1, 13)]
        # Ledger figures only for months under contract, begun and after the canteen opened: the others
        # are not this contractor's waste (or not waste yet).
        ledger_months = [month for month in year_months
                         if contractor.starts_on <= month_end(month) and month <= contractor.ends_on
                         and month <= today and month_end(month) >= canteen.opened_on]
        by_month = month_series(session, settings, [canteen], ledger_months, now)[canteen.id]
        for month in year_months:
            row = SummaryMonth(month, canteen)
            assessment = assessments.get((canteen.id, month))
            if assessment is not None:
                row.assessment, row.card = assessment, score_of(assessment)
                for item in sheet_for(assessment).items:
                    items.setdefault(item.code, item)
                # Summed per month over the contractor's canteens, for the table of deductions by item.
                for item_score in row.card.items:
                    per_month = deducted.setdefault(item_score.item.code, {})
                    per_month[month] = per_month.get(month, ZERO) + item_score.deducted
            figures = by_month.get(month)
            if figures is not None:
                # A month nobody weighed has no waste figure, not a figure of zero.
                if figures.weighed:
                    row.waste_kg = round(figures.total_kg, 1)
                    row.plate_g = figures.plate_g_per_diner_meal
                row.missing_meals = figures.missing_slots
            months.append(row)
    return YearSummary(contractor, year, canteens, months, list(items.values()), deducted)
