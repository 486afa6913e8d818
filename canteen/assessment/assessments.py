"""The monthly assessment: open a draft, add or withdraw lines, then submit, respond, amend, answer, finalize.

Every change is appended (lines are withdrawn, never deleted; each submission or amendment is a revision)
and written to the audit trail with who, when and what.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, Mapping

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from canteen.assessment import audit
from canteen.assessment.access import may_see_assessment, require, visible_assessment
from canteen.assessment.chained import link_assessment_revision
from canteen.assessment.contractors import get_visible_contractor, linked_contractor_id
from canteen.assessment.media import store_image
from canteen.assessment.models import Assessment, AssessmentLine, AssessmentRevision, Contractor
from canteen.assessment.proposals import undecided_proposals
from canteen.assessment.scoring import LineValue, ScoreCard, dec, points_text, score_month, steps_for
from canteen.assessment.sheet import current_sheet_version, sheet_of
from canteen.auth.models import User
from canteen.config import AppConfig
from canteen.core.errors import Conflict, FieldErrors, InvalidInput, NotFound
from canteen.core.timeutil import add_months, local_today, month_end, month_start, parse_month
from canteen.core.validation import as_id, clean_text, parse_day, parse_decimal, parse_int
from canteen.db import compare_and_set, stored_unless_duplicate, utcnow
from canteen.reference.validation import resolve_canteen
from canteen.settings.assessment import FULL_MARKS, SheetSettings
from canteen.assessment.spotchecks.models import SpotCheck

# Only a draft or an open amendment takes line changes: a submitted month is what the caterer was shown.
EDITABLE = ("draft", "amending")
# A sanity bound: a typo such as 10000 occurrences must be refused, not scored.
MAX_COUNT = 1000
# An excess over the baseline of ten times the baseline: beyond it, a typo rather than a measurement.
MAX_EXCESS_PCT = 1000


@dataclass(frozen=True)
class LineRule:
    """What a line's code names in the sheet: a rule of an item, a veto or a bonus."""

    kind: str
    code: str
    item_code: str | None
    per: str
    points: float
    evidence_required: bool
    name_zh: str
    name_en: str


def resolve_code(sheet: SheetSettings, code: str) -> LineRule | None:
    """The rule, veto or bonus a code names in ``sheet``."""
    found = sheet.rule(code)
    if found is not None:
        item, rule = found
        return LineRule("deduction", rule.code, item.code, rule.per, rule.points, rule.evidence_required,
                        rule.name_zh, rule.name_en)
    veto = sheet.veto(code)
    if veto is not None:
        # A veto carries no points of its own: scoring sets the whole month to 0.
        return LineRule("veto", veto.code, None, "occurrence", 0, veto.evidence_required, veto.name_zh,
                        veto.name_en)
    bonus = sheet.bonus(code)
    if bonus is not None:
        return LineRule("bonus", bonus.code, None, "occurrence", bonus.points, bonus.evidence_required,
                        bonus.name_zh, bonus.name_en)
    return None


def sheet_for(assessment: Assessment) -> SheetSettings:
    """The sheet the assessment is scored with (its own version, whatever the config says now)."""
    return sheet_of(assessment.sheet_version)


def line_value(line: AssessmentLine) -> LineValue:
    """The scoring view of a stored line."""
    # Partial points are stored as whole hundredths, so the Decimal is exact and a past score recomputes.
    points = Decimal(line.points_x100) / 100 if line.points_x100 is not None else None
    return LineValue(line.kind, line.code, line.count, points, line.id)


def active_lines(assessment: Assessment) -> list[AssessmentLine]:
    """Lines not withdrawn, in the order they were added."""
    return [line for line in assessment.lines if line.active]


def score_of(assessment: Assessment) -> ScoreCard:
    """The assessment's current score card."""
    return score_month(sheet_for(assessment), [line_value(line) for line in active_lines(assessment)],
                       assessment.base_fee_fen)


def _now_local_day(settings: AppConfig, now: datetime | None) -> date:
    return local_today(settings.zone, now)


