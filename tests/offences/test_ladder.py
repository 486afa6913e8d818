"""The ladder: warning, then exposure and referral approved by a second person; counts always recomputed."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from canteen.core.errors import Conflict, Forbidden, InvalidInput
from canteen.offences.appeals import decide_appeal, file_appeal
from canteen.offences.escalations import approve, record_letter_sent, record_warning, reject
from canteen.offences.ladder import diner_standing, on_board
from canteen.offences.models import Escalation, EscalationAction, Offence
from canteen.review.services import correct_review, review_event
from tests.offences.conftest import confirm, current_step, settings_with, utc


@pytest.fixture
def zhang(add_diner):
    return add_diner("1001", "张三", "办公室")


def standing(ctx, settings, diner, now):
    ctx.expire_all()
    return diner_standing(ctx, settings, diner, now)


def test_first_offence_is_a_warning_recording_who_gave_it_and_when(ctx, settings, people, zhang, add_event):
    event = add_event(utc(2024, 3, 4))
    warning = confirm(ctx, settings, people["reviewer"], event, "1001")
    assert (warning.step, warning.status, warning.ordinal) == ("warning", "open", 1)
    now = utc(2024, 3, 4, 6)
    result = standing(ctx, settings, zhang, now)
    assert (result.count, result.step, result.pending) == (1, "warning", None)

    given = record_warning(ctx, settings, people["reviewer2"], warning.id, "2024-03-04T13:10", "在回收台当面提醒",
                           now=now)
    ctx.commit()
    assert given.status == "given" and given.decided_by_id == people["reviewer2"].id
    assert given.decided_at == utc(2024, 3, 4, 5, 10)  # 13:10 in Shanghai
    assert [action.action for action in given.actions] == ["created", "given"]
    with pytest.raises(Conflict):
        record_warning(ctx, settings, people["reviewer2"], warning.id, now=now)


def test_a_warning_cannot_be_given_before_the_offence_or_in_the_future(ctx, settings, people, zhang,
                                                                       add_event):
    warning = confirm(ctx, settings, people["reviewer"], add_event(utc(2024, 3, 4)), "1001")
    for moment in ("2024-03-04T11:00", "2024-03-05T12:00"):
        with pytest.raises(InvalidInput) as error:
            record_warning(ctx, settings, people["reviewer"], warning.id, moment, now=utc(2024, 3, 4, 6))
        assert "given_at" in error.value.fields
    ctx.rollback()
    assert ctx.get(Escalation, warning.id).status == "open"


def test_exposure_needs_a_second_person_not_the_one_who_confirmed(ctx, settings, people, zhang, add_event):
    confirm(ctx, settings, people["reviewer"], add_event(utc(2024, 3, 4)), "1001")
    exposure = confirm(ctx, settings, people["reviewer"], add_event(utc(2024, 3, 6)), "1001")
    assert (exposure.step, exposure.status) == ("exposure", "pending_approval")
    now = utc(2024, 3, 6, 8)
    result = standing(ctx, settings, zhang, now)
    assert result.step == "warning" and result.pending.id == exposure.id and result.count == 2

    actions_before = ctx.scalar(select(func.count()).select_from(EscalationAction))
    with pytest.raises(Forbidden) as error:
        approve(ctx, settings, people["reviewer"], exposure.id, now=now)
    assert "escalation" in error.value.fields
    for outsider in ("viewer", "contractor", "manager"):
        with pytest.raises(Forbidden):
            approve(ctx, settings, people[outsider], exposure.id, now=now)
    ctx.rollback()
    assert ctx.get(Escalation, exposure.id).status == "pending_approval"
    assert ctx.scalar(select(func.count()).select_from(EscalationAction)) == actions_before

    approved = approve(ctx, settings, people["discipline"], exposure.id, "核实", now=now)
    ctx.commit()
    assert approved.status == "approved" and approved.decided_by_id == people["discipline"].id
    assert approved.starts_at == now and approved.expires_at == now + timedelta(days=7)
    assert on_board(approved, now + timedelta(days=6, hours=23))
    assert not on_board(approved, now + timedelta(days=7))
    assert standing(ctx, settings, zhang, now).step == "exposure"
    with pytest.raises(Conflict):
        approve(ctx, settings, people["reviewer2"], exposure.id, now=now)


def test_whoever_confirmed_in_any_revision_may_not_approve(ctx, settings, people, zhang, add_event):
    confirm(ctx, settings, people["reviewer"], add_event(utc(2024, 3, 4)), "1001")
    event = add_event(utc(2024, 3, 6))
    review_event(ctx, settings, people["reviewer2"], event.uuid, {"decision": "unidentified"},
                 now=utc(2024, 3, 6, 5))
    correct_review(ctx, settings, people["reviewer"], event.uuid,
                   {"decision": "confirmed", "card_no": "1001", "reason": "card seen on the tray"},
                   now=utc(2024, 3, 6, 6))
    ctx.commit()
    exposure = current_step(ctx, event)
    with pytest.raises(Forbidden):
        approve(ctx, settings, people["reviewer"], exposure.id, now=utc(2024, 3, 6, 7))
    ctx.rollback()
    # reviewer2 only said "unidentified": a second person as far as the confirmation goes.
    assert approve(ctx, settings, people["reviewer2"], exposure.id,
                   now=utc(2024, 3, 6, 7)).status == "approved"


def test_who_may_approve_is_configured(ctx, settings, people, zhang, add_event):
    narrow = settings_with(settings, approver_roles=["discipline"])
    confirm(ctx, narrow, people["reviewer"], add_event(utc(2024, 3, 4)), "1001")
    exposure = confirm(ctx, narrow, people["reviewer"], add_event(utc(2024, 3, 6)), "1001")
    with pytest.raises(Forbidden):
        approve(ctx, narrow, people["reviewer2"], exposure.id, now=utc(2024, 3, 7))
    ctx.rollback()
    assert approve(ctx, narrow, people["discipline"], exposure.id, now=utc(2024, 3, 7)).status == "approved"


def test_a_rejected_step_is_not_taken_but_the_offence_still_counts(ctx, settings, people, zhang, add_event):
    confirm(ctx, settings, people["reviewer"], add_event(utc(2024, 3, 4)), "1001")
    exposure = confirm(ctx, settings, people["reviewer"], add_event(utc(2024, 3, 6)), "1001")
    with pytest.raises(InvalidInput) as error:
        reject(ctx, settings, people["discipline"], exposure.id, "  ", now=utc(2024, 3, 7))
    assert "reason" in error.value.fields
    rejected = reject(ctx, settings, people["discipline"], exposure.id, "画面不清", now=utc(2024, 3, 7))
    ctx.commit()
    assert rejected.status == "rejected" and rejected.decision_note == "画面不清"
    result = standing(ctx, settings, zhang, utc(2024, 3, 7))
    assert (result.count, result.step, result.pending) == (2, "warning", None)
    third = confirm(ctx, settings, people["reviewer"], add_event(utc(2024, 3, 9)), "1001")
    assert third.step == "referral"


def test_third_offence_is_a_referral_and_the_last_step_repeats(ctx, settings, people, zhang, add_event):
    steps = [confirm(ctx, settings, people["reviewer"], add_event(utc(2024, 3, day)), "1001").step
             for day in (4, 6, 8, 11)]
    assert steps == ["warning", "exposure", "referral", "referral"]
    referral = ctx.scalars(select(Escalation).where(Escalation.step == "referral")
                           .order_by(Escalation.id)).first()
    approve(ctx, settings, people["discipline"], referral.id, now=utc(2024, 3, 12))
    with pytest.raises(InvalidInput):
        record_letter_sent(ctx, settings, people["discipline"], referral.id, "2024-03-11",
                           now=utc(2024, 3, 12))
    sent = record_letter_sent(ctx, settings, people["discipline"], referral.id, "2024-03-12", "机要件 2024-17",
                              now=utc(2024, 3, 12, 8))
    ctx.commit()
    assert sent.letter_sent_on.isoformat() == "2024-03-12"
    assert sent.letter_sent_by_id == people["discipline"].id
    with pytest.raises(Conflict):
        record_letter_sent(ctx, settings, people["discipline"], referral.id, "2024-03-12",
                           now=utc(2024, 3, 12, 9))


@pytest.mark.parametrize("second_day, expected", [((2024, 6, 14), "exposure"), ((2024, 6, 15), "warning")])
def test_rolling_window_edge(ctx, settings, people, zhang, add_event, second_day, expected):
    confirm(ctx, settings, people["reviewer"], add_event(utc(2023, 6, 15)), "1001")
    assert confirm(ctx, settings, people["reviewer"], add_event(utc(*second_day)), "1001").step == expected


def test_calendar_year_window_starts_again_on_new_year(ctx, settings, people, zhang, add_event):
    yearly = settings_with(settings, window="calendar_year")
    confirm(ctx, yearly, people["reviewer"], add_event(utc(2023, 12, 31)), "1001")
    assert confirm(ctx, yearly, people["reviewer"], add_event(utc(2024, 1, 1)), "1001").step == "warning"
    assert confirm(ctx, yearly, people["reviewer"], add_event(utc(2024, 1, 2)), "1001").step == "exposure"


def test_counts_are_recomputed_as_offences_leave_the_window(ctx, settings, people, zhang, add_event):
    confirm(ctx, settings, people["reviewer"], add_event(utc(2024, 3, 4)), "1001")
    confirm(ctx, settings, people["reviewer"], add_event(utc(2024, 5, 6)), "1001")
    assert standing(ctx, settings, zhang, utc(2024, 5, 7)).count == 2
    assert standing(ctx, settings, zhang, utc(2025, 3, 3)).count == 2
    later = standing(ctx, settings, zhang, utc(2025, 3, 4))
    assert later.count == 1 and [offence.occurred_at for offence in later.counted] == [utc(2024, 5, 6)]
    assert standing(ctx, settings, zhang, utc(2025, 5, 6)).count == 0
    assert standing(ctx, settings, zhang, utc(2025, 5, 6)).step is None


def test_dismissed_and_unidentified_events_do_not_count(ctx, settings, people, zhang, add_event):
    for decision in ("dismissed", "unidentified"):
        review_event(ctx, settings, people["reviewer"], add_event(utc(2024, 3, 4)).uuid,
                     {"decision": decision}, now=utc(2024, 3, 4, 6))
    ctx.commit()
    assert ctx.scalar(select(func.count()).select_from(Offence)) == 0
    assert standing(ctx, settings, zhang, utc(2024, 3, 5)).count == 0
    assert confirm(ctx, settings, people["reviewer"], add_event(utc(2024, 3, 6)), "1001").step == "warning"


def test_an_annulled_offence_stops_counting_and_later_steps_are_recounted(ctx, settings, people, zhang,
                                                                          add_event):
    first = confirm(ctx, settings, people["reviewer"], add_event(utc(2024, 3, 4)), "1001")
    record_warning(ctx, settings, people["reviewer"], first.id, now=utc(2024, 3, 4, 6))
    second_event = add_event(utc(2024, 3, 6))
    exposure = confirm(ctx, settings, people["reviewer"], second_event, "1001")
    appeal = file_appeal(ctx, settings, people["reviewer2"], first.id, "那天的餐盘不是我的", now=utc(2024, 3, 7))
    ctx.commit()
    with pytest.raises(Forbidden):
        decide_appeal(ctx, settings, people["reviewer"], appeal.id, "annulled", "confirmer",
                      now=utc(2024, 3, 8))
    ctx.rollback()
    with pytest.raises(InvalidInput) as error:
        decide_appeal(ctx, settings, people["discipline"], appeal.id, "maybe", "", now=utc(2024, 3, 8))
    assert {"outcome", "reason"} <= error.value.fields.keys()
    decide_appeal(ctx, settings, people["discipline"], appeal.id, "annulled", "监控显示为他人餐盘",
                  now=utc(2024, 3, 8))
    ctx.commit()
    ctx.expire_all()
    assert ctx.get(Escalation, first.id).status == "annulled"
    assert ctx.get(Escalation, exposure.id).status == "superseded"
    replacement = current_step(ctx, second_event)
    assert (replacement.step, replacement.status, replacement.ordinal) == ("warning", "open", 1)
    result = standing(ctx, settings, zhang, utc(2024, 3, 8))
    assert (result.count, result.step, result.pending) == (1, "warning", None)
    with pytest.raises(Conflict):
        decide_appeal(ctx, settings, people["discipline"], appeal.id, "upheld", "again", now=utc(2024, 3, 9))


def test_an_appeal_suspends_the_step_until_upheld(ctx, settings, people, zhang, add_event):
    confirm(ctx, settings, people["reviewer"], add_event(utc(2024, 3, 4)), "1001")
    exposure = confirm(ctx, settings, people["reviewer"], add_event(utc(2024, 3, 6)), "1001")
    now = utc(2024, 3, 7)
    approve(ctx, settings, people["discipline"], exposure.id, now=now)
    appeal = file_appeal(ctx, settings, people["reviewer2"], exposure.id, "请求撤下曝光", "2024-03-07", now=now)
    ctx.commit()
    assert not on_board(exposure, now + timedelta(hours=1))
    assert standing(ctx, settings, zhang, now).step == "warning", "a suspended step is not in effect"
    with pytest.raises(Conflict):
        file_appeal(ctx, settings, people["reviewer2"], exposure.id, "again", now=now)
    ctx.rollback()
    decide_appeal(ctx, settings, people["discipline"], appeal.id, "upheld", "证据清楚",
                  now=now + timedelta(hours=2))
    ctx.commit()
    ctx.expire_all()
    exposure = ctx.get(Escalation, exposure.id)
    assert exposure.status == "approved" and on_board(exposure, now + timedelta(hours=3))
    assert exposure.expires_at == now + timedelta(days=7), "the board period is not extended"


def test_an_open_appeal_blocks_approval(ctx, settings, people, zhang, add_event):
    confirm(ctx, settings, people["reviewer"], add_event(utc(2024, 3, 4)), "1001")
    exposure = confirm(ctx, settings, people["reviewer"], add_event(utc(2024, 3, 6)), "1001")
    file_appeal(ctx, settings, people["reviewer2"], exposure.id, "申诉", now=utc(2024, 3, 7))
    ctx.commit()
    with pytest.raises(Conflict):
        approve(ctx, settings, people["discipline"], exposure.id, now=utc(2024, 3, 7, 6))


def test_a_corrected_decision_withdraws_the_offence(ctx, settings, people, zhang, add_diner, add_event):
    event = add_event(utc(2024, 3, 4))
    warning = confirm(ctx, settings, people["reviewer"], event, "1001")
    with pytest.raises(InvalidInput) as error:
        correct_review(ctx, settings, people["reviewer2"], event.uuid, {"decision": "dismissed"},
                       now=utc(2024, 3, 5))
    assert "reason" in error.value.fields
    ctx.rollback()
    correct_review(ctx, settings, people["reviewer2"], event.uuid,
                   {"decision": "dismissed", "reason": "只是倒汤"},
                   now=utc(2024, 3, 5))
    ctx.commit()
    ctx.expire_all()
    assert ctx.get(Escalation, warning.id).status == "withdrawn"
    assert standing(ctx, settings, zhang, utc(2024, 3, 5)).count == 0
    offence = ctx.scalars(select(Offence)).one()
    assert offence.withdrawn_at == utc(2024, 3, 5) and offence.review.decision == "confirmed"


def test_a_correction_to_another_diner_moves_the_offence(ctx, settings, people, zhang, add_diner, add_event):
    li = add_diner("1002", "李四", "财务科")
    event = add_event(utc(2024, 3, 4))
    confirm(ctx, settings, people["reviewer"], event, "1001")
    correct_review(ctx, settings, people["reviewer"], event.uuid,
                   {"decision": "confirmed", "card_no": "1002", "reason": "卡号看错"}, now=utc(2024, 3, 5))
    ctx.commit()
    assert standing(ctx, settings, zhang, utc(2024, 3, 5)).count == 0
    assert standing(ctx, settings, li, utc(2024, 3, 5)).count == 1
    assert current_step(ctx, event).diner_id == li.id


def test_a_late_review_of_an_older_event_recounts_open_steps(ctx, settings, people, zhang, add_event):
    newer, older = add_event(utc(2024, 3, 10)), add_event(utc(2024, 3, 4))
    newer_step = confirm(ctx, settings, people["reviewer"], newer, "1001", now=utc(2024, 3, 10, 6))
    assert newer_step.step == "warning"
    confirm(ctx, settings, people["reviewer"], older, "1001", now=utc(2024, 3, 11))
    ctx.expire_all()
    assert current_step(ctx, older).step == "warning"
    assert ctx.get(Escalation, newer_step.id).status == "superseded"
    assert (current_step(ctx, newer).step, current_step(ctx, newer).status) == ("exposure",
                                                                                "pending_approval")


def test_a_given_warning_is_settled_history_a_recount_leaves_it(ctx, settings, people, zhang, add_event):
    newer, older = add_event(utc(2024, 3, 10)), add_event(utc(2024, 3, 4))
    warning = confirm(ctx, settings, people["reviewer"], newer, "1001", now=utc(2024, 3, 10, 6))
    record_warning(ctx, settings, people["reviewer"], warning.id, now=utc(2024, 3, 10, 7))
    confirm(ctx, settings, people["reviewer"], older, "1001", now=utc(2024, 3, 11))
    ctx.expire_all()
    assert ctx.get(Escalation, warning.id).status == "given"
    assert standing(ctx, settings, zhang, utc(2024, 3, 11)).count == 2
