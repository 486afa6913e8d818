"""Demo data: a caterer serving both canteens, spot checks with a rectification, assessed months 2021-06..08.

Built through the services (so every row has its audit trail) on top of the demo ledger. August at
zonghe is submitted at seeding time, so the demo caterer can acknowledge or dispute it at first start.
"""
from __future__ import annotations

from contextlib import nullcontext
from datetime import date, datetime, time, timedelta, timezone
from typing import Any

from flask import has_app_context
from flask_babel import force_locale
from sqlalchemy import select
from sqlalchemy.orm import Session

from canteen.assessment.assessments import (add_line, amend, answer, finalize, open_assessment, respond,
                                            submit, withdraw_line)
from canteen.assessment.contractors import link_user, save_contractor
from canteen.assessment.decisions import decide_proposal
from canteen.assessment.models import Assessment, AssessmentLine, Contractor
from canteen.assessment.proposals import undecided_proposals
from canteen.auth.models import User
from canteen.config import AppConfig
from canteen.ledger.figures import slot_grams
from canteen.reference.services import canteen_by_code
from canteen.assessment.spotchecks.draw import draw_month
from canteen.assessment.spotchecks.models import SpotCheck
from canteen.assessment.spotchecks.services import record_check
from canteen.core.timeutil import month_end

DEMO_CONTRACTOR: dict[str, Any] = {
    "name": "开封市鼎味餐饮管理有限公司", "contract_no": "KFJG-CY-2021-01", "starts_on": "2021-01-01",
    "ends_on": "2023-12-31",
    "canteens": [{"canteen": "zonghe", "monthly_fee": "186000.00"},
                 {"canteen": "badajie", "monthly_fee": "98000.00"}]}
# The summer of the source's figures: the demo ledger holds zonghe's 4700 kg (July 2021) and 4301 kg (August).
MONTHS = (date(2021, 6, 1), date(2021, 7, 1), date(2021, 8, 1))
# Fixed seeds: the demo draws the same slots on every machine, so its story can refer to them.
SEEDS = {"zonghe": 20210600, "badajie": 20210650}


def _at(day: date, hour: int, settings: AppConfig) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=settings.zone).astimezone(timezone.utc)


def _reweigh(session: Session, canteen_id: int, day: date, meal: str, factor: float) -> list[dict[str, Any]]:
    """A plate-bin re-weigh ``factor`` times what the ledger holds (nothing when the ledger has no weight)."""
    grams = slot_grams(session, canteen_id, day, meal).get("plate")
    return [] if not grams else [{"stream": "plate", "weight": round(grams * factor), "unit": "g"}]


def _seed_checks(session: Session, settings: AppConfig, inspector: User) -> None:
    """Draw each month and record two checks; July at zonghe finds a missing sample, fixed at a follow-up."""
    for code, base_seed in SEEDS.items():
        canteen = canteen_by_code(session, code)
        if canteen is None:
            continue
        for index, month in enumerate(MONTHS):
            draw = draw_month(session, settings, inspector,
                              {"canteen": code, "month": month.strftime("%Y-%m"), "seed": base_seed + index},
                              now=_at(month, 6, settings))
            for position, slot in enumerate(draw.slots[:2]):
                # July's first zonghe check re-weighs 18 % under the ledger, beyond the 10 % tolerance, so the
                # demo shows a re-weigh proposal; 3 % over elsewhere stays within it.
                off = code == "zonghe" and month.month == 7 and position == 0
                findings: list[dict[str, Any]] = []
                if off:
                    findings = [{"rule": "missing_sample", "note": "红烧鱼未留样", "rectify": True}]
                elif code == "zonghe" and month.month == 8 and position == 0:
                    findings = [{"rule": "kitchen_not_clean", "note": "粗加工间地面积水", "rectify": True}]
                elif code == "badajie" and month.month == 6 and position == 1:
                    findings = [{"rule": "dirty_dining_area", "note": "午餐后餐桌未及时清理"}]
                record_check(session, settings, inspector, {
                    "canteen": code, "date": slot.day.isoformat(), "meal": slot.meal_code, "slot": slot.id,
                    "checklist": {item.code: "ok" for item in settings.assessment.items},
                    "summary": "按抽查清单逐项检查，现场复称回收处剩餐。",
                    "reweighs": _reweigh(session, canteen.id, slot.day, slot.meal_code,
                                         0.82 if off else 1.03),
                    "findings": findings}, now=_at(slot.day, 13, settings))
            # The missing sample found in July is closed by a follow-up five days later: a full rectification.
            if code == "zonghe" and month.month == 7:
                first = session.scalars(select(SpotCheck).where(SpotCheck.slot_id == draw.slots[0].id)).one()
                follow_day = first.day + timedelta(days=5)
                record_check(session, settings, inspector, {
                    "canteen": code, "date": follow_day.isoformat(), "meal": "lunch", "kind": "follow_up",
                    "summary": "复查留样整改情况。", "checklist": {"food_safety": "ok"},
                    "closes": [{"finding": first.findings[0].id, "note": "留样柜已配齐，逐餐留样记录完整"}]},
                    now=_at(follow_day, 12, settings))