def _changed_meanwhile() -> Conflict:
    return Conflict(_("someone else changed this assessment at the same moment; nothing was saved. Reload "
                      "it to see where it stands."), {"status": _("changed meanwhile")})


def _move(session: Session, assessment: Assessment, **values: Any) -> None:
    """Change the assessment's state by compare-and-set on the status and revision it was checked in.

    Every check before was made on what this request read; two requests (a double click, two assessors)
    can pass them together. The UPDATE requires the status and revision still to be those, so exactly one
    of them moves the month on and the others get a Conflict instead of a duplicate revision or response.
    """
    if not compare_and_set(session, assessment,
                           {"status": assessment.status, "revision": assessment.revision}, values):
        raise _changed_meanwhile()


def load_for_edit(session: Session, actor: User, assessment_id: object) -> Assessment:
    """The assessment for a change of its lines: the actor may edit, and it is a draft or an amendment."""
    require(actor, "assessment.edit")
    assessment = visible_assessment(session, actor, assessment_id)
    if assessment.status not in EDITABLE:
        raise Conflict(_("a submitted assessment is locked; amend it with a reason"),
                       {"status": _("is %(status)s", status=assessment.status)})
    # Holds the month's row for this transaction (an UPDATE that changes nothing): a submission racing
    # this change waits for it, or this change sees the submission and is refused.
    _move(session, assessment, status=assessment.status)
    return assessment


def _refuse_if_assessed(session: Session, contractor_id: int, canteen_id: int, month: date) -> None:
    existing = session.scalar(select(Assessment).where(Assessment.contractor_id == contractor_id,
                                                       Assessment.canteen_id == canteen_id,
                                                       Assessment.month == month))
    if existing is not None:
        raise Conflict(_("this month is already assessed"),
                       {"month": _("assessment #%(id)s exists for this month", id=existing.id)})


def open_assessment(session: Session, settings: AppConfig, actor: User, data: Mapping[str, Any],
                    now: datetime | None = None) -> Assessment:
    """Open the draft of a contractor's month at a canteen; a second one for the same month is a Conflict."""
    require(actor, "assessment.edit")
    errors = FieldErrors()
    contractor: Contractor | None = None
    if data.get("contractor") in (None, ""):
        errors["contractor"] = _("required")
    else:
        try:
            contractor = get_visible_contractor(session, actor, data.get("contractor"))
        except NotFound:
            errors["contractor"] = _("unknown contractor")
    canteen = resolve_canteen(session, data.get("canteen"), actor, errors)
    month = None
    raw_month = data.get("month")
    try:
        month = parse_month(raw_month if isinstance(raw_month, str) else "")
    except ValueError:
        errors["month"] = _("expected YYYY-MM")
    today = _now_local_day(settings, now)
    # A draft may open once the month has begun, to collect lines as they happen; submit waits for its end.
    if month is not None and month > month_start(today):
        errors["month"] = _("the month has not begun")
    if contractor is not None and canteen is not None and month is not None and "month" not in errors:
        if not any(link.canteen_id == canteen.id for link in contractor.canteens):
            errors["canteen"] = _("this contractor does not serve this canteen")
        # Any overlap counts: a contract that starts or ends mid-month still has that month assessed.
        elif not (contractor.starts_on <= month_end(month) and month <= contractor.ends_on):
            errors["month"] = _("outside the contract (%(start)s to %(end)s)",
                                start=contractor.starts_on.isoformat(), end=contractor.ends_on.isoformat())
    errors.raise_if_any(_("cannot open this assessment"))
    assert contractor is not None and canteen is not None and month is not None
    # The unique (contractor, canteen, month) constraint backs this; checking first gives a 409 with the id.
    _refuse_if_assessed(session, contractor.id, canteen.id, month)
    link = next(link for link in contractor.canteens if link.canteen_id == canteen.id)
    # The sheet version and the fee are fixed when the month opens: later config or contract changes must
    # not alter a month already being assessed.
    version = current_sheet_version(session, settings)
    assessment = Assessment(contractor_id=contractor.id, canteen_id=canteen.id, month=month,
                            sheet_version_id=version.id, status="draft", revision=0,
                            base_fee_fen=link.monthly_fee_fen, opened_by_id=actor.id,
                            opened_at=now or utcnow())
    # Opened twice at once: both passed the check above; the unique constraint refuses the second.
    if not stored_unless_duplicate(session, lambda: session.add(assessment)):
        _refuse_if_assessed(session, contractor.id, canteen.id, month)
        raise _changed_meanwhile()
    session.refresh(assessment)
    audit.record(session, "assessment", assessment.id, "opened", actor, now, sheet_version=version.number,
                 base_fee_fen=assessment.base_fee_fen)
    return assessment


