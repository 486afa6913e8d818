"""Waste items proposed from the ledger and spot checks; the assessor accepts or overrides with a reason."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest

from canteen.assessment.assessments import open_assessment, score_of, submit
from canteen.assessment.decisions import decide_proposal
from canteen.assessment.proposals import (missing_by_end_of_day, plate_baseline, proposals_for,
                                          undecided_proposals)
from canteen.core.errors import Conflict, InvalidInput, NotFound
from canteen.assessment.spotchecks.draw import draw_month
from canteen.assessment.spotchecks.services import record_check
from tests.assessment.world import LATER, canteen_row, fill_month, put_entry

JULY, AUG = date(2021, 7, 1), date(2021, 8, 1)


def draft(session, settings, actor, contractor, month="2021-07", canteen="zonghe"):
    """An open draft, committed."""
    assessment = open_assessment(session, settings, actor, {"contractor": contractor.id, "canteen": canteen,
                                                            "month": month}, now=LATER)
    session.commit()
    return assessment


def by_key(session, settings, assessment):
    """The proposals of an assessment by key."""
    return {proposal.key: proposal for proposal in proposals_for(session, settings, assessment, now=LATER)}


def test_missing_and_late_ledger_meals_are_proposed(session, settings, admin, assessor, contractor):
    skip = {(date(2021, 7, 5), "lunch"), (date(2021, 7, 6), "dinner"), (date(2021, 7, 20), "breakfast")}
    fill_month(session, admin, JULY, 60, skip=skip)
    # Entered two days late: present in the ledger now, but not by the end of its day.
    put_entry(session, admin, date(2021, 7, 20), "breakfast", "plate", 4000,
              created_at=datetime(2021, 7, 22, 1, tzinfo=timezone.utc))
    # Imported from the paper ledger long after: the paper was kept at the time, so it is on time.
    put_entry(session, admin, date(2021, 7, 6), "dinner", "prep", 3000, source="import",
              created_at=datetime(2021, 9, 1, tzinfo=timezone.utc))
    # Grease is not food waste: a meal with only grease is still missing.
    put_entry(session, admin, date(2021, 7, 5), "lunch", "grease", 800)
    session.commit()
    never, late = missing_by_end_of_day(session, settings, canteen_row(session), JULY, now=LATER)
    assert never == [(date(2021, 7, 5), "lunch")] and late == [(date(2021, 7, 20), "breakfast")]
    assessment = draft(session, settings, assessor, contractor)
    proposal = by_key(session, settings, assessment)["ledger_missing"]
    assert (proposal.rule_code, proposal.count) == ("ledger_entry_missing", 2)
    assert proposal.detail == {"missing": ["2021-07-05 lunch"], "late": ["2021-07-20 breakfast"]}
    assert proposal.needs_decision
    decide_proposal(session, settings, assessor, assessment.id, "ledger_missing", accept=True, now=LATER)
    session.commit()
    [line] = assessment.lines
    assert (line.code, line.count, line.proposal_key,
            line.ledger_day) == ("ledger_entry_missing", 2, "ledger_missing", date(2021, 7, 5))
    assert score_of(assessment).total == 98
    assert not undecided_proposals(session, settings, assessment, now=LATER)


def test_an_empty_ledger_month_hits_the_cap(session, settings, assessor, contractor):
    assessment = draft(session, settings, assessor, contractor)
    proposal = by_key(session, settings, assessment)["ledger_missing"]
    assert proposal.count == 31 * 3
    decide_proposal(session, settings, assessor, assessment.id, "ledger_missing", accept=True, now=LATER)
    assert score_of(assessment).total == 94  # -1 per meal, at most -6


def test_a_day_not_yet_over_is_not_missing(session, settings, assessor, contractor):
    mid_july = datetime(2021, 7, 3, 13, 0, tzinfo=timezone.utc)  # 21:00 on 3 July in Shanghai
    never, _late = missing_by_end_of_day(session, settings, canteen_row(session), JULY, now=mid_july)
    assert {day for day, _meal in never} == {date(2021, 7, 1), date(2021, 7, 2)}


def test_plate_waste_against_the_same_month_last_year(session, settings, admin, assessor, contractor):
    fill_month(session, admin, date(2020, 7, 1), 60)
    fill_month(session, admin, JULY, 72.5)
    session.commit()
    assert plate_baseline(session, settings, canteen_row(session), JULY,
                          LATER) == (60, "same_month_last_year", ["2020-07"])
    assessment = draft(session, settings, assessor, contractor)
    proposal = by_key(session, settings, assessment)["plate_baseline"]
    assert proposal.detail["excess_pct"] == 20.8 and proposal.count == 4  # four whole 5 % steps
    assert proposal.detail["basis"] == "same_month_last_year"
    decide_proposal(session, settings, assessor, assessment.id, "plate_baseline", accept=True, now=LATER)
    session.commit()
    line = next(line for line in assessment.lines if line.code == "plate_over_baseline")
    assert (line.count, line.excess_pct) == (4, 20.8)
    item = next(item for item in score_of(assessment).items if item.item.code == "anti_waste")
    assert item.score == 6  # 14 - 4 steps x 2 = 6, capped at 8 points


def test_plate_waste_against_the_seasons_average(session, settings, admin, assessor, contractor):
    # No August 2020: the baseline is the summer months of the past year that have data.
    fill_month(session, admin, date(2021, 6, 1), 50)
    fill_month(session, admin, JULY, 70)
    fill_month(session, admin, AUG, 66)
    session.commit()
    assert plate_baseline(session, settings, canteen_row(session), AUG, LATER) == (60, "season_average",
                                                                                   ["2021-06", "2021-07"])
    assessment = draft(session, settings, assessor, contractor, month="2021-08")
    proposal = by_key(session, settings, assessment)["plate_baseline"]
    assert (proposal.detail["excess_pct"], proposal.count) == (10.0, 2)


def test_less_waste_than_the_baseline_proposes_nothing(session, settings, admin, assessor, contractor):
    fill_month(session, admin, date(2020, 7, 1), 60)
    fill_month(session, admin, JULY, 50)
    session.commit()
    assessment = draft(session, settings, assessor, contractor)
    proposal = by_key(session, settings, assessment)["plate_baseline"]
    assert proposal.detail["excess_pct"] == -16.7 and proposal.count == 0 and not proposal.needs_decision


def test_without_any_baseline_there_is_no_plate_proposal_to_decide(session, settings, admin, assessor,
                                                                   contractor):
    fill_month(session, admin, JULY, 90)
    session.commit()
    assessment = draft(session, settings, assessor, contractor)
    proposal = by_key(session, settings, assessment)["plate_baseline"]
    assert proposal.count == 0 and proposal.detail["baseline_g"] is None


def test_override_needs_a_reason_and_replaces_the_earlier_decision(session, settings, admin, assessor,
                                                                   contractor):
    fill_month(session, admin, JULY, 60, skip={(date(2021, 7, day), "dinner") for day in (3, 4, 5)})
    session.commit()
    assessment = draft(session, settings, assessor, contractor)
    with pytest.raises(InvalidInput) as caught:
        decide_proposal(session, settings, assessor, assessment.id, "ledger_missing", accept=False, count=1)
    assert "reason" in caught.value.fields
    with pytest.raises(InvalidInput) as caught:
        decide_proposal(session, settings, assessor, assessment.id, "ledger_missing", accept=False,
                        reason="x")
    assert "count" in caught.value.fields
    with pytest.raises(NotFound):
        decide_proposal(session, settings, assessor, assessment.id, "finding:999", accept=True)
    session.rollback()
    decide_proposal(session, settings, assessor, assessment.id, "ledger_missing", accept=True, now=LATER)
    decide_proposal(session, settings, assessor, assessment.id, "ledger_missing", accept=False, count=1,
                    reason="the 4th and 5th were a closed holiday", now=LATER)
    session.commit()
    first, second = assessment.decisions
    assert first.superseded and (first.accepted, first.decided_count) == (True, 3)
    assert not second.superseded and (second.accepted, second.proposed_count,
                                      second.decided_count) == (False, 3, 1)
    assert second.reason == "the 4th and 5th were a closed holiday"
    old, new = assessment.lines
    assert not old.active and old.withdraw_reason == "superseded by a new decision"
    assert new.active and new.count == 1
    assert score_of(assessment).total == 99
    # Zero dismisses the proposal: no line, but the decision (and why) is kept.
    decide_proposal(session, settings, assessor, assessment.id, "ledger_missing", accept=False, count=0,
                    reason="all three were holidays", now=LATER)
    session.commit()
    assert score_of(assessment).total == 100 and len(assessment.decisions) == 3
    assert assessment.decisions[-1].line_id is None


def test_submission_waits_for_every_proposal(session, settings, admin, assessor, contractor):
    fill_month(session, admin, JULY, 60, skip={(date(2021, 7, 9), "lunch")})
    session.commit()
    assessment = draft(session, settings, assessor, contractor)
    with pytest.raises(Conflict) as caught:
        submit(session, settings, assessor, assessment.id, now=LATER)
    assert "proposals" in caught.value.fields
    decide_proposal(session, settings, assessor, assessment.id, "ledger_missing", accept=True, now=LATER)
    submit(session, settings, assessor, assessment.id, now=LATER)
    session.commit()
    assert assessment.status == "submitted" and assessment.revisions[0].total_x100 == 9900


def test_spot_check_reweighs_and_findings_become_proposals(session, settings, admin, assessor, contractor):
    fill_month(session, admin, JULY, 60)
    session.commit()
    draw = draw_month(session, settings, assessor, {"canteen": "zonghe", "month": "2021-07", "seed": 7},
                      now=LATER)
    first, second = draw.slots[:2]
    # Ledger plate weight of every meal is 6 kg: 7 kg re-weighed is 14.3 % off; 6.3 kg is 4.8 % off.
    off = record_check(session, settings, assessor, {
        "canteen": "zonghe", "date": first.day.isoformat(), "meal": first.meal_code, "slot": first.id,
        "reweighs": [{"stream": "plate", "weight": "7"}],
        "findings": [{"rule": "missing_sample", "count": 1, "note": "no sample of the fish",
                      "rectify": True}]},
        now=LATER)
    record_check(session, settings, assessor, {
        "canteen": "zonghe", "date": second.day.isoformat(), "meal": second.meal_code, "slot": second.id,
        "reweighs": [{"stream": "plate", "weight": "6.3"}]}, now=LATER)
    session.commit()
    assessment = draft(session, settings, assessor, contractor)
    proposals = by_key(session, settings, assessment)
    reweigh = proposals[f"reweigh:{off.id}"]
    assert (reweigh.rule_code, reweigh.count, reweigh.spot_check_id) == ("reweigh_off_ledger", 1, off.id)
    assert reweigh.detail["streams"] == [{"stream": "plate", "weighed_kg": 7.0, "ledger_kg": 6.0,
                                          "diff_kg": -1.0, "diff_pct": -14.3, "beyond_tolerance": True}]
    assert len([key for key in proposals if key.startswith("reweigh:")]) == 1
    finding = proposals[f"finding:{off.findings[0].id}"]
    assert (finding.rule_code, finding.count, finding.spot_check_id) == ("missing_sample", 1, off.id)
    for key in (f"reweigh:{off.id}", f"finding:{off.findings[0].id}"):
        decide_proposal(session, settings, assessor, assessment.id, key, accept=True, now=LATER)
    session.commit()
    assert {(line.code, line.spot_check_id) for line in assessment.lines} == {
        ("reweigh_off_ledger", off.id), ("missing_sample", off.id)}
    assert score_of(assessment).total == 95


def test_proposals_are_refused_after_submission(kept_ledger, session, settings, assessor, contractor):
    assessment = draft(session, settings, assessor, contractor)
    submit(session, settings, assessor, assessment.id, now=LATER + timedelta(days=1))
    session.commit()
    with pytest.raises(Conflict):
        decide_proposal(session, settings, assessor, assessment.id, "ledger_missing", accept=True)
