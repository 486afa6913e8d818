"""The chain of an assessment: each submitted or amended revision, linked to the one before it.

Hashed: the revision (number, reason, totals, grade, fee, the snapshot of every line) with who and when, and
the month it scores (contractor, canteen, month, sheet version). Left out: the assessment's workflow columns
(status, response, answer), which its audit trail records, and the lines themselves, whose state at each
revision the snapshot already holds.
"""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from canteen.assessment.models import AssessmentRevision
from canteen.chain.links import ChainedKind, LinkFacts, append


def _facts(revision: AssessmentRevision) -> LinkFacts:
    assessment = revision.assessment
    return LinkFacts(
        stream=f"assessment:{assessment.id}", canteen_id=assessment.canteen_id, month=assessment.month,
        actor_id=revision.created_by_id, at=revision.created_at,
        record={"assessment": assessment.id, "contractor": assessment.contractor_id,
                "canteen": assessment.canteen_id, "month": assessment.month,
                "sheet_version": assessment.sheet_version_id, "number": revision.number,
                "reason": revision.reason, "total_x100": revision.total_x100, "grade": revision.grade,
                "fee_fen": revision.fee_fen, "snapshot": revision.snapshot, "by": revision.created_by_id,
                "at": revision.created_at})


# Not serialised: two revisions of one assessment at once are two people acting on it, and one must lose.
ASSESSMENT_REVISION = ChainedKind(
    "assessment_revision", AssessmentRevision, _facts,
    lambda: select(AssessmentRevision).options(joinedload(AssessmentRevision.assessment)))
KINDS = (ASSESSMENT_REVISION,)


def link_assessment_revision(session: Session, revision: AssessmentRevision) -> None:
    """Chain a new revision of an assessment; a second revision at the same moment gets a 409."""
    append(session, ASSESSMENT_REVISION, revision)