def parse_count(value: Any, errors: FieldErrors, field: str = "count", minimum: int = 1) -> int | None:
    """A whole count from ``minimum`` to MAX_COUNT; None (and an error) otherwise, None when absent."""
    if value is None or value == "":
        return None
    return parse_int(value, errors, field, minimum=minimum, maximum=MAX_COUNT)


def _parse_decimal(value: Any, errors: FieldErrors, field: str, maximum: int) -> Decimal | None:
    """An optional number from 0 to ``maximum``, bounded before any arithmetic (1e30 is a field error)."""
    if value is None or value == "":
        return None
    return parse_decimal(value, errors, field, minimum=0, maximum=maximum)


def _check_count_and_excess(target: Any, count: int | None, excess: Decimal | None,
                            errors: FieldErrors) -> int | None:
    """The count the rule applies with: per-5-percent rules derive it from the excess, so both agree."""
    if target.per == "step5pct" and excess is not None:
        steps = steps_for(float(excess))
        if steps == 0:
            errors["excess_pct"] = _("less than one 5-percent step over the baseline: nothing to deduct")
        elif count is not None and count != steps:
            errors["count"] = _("%(pct)s %% over the baseline is %(steps)s steps", pct=excess, steps=steps)
        count = steps
    elif excess is not None:
        errors["excess_pct"] = _("only for rules counted per 5-percent step")
    # A veto zeroes the month however often it happened, so a count above 1 would only mislead the reader.
    if target.kind == "veto" and count not in (None, 1):
        errors["count"] = _("a veto applies once")
    return count


def _check_points(sheet: Any, target: Any, points: Decimal | None, errors: FieldErrors) -> None:
    """An assessor's own points: never on a veto, never more than the item (or the bonus cap) allows."""
    if points is None:
        return
    if target.kind == "veto":
        errors["points"] = _("a veto has no points: the month scores 0")
    # Points are stored as whole hundredths (points_x100), so a third decimal would be silently lost.
    elif points <= 0 or points != points.quantize(Decimal("0.01")):
        errors["points"] = _("more than 0, at most two decimals")
    elif target.kind == "deduction":
        item = sheet.item(target.item_code or "")
        assert item is not None
        if points > dec(item.max_points):
            errors["points"] = _("more than the item's %(max)s points", max=points_text(item.max_points))
    # A bonus belongs to no item: the month's bonus cap is its only limit.
    elif points > dec(sheet.bonus_cap):
        errors["points"] = _("more than the bonus cap of %(cap)s points", cap=points_text(sheet.bonus_cap))


def _parse_evidence(session: Session, assessment: Assessment, data: Mapping[str, Any],
                    errors: FieldErrors) -> tuple[SpotCheck | None, date | None]:
    """The spot check and ledger day cited as evidence; both must belong to the assessed canteen and month."""
    # Evidence from another canteen or month would let a deduction cite something that did not happen here.
    spot_check = None
    if data.get("spot_check") not in (None, ""):
        # An id beyond the database's integer range (or not a whole number) is simply an unknown check.
        wanted = as_id(data["spot_check"])
        spot_check = session.get(SpotCheck, wanted) if wanted is not None else None
        if spot_check is None or spot_check.canteen_id != assessment.canteen_id \
                or month_start(spot_check.day) != assessment.month:
            errors["spot_check"] = _("not a spot check of this canteen and month")
            spot_check = None
    ledger_day = None
    if data.get("ledger_day") not in (None, ""):
        ledger_day = parse_day(data.get("ledger_day"), errors, "ledger_day")
        if ledger_day is not None and month_start(ledger_day) != assessment.month:
            errors["ledger_day"] = _("not a day of the assessed month")
    return spot_check, ledger_day