def _decide_all(session: Session, settings: AppConfig, assessor: User, assessment_id: int,
                now: datetime) -> None:
    assessment = session.get(Assessment, assessment_id)
    assert assessment is not None
    for proposal in undecided_proposals(session, settings, assessment, now):
        decide_proposal(session, settings, assessor, assessment_id, proposal.key, True, now=now)


EXTRA_LINES: dict[tuple[str, int], list[dict[str, Any]]] = {
    ("zonghe", 6): [{"rule": "menu_not_published", "reference": "第24周菜谱周二才公布", "note": "周菜谱晚公布"}],
    ("zonghe", 7): [{"rule": "late_opening", "ledger_day": "2021-07-12", "note": "午餐延误12分钟"},
                    {"rule": "verified_complaint", "reference": "投诉单 2021-07-015", "note": "菜品偏咸"}],
    ("zonghe", 8): [{"rule": "no_small_portions", "reference": "现场检查记录", "note": "小份菜仅两种"},
                    {"rule": "commendation", "reference": "市机关事务局通报 2021-33号", "note": "光盘行动通报表扬"}],
    ("badajie", 6): [{"rule": "staff_conduct", "count": 2, "reference": "现场检查记录", "note": "两名服务员未戴帽"}],
    ("badajie", 7): [{"rule": "no_clean_plate_reminder", "reference": "现场检查记录", "note": "回收处无提示牌"}],
    ("badajie", 8): [{"rule": "foreign_matter", "reference": "投诉单 2021-08-021", "note": "米饭中有异物"},
                     {"rule": "missing_sample", "ledger_day": "2021-08-18", "note": "晚餐未留样"},
                     {"rule": "survey_below_80", "reference": "8月满意度测评 76%"},
                     {"rule": "raw_cooked_mixed", "reference": "现场检查记录"},
                     {"rule": "no_receiving_record", "reference": "8月进货台账"}],
}


def _seed_assessments(session: Session, settings: AppConfig, contractor: Contractor, assessor: User,
                      caterer: User) -> None:
    for code in ("zonghe", "badajie"):
        if canteen_by_code(session, code) is None:
            continue
        for month in MONTHS:
            # Opened after the month, as in practice: submit refuses a month that is not over.
            after = month_end(month) + timedelta(days=3)
            opened = _at(after, 9, settings)
            assessment = open_assessment(session, settings, assessor, {
                "contractor": contractor.id, "canteen": code, "month": month.strftime("%Y-%m")}, now=opened)
            _decide_all(session, settings, assessor, assessment.id, opened)
            for data in EXTRA_LINES[(code, month.month)]:
                add_line(session, settings, assessor, assessment.id, data, now=opened)
            if code == "zonghe" and month.month == 8:
                # Submitted now: the demo caterer can still acknowledge or dispute it.
                submit(session, settings, assessor, assessment.id)
                continue
            submitted = _at(after, 16, settings)
            submit(session, settings, assessor, assessment.id, now=submitted)
            if month.month == 6:
                respond(session, settings, caterer, assessment.id, "acknowledge", "无异议",
                        now=submitted + timedelta(days=2))
            elif month.month == 7 and code == "zonghe":
                # The full dispute path: dispute, amendment, withdrawn line, answer.
                respond(session, settings, caterer, assessment.id, "dispute",
                        "7月12日午餐延误系停电所致，已报备，不应扣分。", now=submitted + timedelta(days=1))
                later = submitted + timedelta(days=2)
                amend(session, settings, assessor, assessment.id, "核实停电报备属实，撤销开餐延误扣分", now=later)
                _withdraw_late_opening(session, assessor, assessment.id, later)
                answer(session, settings, assessor, assessment.id, "经核实，同意撤销该项扣分，其余扣分维持。", now=later)
            else:
                window = timedelta(days=settings.assessment.dispute_days + 1)
                finalize(session, settings, assessor, assessment.id, now=submitted + window)


def _withdraw_late_opening(session: Session, assessor: User, assessment_id: int, now: datetime) -> None:
    line = session.scalars(select(AssessmentLine).where(AssessmentLine.assessment_id == assessment_id,
                                                        AssessmentLine.code == "late_opening")).one()
    withdraw_line(session, assessor, assessment_id, line.id, "停电报备属实", now=now)


def seed_assessment_demo(session: Session, settings: AppConfig, users: dict[str, User]) -> None:
    """Create the demo caterer, link the demo ``contractor`` user, record checks, assess three months."""
    admin, assessor, caterer = users.get("admin"), users.get("assessor"), users.get("contractor")
    if admin is None or assessor is None or caterer is None:
        return
    # Seeding twice must not fail or duplicate: the demo contractor's presence means it is done.
    if session.scalar(select(Contractor).where(Contractor.contract_no == DEMO_CONTRACTOR["contract_no"])):
        return
    # Outside a request the services' messages need a locale to be chosen for them.
    with force_locale(settings.default_locale) if has_app_context() else nullcontext():
        # A config without one of the demo canteens still gets a demo for the other.
        canteens = [item for item in DEMO_CONTRACTOR["canteens"] if canteen_by_code(session, item["canteen"])]
        contractor = save_contractor(session, admin, {**DEMO_CONTRACTOR, "canteens": canteens})
        link_user(session, admin, contractor.id, caterer.username)
        _seed_checks(session, settings, assessor)
        _seed_assessments(session, settings, contractor, assessor, caterer)
    session.flush()
