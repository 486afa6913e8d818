"""The monthly assessment as services: open, deduct, submit, respond, amend, answer, finalize; all kept.

The kept_ledger fixture gives zonghe a complete ledger for June to August 2021, so that no proposal from
data waits for a decision when a month is submitted.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from canteen.assessment import audit
from canteen.assessment.assessments import (add_line, amend, answer, assessment_as_dict, consecutive_below,
                                            finalize, list_assessments, open_assessment, respond, score_of,
                                            submit, withdraw_line)
from canteen.assessment.models import Assessment, AssessmentLine
from canteen.assessment.sheet import current_sheet_version, sheet_of
from canteen.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from canteen.settings.assessment import AssessmentSettings
from tests.assessment.world import LATER, contractor_data

AUG = datetime(2021, 8, 3, 2, 0, tzinfo=timezone.utc)  # 2021-08-03 10:00 in Shanghai


def open_july(session, settings, actor, contractor, canteen="zonghe", month="2021-07", now=LATER):
    """Open a draft and commit."""
    assessment = open_assessment(session, settings, actor, {"contractor": contractor.id, "canteen": canteen,
                                                            "month": month}, now=now)
    session.commit()
    return assessment


def deduct(session, settings, actor, assessment, rule, now=LATER, **extra):
    """Apply a deduction with a reference as evidence and commit."""
    data = {"rule": rule, "reference": "inspection note 7", **extra}
    line = add_line(session, settings, actor, assessment.id, data, now=now)
    session.commit()
    return line


# --- opening a draft ----------------------------------------------------------------------------------------

def test_open_a_draft_keeps_the_sheet_version_and_the_fee(session, settings, assessor, contractor):
    assessment = open_july(session, settings, assessor, contractor)
    assert (assessment.status, assessment.revision, assessment.month) == ("draft", 0, date(2021, 7, 1))
    assert assessment.base_fee_fen == 20_000_000
    assert assessment.sheet_version.number == 1
    card = score_of(assessment)
    assert card.total == 100 and card.band.code == "excellent" and card.fee_fen == 20_000_000
    [entry] = audit.history(session, "assessment", assessment.id)
    assert (entry.action, entry.actor_id) == ("opened", assessor.id)


@pytest.mark.parametrize("data, field", [
    ({"contractor": "", "canteen": "zonghe", "month": "2021-07"}, "contractor"),
    ({"contractor": 999, "canteen": "zonghe", "month": "2021-07"}, "contractor"),
    ({"canteen": "mars", "month": "2021-07"}, "canteen"),
    ({"canteen": "zonghe", "month": "July"}, "month"),
    ({"canteen": "zonghe", "month": "2020-12"}, "month"),  # before the contract
    ({"canteen": "zonghe", "month": "2021-11"}, "month"),  # not begun at LATER
])
def test_open_refuses_bad_input_naming_the_field(session, settings, assessor, contractor, data, field):
    data = {"contractor": contractor.id, **data}
    with pytest.raises(InvalidInput) as caught:
        open_assessment(session, settings, assessor, data, now=LATER)
    assert field in caught.value.fields
    session.rollback()
    assert session.scalars(select(Assessment)).all() == []


def test_a_canteen_the_contractor_does_not_serve_is_refused(session, settings, assessor, admin):
    from canteen.assessment.contractors import save_contractor

    only_zonghe = save_contractor(session, admin, contractor_data(
        canteens=[{"canteen": "zonghe", "monthly_fee": "5"}]))
    with pytest.raises(InvalidInput) as caught:
        open_assessment(session, settings, assessor, {"contractor": only_zonghe.id, "canteen": "badajie",
                                                      "month": "2021-07"}, now=LATER)
    assert "canteen" in caught.value.fields


def test_a_second_assessment_of_the_same_month_is_a_conflict(session, settings, assessor, contractor):
    open_july(session, settings, assessor, contractor)
    with pytest.raises(Conflict) as caught:
        open_assessment(session, settings, assessor, {"contractor": contractor.id, "canteen": "zonghe",
                                                      "month": "2021-07"}, now=LATER)
    assert "month" in caught.value.fields
    # Another canteen or month is fine.
    open_july(session, settings, assessor, contractor, canteen="badajie")
    open_july(session, settings, assessor, contractor, month="2021-08")


@pytest.mark.parametrize("role", ["viewer", "contractor", "manager", "reviewer", "discipline"])
def test_only_assessors_and_admins_open_drafts(session, settings, user_in, contractor, role):
    with pytest.raises(Forbidden):
        open_assessment(session, settings, user_in(role), {"contractor": contractor.id, "canteen": "zonghe",
                                                           "month": "2021-07"}, now=LATER)


# --- deductions ---------------------------------------------------------------------------------------------

def test_deductions_change_item_score_total_grade_and_fee(session, settings, assessor, contractor):
    assessment = open_july(session, settings, assessor, contractor)
    deduct(session, settings, assessor, assessment, "ledger_falsified")
    deduct(session, settings, assessor, assessment, "plate_over_baseline", excess_pct="21.3")
    deduct(session, settings, assessor, assessment, "survey_below_80")
    shown = assessment_as_dict(session, assessment)
    waste = next(item for item in shown["items"] if item["code"] == "waste_ledger")
    assert (waste["max_points"], waste["deducted"], waste["score"]) == (12, 12, 0)
    anti = next(item for item in shown["items"] if item["code"] == "anti_waste")
    assert anti["deductions"][0]["count"] == 4 and anti["deductions"][0]["excess_pct"] == 21.3
    assert shown["total"] == 76 and shown["grade"]["code"] == "pass" and shown["grade"]["rectification_plan"]
    assert shown["fee"] == {"base": 200000.0, "payable": 152000.0, "rule": "proportional"}


def test_a_deduction_under_an_unknown_rule_is_refused(session, settings, assessor, contractor):
    assessment = open_july(session, settings, assessor, contractor)
    with pytest.raises(InvalidInput) as caught:
        add_line(session, settings, assessor, assessment.id, {"rule": "rude_cashier", "reference": "x"})
    assert "rule" in caught.value.fields


def test_points_above_the_items_max_are_refused(session, settings, assessor, contractor):
    assessment = open_july(session, settings, assessor, contractor)
    with pytest.raises(InvalidInput) as caught:
        add_line(session, settings, assessor, assessment.id, {"rule": "late_opening", "points": "10.5",
                                                              "reference": "x"})
    assert "10" in caught.value.fields["points"]
    line = deduct(session, settings, assessor, assessment, "late_opening", points="0.5")
    assert line.points_x100 == 50 and score_of(assessment).total == 99.5


def test_evidence_is_required_where_the_rule_says_so(session, settings, assessor, contractor):
    assessment = open_july(session, settings, assessor, contractor)
    with pytest.raises(InvalidInput) as caught:
        add_line(session, settings, assessor, assessment.id, {"rule": "missing_sample", "note": "no sample"})
    assert "evidence" in caught.value.fields
    with pytest.raises(InvalidInput) as caught:
        add_line(session, settings, assessor, assessment.id,
                 {"rule": "missing_sample", "ledger_day": "2021-08-02"})
    assert "ledger_day" in caught.value.fields
    line = add_line(session, settings, assessor, assessment.id,
                    {"rule": "missing_sample", "ledger_day": "2021-07-09"})
    assert line.ledger_day == date(2021, 7, 9)


@pytest.mark.parametrize("data, field", [
    ({"rule": "late_opening", "count": 0}, "count"),
    ({"rule": "late_opening", "count": "two"}, "count"),
    ({"rule": "late_opening", "count": True}, "count"),
    ({"rule": "food_poisoning", "count": 2}, "count"),
    ({"rule": "food_poisoning", "points": 3}, "points"),
    ({"rule": "late_opening", "excess_pct": 12}, "excess_pct"),
    ({"rule": "plate_over_baseline", "excess_pct": 3}, "excess_pct"),
    ({"rule": "late_opening", "spot_check": 12345}, "spot_check"),
    ({"rule": "late_opening", "note": "x" * 1001}, "note"),
    ({"rule": "commendation", "points": 6}, "points"),
])
def test_bad_deductions_name_the_field_and_store_nothing(session, settings, assessor, contractor, data,
                                                         field):
    assessment = open_july(session, settings, assessor, contractor)
    with pytest.raises(InvalidInput) as caught:
        add_line(session, settings, assessor, assessment.id, {"reference": "r", **data})
    assert field in caught.value.fields
    session.rollback()
    assert session.scalars(select(AssessmentLine)).all() == []


def test_a_veto_zeroes_the_month(session, settings, assessor, contractor):
    assessment = open_july(session, settings, assessor, contractor)
    deduct(session, settings, assessor, assessment, "expired_ingredients")
    card = score_of(assessment)
    assert card.vetoed and card.total == 0 and card.fee_fen == 0


def test_withdrawing_keeps_the_line_with_who_and_why(session, settings, assessor, contractor):
    assessment = open_july(session, settings, assessor, contractor)
    line = deduct(session, settings, assessor, assessment, "late_opening")
    with pytest.raises(InvalidInput):
        withdraw_line(session, assessor, assessment.id, line.id, "  ")
    withdraw_line(session, assessor, assessment.id, line.id, "wrong canteen", now=LATER)
    session.commit()
    session.expire_all()
    stored = session.get(AssessmentLine, line.id)
    assert (not stored.active and stored.withdraw_reason == "wrong canteen"
            and stored.withdrawn_by_id == assessor.id)
    assert score_of(session.get(Assessment, assessment.id)).total == 100
    with pytest.raises(Conflict):
        withdraw_line(session, assessor, assessment.id, line.id, "again")
    actions = [entry.action for entry in audit.history(session, "assessment", assessment.id)]
    assert actions == ["opened", "line_added", "line_withdrawn"]


# --- submission and the caterer's answer -------------------------------------------------------------------

def test_the_month_must_be_over_before_submission(kept_ledger, session, settings, assessor, contractor):
    assessment = open_july(session, settings, assessor, contractor,
                           now=datetime(2021, 7, 20, tzinfo=timezone.utc))
    with pytest.raises(Conflict) as caught:
        submit(session, settings, assessor, assessment.id, now=datetime(2021, 7, 31, 12, tzinfo=timezone.utc))
    assert "month" in caught.value.fields


def test_submission_locks_the_month(kept_ledger, session, settings, assessor, contractor):
    assessment = open_july(session, settings, assessor, contractor)
    line = deduct(session, settings, assessor, assessment, "late_opening")
    submit(session, settings, assessor, assessment.id, now=AUG)
    session.commit()
    assert (assessment.status, assessment.revision,
            assessment.respond_by) == ("submitted", 1, date(2021, 8, 8))
    [revision] = assessment.revisions
    assert (revision.number, revision.total_x100, revision.grade,
            revision.fee_fen) == (1, 9800, "excellent", 20_000_000)
    with pytest.raises(Conflict):
        add_line(session, settings, assessor, assessment.id, {"rule": "late_opening", "reference": "x"})
    with pytest.raises(Conflict):
        withdraw_line(session, assessor, assessment.id, line.id, "oops")
    with pytest.raises(Conflict):
        submit(session, settings, assessor, assessment.id, now=AUG)


def test_the_caterer_acknowledges_within_the_window(kept_ledger, session, settings, assessor, contractor,
                                                    caterer):
    assessment = open_july(session, settings, assessor, contractor)
    submit(session, settings, assessor, assessment.id, now=AUG)
    session.commit()
    respond(session, settings, caterer, assessment.id, "acknowledge", "seen", now=AUG + timedelta(days=2))
    session.commit()
    assert (assessment.status, assessment.response,
            assessment.response_text) == ("final", "acknowledged", "seen")
    assert assessment.responded_by_id == caterer.id and assessment.finalized_at is not None


def test_a_dispute_needs_a_reason_and_the_window(kept_ledger, session, settings, assessor, contractor,
                                                 caterer):
    assessment = open_july(session, settings, assessor, contractor)
    deduct(session, settings, assessor, assessment, "late_opening")
    submit(session, settings, assessor, assessment.id, now=AUG)
    session.commit()
    with pytest.raises(InvalidInput) as caught:
        respond(session, settings, caterer, assessment.id, "dispute", "", now=AUG)
    assert "reason" in caught.value.fields
    with pytest.raises(Conflict) as caught:
        respond(session, settings, caterer, assessment.id, "dispute", "late", now=AUG + timedelta(days=6))
    assert caught.value.fields["respond_by"] == "2021-08-08"
    respond(session, settings, caterer, assessment.id, "dispute", "the opening was on time", now=AUG)
    session.commit()
    assert assessment.status == "disputed"
    with pytest.raises(Conflict):
        respond(session, settings, caterer, assessment.id, "acknowledge", now=AUG)


def test_a_caterer_may_only_answer_for_its_own_company(kept_ledger, session, settings, assessor, contractor,
                                                       caterer, other_caterer):
    assessment = open_july(session, settings, assessor, contractor)
    submit(session, settings, assessor, assessment.id, now=AUG)
    session.commit()
    with pytest.raises(NotFound):
        respond(session, settings, other_caterer, assessment.id, "acknowledge", now=AUG)
    with pytest.raises(Forbidden):
        respond(session, settings, assessor, assessment.id, "acknowledge", now=AUG)
    with pytest.raises(Forbidden):
        add_line(session, settings, caterer, assessment.id, {"rule": "late_opening", "reference": "x"})


def test_an_answered_dispute_with_an_amendment_is_a_new_revision(kept_ledger, session, settings, assessor,
                                                                 contractor, caterer):
    assessment = open_july(session, settings, assessor, contractor)
    line = deduct(session, settings, assessor, assessment, "late_opening", count=2)
    submit(session, settings, assessor, assessment.id, now=AUG)
    respond(session, settings, caterer, assessment.id, "dispute", "only one late opening", now=AUG)
    session.commit()
    with pytest.raises(InvalidInput):
        amend(session, settings, assessor, assessment.id, "")
    amend(session, settings, assessor, assessment.id, "caterer proved one opening was on time", now=AUG)
    withdraw_line(session, assessor, assessment.id, line.id, "replaced by one occurrence", now=AUG)
    deduct(session, settings, assessor, assessment, "late_opening", now=AUG)
    with pytest.raises(Conflict):
        submit(session, settings, assessor, assessment.id, now=AUG)  # a dispute is closed by an answer
    answer(session, settings, assessor, assessment.id, "Agreed: one late opening on 07-12.", now=AUG)
    session.commit()
    session.expire_all()
    assessment = session.get(Assessment, assessment.id)
    assert assessment.status == "final" and assessment.revision == 2
    first, second = assessment.revisions
    assert (first.number, first.total_x100, first.reason) == (1, 9600, "")
    assert (second.number, second.total_x100,
            second.reason) == (2, 9800, "caterer proved one opening was on time")
    old, new = assessment.lines
    assert (old.added_revision, old.withdrawn_revision, new.added_revision) == (1 - 1, 2, 2)
    actions = [entry.action for entry in audit.history(session, "assessment", assessment.id)]
    assert actions == ["opened", "line_added", "submitted", "disputed", "amending", "line_withdrawn",
                       "line_added", "answered"]
    with pytest.raises(Conflict):
        amend(session, settings, assessor, assessment.id, "after the fact")


def test_a_dispute_may_be_upheld_without_changes(kept_ledger, session, settings, assessor, contractor,
                                                 caterer):
    assessment = open_july(session, settings, assessor, contractor)
    submit(session, settings, assessor, assessment.id, now=AUG)
    respond(session, settings, caterer, assessment.id, "dispute", "no", now=AUG)
    with pytest.raises(InvalidInput):
        answer(session, settings, assessor, assessment.id, " ", now=AUG)
    answer(session, settings, assessor, assessment.id, "The record stands.", now=AUG)
    session.commit()
    assert assessment.status == "final" and assessment.revision == 1 and assessment.answer_text


def test_an_amendment_before_any_response_is_resubmitted(kept_ledger, session, settings, assessor,
                                                         contractor):
    assessment = open_july(session, settings, assessor, contractor)
    submit(session, settings, assessor, assessment.id, now=AUG)
    amend(session, settings, assessor, assessment.id, "forgot the menu finding", now=AUG)
    deduct(session, settings, assessor, assessment, "menu_not_published", now=AUG)
    submit(session, settings, assessor, assessment.id, now=AUG + timedelta(days=1))
    session.commit()
    assert assessment.status == "submitted" and assessment.revision == 2
    assert [rev.reason for rev in assessment.revisions] == ["", "forgot the menu finding"]
    assert assessment.respond_by == date(2021, 8, 9)


def test_silence_past_the_window_lets_the_assessor_finalize(kept_ledger, session, settings, assessor,
                                                            contractor):
    assessment = open_july(session, settings, assessor, contractor)
    submit(session, settings, assessor, assessment.id, now=AUG)
    with pytest.raises(Conflict):
        finalize(session, settings, assessor, assessment.id, now=AUG + timedelta(days=5))
    finalize(session, settings, assessor, assessment.id, now=AUG + timedelta(days=6))
    session.commit()
    assert assessment.status == "final" and assessment.response is None


# --- visibility ---------------------------------------------------------------------------------------------

def test_who_sees_which_assessment(kept_ledger, session, settings, assessor, contractor, caterer,
                                   other_caterer, user_in):
    draft = open_july(session, settings, assessor, contractor, month="2021-06")
    sent = open_july(session, settings, assessor, contractor)
    submit(session, settings, assessor, sent.id, now=AUG)
    session.commit()
    assert [item.id for item in list_assessments(session, assessor)] == [draft.id, sent.id]
    # Drafts stay with the assessors; a caterer sees only its own company's months.
    assert [item.id for item in list_assessments(session, user_in("viewer"))] == [sent.id]
    assert [item.id for item in list_assessments(session, caterer)] == [sent.id]
    assert list_assessments(session, other_caterer) == []
    assert list_assessments(session, user_in("viewer", canteens=["badajie"])) == []
    with pytest.raises(Forbidden):
        list_assessments(session, user_in("manager"))
    assert [item.id for item in list_assessments(session, assessor, year="2021", canteen="zonghe",
                                                 contractor=contractor.id)] == [draft.id, sent.id]
    assert list_assessments(session, assessor, year=2022) == []
    with pytest.raises(InvalidInput):
        list_assessments(session, assessor, year="recent")


# --- sheet versions -----------------------------------------------------------------------------------------

def stricter(settings):
    """The settings with late opening worth 5 points instead of 2."""
    data = settings.assessment.model_dump()
    data["items"][0]["rules"][0]["points"] = 5
    return settings.model_copy(update={"assessment": AssessmentSettings.model_validate(data)})


def test_a_config_change_never_changes_a_past_score(session, settings, assessor, contractor):
    july = open_july(session, settings, assessor, contractor)
    deduct(session, settings, assessor, july, "late_opening")
    assert score_of(july).total == 98
    changed = stricter(settings)
    august = open_july(session, changed, assessor, contractor, month="2021-08")
    deduct(session, changed, assessor, august, "late_opening")
    session.expire_all()
    july, august = session.get(Assessment, july.id), session.get(Assessment, august.id)
    assert (july.sheet_version.number, august.sheet_version.number) == (1, 2)
    assert score_of(july).total == 98 and score_of(august).total == 95
    # The same sheet content is the same version, however often it is loaded.
    assert current_sheet_version(session, settings).id == july.sheet_version_id
    assert current_sheet_version(session, changed).id == august.sheet_version_id
    assert sheet_of(july.sheet_version).rule("late_opening")[1].points == 2


# --- the warning --------------------------------------------------------------------------------------------

def test_two_consecutive_months_below_80_warn(kept_ledger, session, settings, assessor, contractor):
    months = {}
    for month in ("2021-06", "2021-07", "2021-08"):
        assessment = open_july(session, settings, assessor, contractor, month=month, now=LATER)
        for rule in ("ledger_falsified", "survey_below_80", "missing_sample"):
            if month != "2021-06" or rule == "ledger_falsified":
                deduct(session, settings, assessor, assessment, rule)
        submit(session, settings, assessor, assessment.id, now=LATER)
        months[month] = assessment
    session.commit()
    assert score_of(months["2021-06"]).total == 88
    assert score_of(months["2021-07"]).total == 81
    assert consecutive_below(session, months["2021-07"]) == []
    august = months["2021-08"]
    deduct_more = open_july(session, settings, assessor, contractor, canteen="badajie", month="2021-08")
    assert consecutive_below(session, deduct_more) == []  # a draft never warns
    assert consecutive_below(session, august) == []  # 81 is not below 80
    amend(session, settings, assessor, months["2021-07"].id, "second sample missing", now=LATER)
    deduct(session, settings, assessor, months["2021-07"], "missing_sample")
    submit(session, settings, assessor, months["2021-07"].id, now=LATER)
    amend(session, settings, assessor, august.id, "second sample missing", now=LATER)
    deduct(session, settings, assessor, august, "missing_sample")
    submit(session, settings, assessor, august.id, now=LATER)
    session.commit()
    assert [item.id for item in consecutive_below(session, august)] == [months["2021-07"].id, august.id]
    assert assessment_as_dict(session, august)["warning"] is True