def add_line(session: Session, settings: AppConfig, actor: User, assessment_id: object,
             data: Mapping[str, Any], photo: bytes | None = None, media_root: Path | None = None,
             now: datetime | None = None, proposal_key: str | None = None) -> AssessmentLine:
    """Apply a deduction by rule (or a veto or bonus) with its evidence; refused once submitted."""
    assessment = load_for_edit(session, actor, assessment_id)
    sheet = sheet_for(assessment)
    # Step 1: every field is checked before anything is stored, so one answer lists every problem.
    errors = FieldErrors()
    code = data.get("rule")
    target = resolve_code(sheet, code) if isinstance(code, str) else None
    if target is None:
        # Rules are looked up in the month's own sheet version: a later sheet must not change an open month.
        errors["rule"] = _("unknown rule in sheet version %(number)s", number=assessment.sheet_version.number)
    count = parse_count(data.get("count"), errors)
    excess = _parse_decimal(data.get("excess_pct"), errors, "excess_pct", MAX_EXCESS_PCT)
    points = _parse_decimal(data.get("points"), errors, "points", int(FULL_MARKS))
    note = clean_text(data.get("note"), "note", 1000, errors)
    reference = clean_text(data.get("reference"), "reference", 300, errors)
    if target is not None:
        count = _check_count_and_excess(target, count, excess, errors)
        _check_points(sheet, target, points, errors)
    spot_check, ledger_day = _parse_evidence(session, assessment, data, errors)
    # Real sheets require every deduction to cite evidence, so the caterer can check it and dispute it.
    if target is not None and target.evidence_required and not (spot_check or ledger_day or photo
                                                                or reference):
        errors["evidence"] = _("this rule needs evidence: a spot-check record, a ledger day, a photo "
                               "or a reference")
    errors.raise_if_any(_("the deduction was not applied"))
    assert target is not None
    # Step 2: the photo is stored only once the input is known to be good, so a refusal leaves no orphan file.
    stored_photo = None
    if photo is not None:
        if media_root is None:
            raise ValueError("media_root is needed to store a photo")
        stored_photo = store_image(media_root, "assessment", assessment.id, photo)
    line = AssessmentLine(
        assessment_id=assessment.id, kind=target.kind, code=target.code, count=count or 1,
        excess_pct=float(excess) if excess is not None and target.per == "step5pct" else None,
        points_x100=int(points * 100) if points is not None else None, note=note,
        spot_check_id=spot_check.id if spot_check else None, ledger_day=ledger_day, photo=stored_photo,
        reference=reference, proposal_key=proposal_key, added_revision=assessment.revision,
        added_by_id=actor.id, added_at=now or utcnow())
    session.add(line)
    session.flush()
    # The line was added by id, not through assessment.lines: reload the collection so scores include it.
    session.refresh(assessment)
    audit.record(session, "assessment", assessment.id, "line_added", actor, now, line=line.id, kind=line.kind,
                 code=line.code, count=line.count, excess_pct=line.excess_pct,
                 points=points_text(points) if points is not None else None, note=note,
                 spot_check=line.spot_check_id, ledger_day=ledger_day, photo=bool(stored_photo),
                 reference=reference, proposal=proposal_key, revision=assessment.revision)
    return line


def withdraw_line(session: Session, actor: User, assessment_id: object, line_id: object, reason: Any,
                  now: datetime | None = None) -> AssessmentLine:
    """Withdraw a line with a reason; it stays on record, struck through."""
    assessment = load_for_edit(session, actor, assessment_id)
    # Compared as text: the id comes as a string from a form and as a number from the API.
    line = next((line for line in assessment.lines if str(line.id) == str(line_id)), None)
    if line is None:
        raise NotFound(_("no such deduction"))
    if not line.active:
        raise Conflict(_("already withdrawn"))
    errors = FieldErrors()
    text = clean_text(reason, "reason", 500, errors, required=True)
    errors.raise_if_any(_("a withdrawal needs a reason"))
    line.withdrawn_at, line.withdrawn_by_id = now or utcnow(), actor.id
    line.withdrawn_revision, line.withdraw_reason = assessment.revision, text
    session.flush()
    audit.record(session, "assessment", assessment.id, "line_withdrawn", actor, now, line=line.id,
                 code=line.code, reason=text, revision=assessment.revision)
    return line


def _snapshot(assessment: Assessment, card: ScoreCard) -> str:
    # What the caterer was shown at this revision, kept even when a later amendment withdraws lines.
    return json.dumps({
        "items": [{"code": item.item.code, "deducted": points_text(item.deducted),
                   "score": points_text(item.score)}
                  for item in card.items],
        "bonus": points_text(card.bonus), "vetoes": card.vetoes, "total": points_text(card.total),
        "grade": card.band.code, "fee_fen": card.fee_fen, "base_fee_fen": card.base_fee_fen,
        "lines": [{"id": line.id, "kind": line.kind, "code": line.code, "count": line.count,
                   "points_x100": line.points_x100, "excess_pct": line.excess_pct}
                  for line in active_lines(assessment)],
    }, ensure_ascii=False, sort_keys=True)


def _new_revision(session: Session, assessment: Assessment, actor: User, reason: str,
                  now: datetime | None) -> AssessmentRevision:
    card = score_of(assessment)
    # Totals have at most two decimals (points are stored in hundredths), so total_x100 is exact.
    revision = AssessmentRevision(assessment_id=assessment.id, number=assessment.revision, reason=reason,
                                  total_x100=int(card.total * 100), grade=card.band.code,
                                  fee_fen=card.fee_fen, snapshot=_snapshot(assessment, card),
                                  created_by_id=actor.id, created_at=now or utcnow())
    assessment.revisions.append(revision)
    link_assessment_revision(session, revision)
    return revision


def submit(session: Session, settings: AppConfig, actor: User, assessment_id: object,
           now: datetime | None = None) -> Assessment:
    """Lock the month and send it to the caterer, who may respond within the configured days."""

    assessment = load_for_edit(session, actor, assessment_id)
    # An amendment made in reply to a dispute ends with answer(), which puts the reply on record.
    if assessment.status == "amending" and assessment.response == "disputed":
        raise Conflict(_("a disputed month is closed by answering the dispute"),
                       {"status": _("answer instead")})
    today = _now_local_day(settings, now)
    # The month's ledger entries and spot checks are complete only once it is over.
    if today <= month_end(assessment.month):
        raise Conflict(_("the month is not over yet"),
                       {"month": _("submit after %(day)s", day=month_end(assessment.month).isoformat())})
    # A deduction the data supports must be taken or overridden with a reason, never dropped silently.
    pending = undecided_proposals(session, settings, assessment, now)
    if pending:
        raise Conflict(_("decide the proposals from data first"),
                       {"proposals": _("%(n)s proposal(s) not yet accepted or overridden", n=len(pending))})
    # The first submission needs no reason; an amendment's reason moves to the revision it closes.
    reason = "" if assessment.revision == 0 else (assessment.pending_reason or "")
    # A resubmitted amendment asks the caterer again, so an earlier response must not carry over.
    _move(session, assessment, status="submitted", revision=max(assessment.revision, 1),
          submitted_at=now or utcnow(), respond_by=today + timedelta(days=settings.assessment.dispute_days),
          response=None, response_text=None, responded_by_id=None, responded_at=None, pending_reason=None)
    _new_revision(session, assessment, actor, reason, now)
    session.flush()
    card = score_of(assessment)
    audit.record(session, "assessment", assessment.id, "submitted", actor, now, revision=assessment.revision,
                 total=points_text(card.total), grade=card.band.code, fee_fen=card.fee_fen,
                 respond_by=assessment.respond_by)
    return assessment


def respond(session: Session, settings: AppConfig, actor: User, assessment_id: object, response: str,
            text: Any = None, now: datetime | None = None) -> Assessment:
    """The caterer acknowledges the month, or disputes it with a reason, within the response window."""
    require(actor, "assessment.respond")
    assessment = visible_assessment(session, actor, assessment_id)
    # Only the assessed caterer answers; NotFound rather than Forbidden tells others nothing about the month.
    if linked_contractor_id(session, actor) != assessment.contractor_id:
        raise NotFound(_("no such assessment"))
    if response not in ("acknowledge", "dispute"):
        raise InvalidInput(_("unknown response"), {"response": _("acknowledge or dispute")})
    errors = FieldErrors()
    comment = clean_text(text, "reason", 2000, errors, required=response == "dispute")
    errors.raise_if_any(_("a dispute needs a reason"))
    if assessment.status != "submitted":
        raise Conflict(_("only a submitted month can be acknowledged or disputed"),
                       {"status": _("is %(status)s", status=assessment.status)})
    today = _now_local_day(settings, now)
    if assessment.respond_by is not None and today > assessment.respond_by:
        raise Conflict(_("the response window closed on %(day)s", day=assessment.respond_by.isoformat()),
                       {"respond_by": assessment.respond_by.isoformat()})
    moment = now or utcnow()
    # Acknowledging ends the workflow at once; a dispute waits for the assessor's answer.
    answered = "acknowledged" if response == "acknowledge" else "disputed"
    ending = ({"status": "final", "finalized_at": moment} if answered == "acknowledged"
              else {"status": "disputed"})
    _move(session, assessment, response=answered, response_text=comment, responded_by_id=actor.id,
          responded_at=moment, **ending)
    session.flush()
    audit.record(session, "assessment", assessment.id, answered, actor, now, text=comment,
                 revision=assessment.revision)
    return assessment


def amend(session: Session, settings: AppConfig, actor: User, assessment_id: object, reason: Any,
          now: datetime | None = None) -> Assessment:
    """Reopen a submitted or disputed month as a new revision; the reason is kept with it."""
    require(actor, "assessment.edit")
    assessment = visible_assessment(session, actor, assessment_id)
    errors = FieldErrors()
    text = clean_text(reason, "reason", 1000, errors, required=True)
    errors.raise_if_any(_("an amendment needs a reason"))
    if assessment.status not in ("submitted", "disputed"):
        raise Conflict(_("only a submitted or disputed month can be amended"),
                       {"status": _("is %(status)s", status=assessment.status)})
    # The revision number is taken now; the revision row is written when the amendment is submitted or
    # answered, with this reason.
    _move(session, assessment, status="amending", revision=assessment.revision + 1, pending_reason=text)
    session.flush()
    audit.record(session, "assessment", assessment.id, "amending", actor, now, reason=text,
                 revision=assessment.revision)
    return assessment


def answer(session: Session, settings: AppConfig, actor: User, assessment_id: object, text: Any,
           now: datetime | None = None) -> Assessment:
    """Answer the caterer's dispute, upholding the score or closing an amendment; the month becomes final."""
    require(actor, "assessment.edit")
    assessment = visible_assessment(session, actor, assessment_id)
    errors = FieldErrors()
    reply = clean_text(text, "answer", 2000, errors, required=True)
    errors.raise_if_any(_("the answer is empty"))
    # An amendment opened after a dispute is still the answer to that dispute.
    disputed = assessment.status == "disputed" or (assessment.status == "amending"
                                                   and assessment.response == "disputed")
    if not disputed:
        raise Conflict(_("there is no dispute to answer"),
                       {"status": _("is %(status)s", status=assessment.status)})
    amended = assessment.status == "amending"
    if amended:
        # The answer closes the amendment as submit() would, so the same proposal rule applies.
        pending = undecided_proposals(session, settings, assessment, now)
        if pending:
            raise Conflict(_("decide the proposals from data first"),
                           {"proposals": _("%(n)s proposal(s) not yet accepted or overridden",
                                           n=len(pending))})
    reason = assessment.pending_reason or ""
    moment = now or utcnow()
    _move(session, assessment, answer_text=reply, answered_by_id=actor.id, answered_at=moment, status="final",
          finalized_at=moment, pending_reason=None)
    if amended:
        _new_revision(session, assessment, actor, reason, now)
    session.flush()
    card = score_of(assessment)
    audit.record(session, "assessment", assessment.id, "answered", actor, now, answer=reply, amended=amended,
                 revision=assessment.revision, total=points_text(card.total), grade=card.band.code)
    return assessment


def finalize(session: Session, settings: AppConfig, actor: User, assessment_id: object,
             now: datetime | None = None) -> Assessment:
    """Make a submitted month final once the caterer let the response window pass."""
    require(actor, "assessment.edit")
    assessment = visible_assessment(session, actor, assessment_id)
    if assessment.status != "submitted":
        raise Conflict(_("only a submitted month can be made final this way"),
                       {"status": _("is %(status)s", status=assessment.status)})
    today = _now_local_day(settings, now)
    # Finalizing inside the window would take away the caterer's right to respond.
    if assessment.respond_by is not None and today <= assessment.respond_by:
        raise Conflict(_("the caterer may respond until %(day)s", day=assessment.respond_by.isoformat()),
                       {"respond_by": assessment.respond_by.isoformat()})
    _move(session, assessment, status="final", finalized_at=now or utcnow())
    session.flush()
    audit.record(session, "assessment", assessment.id, "finalized_without_response", actor, now,
                 revision=assessment.revision)
    return assessment


def list_assessments(session: Session, actor: User, contractor: Any = None, year: Any = None,
                     canteen: Any = None) -> list[Assessment]:
    """The assessments the actor may see, optionally of one contractor, year or canteen, by month."""
    require(actor, "assessment.view")
    errors = FieldErrors()
    query = select(Assessment).order_by(Assessment.month, Assessment.canteen_id, Assessment.contractor_id)
    if contractor not in (None, ""):
        try:
            wanted = get_visible_contractor(session, actor, contractor)
            query = query.where(Assessment.contractor_id == wanted.id)
        except NotFound:
            errors["contractor"] = _("unknown contractor")
    if year not in (None, ""):
        try:
            number = int(str(year))
            if not 2000 <= number <= 2100:
                raise ValueError
            query = query.where(Assessment.month >= date(number, 1, 1),
                                Assessment.month <= date(number, 12, 1))
        except ValueError:
            errors["year"] = _("a year such as 2021")
    if canteen not in (None, ""):
        found = resolve_canteen(session, canteen, actor, errors)
        if found is not None:
            query = query.where(Assessment.canteen_id == found.id)
    errors.raise_if_any()
    # Visibility depends on role, canteen scope, draft status and the caterer's link: checked per row.
    return [item for item in session.scalars(query) if may_see_assessment(session, actor, item)]


def consecutive_below(session: Session, assessment: Assessment) -> list[Assessment]:
    """The run of months below the warning threshold ending with this one, when it is long enough to warn."""
    sheet = sheet_for(assessment)
    threshold, needed = dec(sheet.warning.below), sheet.warning.consecutive_months
    # A draft is not a result: it neither starts nor continues a run.
    if assessment.status == "draft" or score_of(assessment).total >= threshold:
        return []
    run = [assessment]
    month = assessment.month
    # Calendar months back from this one: a month without a result breaks the run.
    while len(run) < needed:
        month = add_months(month, -1)
        earlier = session.scalar(select(Assessment).where(
            Assessment.contractor_id == assessment.contractor_id,
            Assessment.canteen_id == assessment.canteen_id,
            Assessment.month == month, Assessment.status != "draft"))
        if earlier is None or score_of(earlier).total >= threshold:
            return []
        run.insert(0, earlier)
    return run


def may_respond(session: Session, settings: AppConfig, actor: User, assessment: Assessment,
                now: datetime | None = None) -> bool:
    """True when the actor is the assessed caterer and the response window is open."""
    return (actor.role == "contractor" and assessment.status == "submitted"
            and linked_contractor_id(session, actor) == assessment.contractor_id
            and (assessment.respond_by is None or _now_local_day(settings, now) <= assessment.respond_by))


def line_as_dict(line: AssessmentLine, sheet: SheetSettings) -> dict[str, Any]:
    """The JSON shape of a line."""
    target = resolve_code(sheet, line.code)
    return {
        "id": line.id, "kind": line.kind, "rule": line.code, "item": target.item_code if target else None,
        "name_zh": target.name_zh if target else line.code,
        "name_en": target.name_en if target else line.code,
        "count": line.count, "excess_pct": line.excess_pct,
        "points": float(Decimal(line.points_x100) / 100) if line.points_x100 is not None else None,
        "note": line.note,
        "evidence": {"spot_check": line.spot_check_id, "ledger_day": line.ledger_day.isoformat()
                     if line.ledger_day else None, "photo": bool(line.photo), "reference": line.reference},
        "proposal": line.proposal_key, "added_revision": line.added_revision,
        "added_by": line.added_by.username, "added_at": line.added_at.isoformat(),
        "withdrawn": None if line.active else {
            "revision": line.withdrawn_revision, "reason": line.withdraw_reason,
            "by": line.withdrawn_by.username if line.withdrawn_by else None,
            "at": line.withdrawn_at.isoformat() if line.withdrawn_at else None},
    }


def assessment_as_dict(session: Session, assessment: Assessment) -> dict[str, Any]:
    """The JSON shape of GET /api/v1/assessments/{id}."""
    sheet = sheet_for(assessment)
    card = score_of(assessment)
    by_rule: dict[str, float] = {}
    for item in card.items:
        for rule in item.rules:
            by_rule[rule.rule.code] = float(rule.points)
    lines = [line_as_dict(line, sheet) for line in assessment.lines]
    return {
        "id": assessment.id,
        "contractor": {"id": assessment.contractor.id, "name": assessment.contractor.name},
        "canteen": assessment.canteen.code,
        "month": assessment.month.strftime("%Y-%m"),
        "status": assessment.status,
        "revision": assessment.revision,
        "sheet_version": assessment.sheet_version.number,
        "items": [{"code": item.item.code, "name_zh": item.item.name_zh, "name_en": item.item.name_en,
                   "group": item.item.group, "max_points": float(item.max_points),
                   "deducted": float(item.deducted), "score": float(item.score),
                   "rules": [{"code": rule.rule.code, "points": float(rule.points), "capped": rule.capped}
                             for rule in item.rules if rule.lines],
                   "deductions": [line for line in lines
                                  if line["item"] == item.item.code and not line["withdrawn"]]}
                  for item in card.items],
        "vetoes": card.vetoes,
        "bonus": float(card.bonus),
        "deductions": [line for line in lines if not line["withdrawn"]],
        "withdrawn": [line for line in lines if line["withdrawn"]],
        "total": float(card.total),
        "grade": {"code": card.band.code, "name_zh": card.band.name_zh, "name_en": card.band.name_en,
                  "rectification_plan": card.band.rectification_plan},
        "fee": {"base": card.base_fee_fen / 100, "payable": card.fee_fen / 100, "rule": card.band.fee},
        "warning": bool(consecutive_below(session, assessment)),
        "respond_by": assessment.respond_by.isoformat() if assessment.respond_by else None,
        "response": assessment.response, "response_text": assessment.response_text,
        "answer": assessment.answer_text,
        "revisions": [{"number": rev.number, "reason": rev.reason, "total": rev.total_x100 / 100,
                       "grade": rev.grade, "fee": rev.fee_fen / 100, "by": rev.created_by.username,
                       "at": rev.created_at.isoformat()}
                      for rev in assessment.revisions],
    }
