"""Spot checks: the reproducible draw, check records with re-weighs, findings and rectification follow-ups."""
from __future__ import annotations

import json
from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from canteen.assessment import audit
from canteen.assessment.media import media_root
from canteen.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from canteen.reference.models import Canteen
from canteen.assessment.spotchecks.draw import (draw_missing, draw_month, draw_slots, seed_visible,
                                                serving_days, slot_visible, verify_draw)
from canteen.assessment.spotchecks.models import SpotCheck, SpotCheckDraw, SpotCheckFinding
from canteen.assessment.spotchecks.services import (add_finding, add_photo, check_as_dict, list_checks,
                                                    record_check, rectifications, respond_to_check,
                                                    reweigh_comparison, visible_check)
from tests.assessment.world import LATER, canteen_row, fill_month, put_entry

JULY = date(2021, 7, 1)
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def weekday_only(settings):
    """The settings with zonghe serving Monday to Friday only."""
    canteens = [canteen.model_copy(update={"serving_weekdays": [1, 2, 3, 4, 5]}) if canteen.code == "zonghe"
                else canteen for canteen in settings.canteens]
    return settings.model_copy(update={"canteens": canteens})


# --- the draw ----------------------------------------------------------------------------------------------

def test_the_same_seed_draws_the_same_slots(session, settings):
    canteen = canteen_row(session)
    first = draw_slots(settings, canteen, JULY, 20210701, 4)
    assert first == draw_slots(settings, canteen, JULY, 20210701, 4)
    assert len(first) == 4 and len({day for day, _meal in first}) == 4
    assert [day for day, _meal in first] == sorted(day for day, _meal in first)
    assert all(day.month == 7 and meal in ("breakfast", "lunch", "dinner") for day, meal in first)
    others = {tuple(draw_slots(settings, canteen, JULY, seed, 4)) for seed in range(20)}
    assert len(others) > 15  # different seeds, different draws


def test_draws_only_serving_days(session, settings):
    weekdays = weekday_only(settings)
    canteen = canteen_row(session)
    assert len(serving_days(weekdays, canteen, JULY)) == 22
    for seed in range(30):
        assert all(day.isoweekday() <= 5 for day, _meal in draw_slots(weekdays, canteen, JULY, seed, 4))
    # A canteen not yet open serves no days before its opening.
    badajie = canteen_row(session, "badajie")
    assert serving_days(settings, badajie, date(2020, 9, 1))[0] == date(2020, 9, 1)
    assert serving_days(settings, badajie, date(2020, 8, 1)) == []


def test_a_recorded_draw_reproduces(session, settings, assessor):
    draw = draw_month(session, settings, assessor, {"canteen": "zonghe", "month": "2021-07"}, now=LATER)
    session.commit()
    assert 0 <= draw.seed < 2 ** 53 and draw.count == settings.assessment.spot_checks.checks_per_month == 4
    stored = session.get(SpotCheckDraw, draw.id)
    assert [(slot.day, slot.meal_code) for slot in stored.slots] == draw_slots(settings, stored.canteen, JULY,
                                                                               stored.seed, 4)
    assert verify_draw(settings, stored)
    [entry] = audit.history(session, "spot_draw", draw.id)
    assert json.loads(entry.detail)["seed"] == draw.seed
    with pytest.raises(Conflict):
        draw_month(session, settings, assessor, {"canteen": "zonghe", "month": "2021-07"}, now=LATER)


def test_a_given_seed_is_replayed(session, settings, assessor):
    draw = draw_month(session, settings, assessor, {"canteen": "zonghe", "month": "2021-07", "seed": "42"},
                      now=LATER)
    assert draw.seed == 42
    assert [(slot.day, slot.meal_code)
            for slot in draw.slots] == draw_slots(settings, draw.canteen, JULY, 42, 4)


@pytest.mark.parametrize("data, field", [
    ({"canteen": "mars", "month": "2021-07"}, "canteen"),
    ({"canteen": "zonghe", "month": "07/2021"}, "month"),
    ({"canteen": "zonghe", "month": "2022-01"}, "month"),  # beyond next month
    ({"canteen": "badajie", "month": "2020-08"}, "month"),  # before it opened
    ({"canteen": "zonghe", "month": "2021-07", "seed": "-1"}, "seed"),
    ({"canteen": "zonghe", "month": "2021-07", "seed": "lucky"}, "seed"),
])
def test_bad_draw_requests_name_the_field(session, settings, assessor, data, field):
    with pytest.raises(InvalidInput) as caught:
        draw_month(session, settings, assessor, data, now=LATER)
    assert field in caught.value.fields


def test_only_inspectors_draw(session, settings, user_in):
    for role in ("contractor", "viewer", "manager"):
        with pytest.raises(Forbidden):
            draw_month(session, settings, user_in(role), {"canteen": "zonghe", "month": "2021-07"}, now=LATER)


def test_the_scheduler_draws_every_canteen_once(session, settings):
    draws = draw_missing(session, settings, JULY, now=LATER)
    assert sorted(draw.canteen.code for draw in draws) == ["badajie", "zonghe"]
    assert all(draw.drawn_by_id is None for draw in draws)
    assert draw_missing(session, settings, JULY, now=LATER) == []


def test_a_caterer_never_sees_future_slots_or_the_seed(session, settings, assessor, caterer):
    now = datetime(2021, 7, 14, 4, tzinfo=timezone.utc)
    draw = draw_month(session, settings, assessor, {"canteen": "zonghe", "month": "2021-07", "seed": 3},
                      now=now)
    today = date(2021, 7, 14)
    for slot in draw.slots:
        assert slot_visible(assessor, slot, settings, False, now)
        assert slot_visible(caterer, slot, settings, False, now) == (slot.day < today)
        assert slot_visible(caterer, slot, settings, True, now)
    assert seed_visible(assessor, draw, settings, now) and not seed_visible(caterer, draw, settings, now)
    assert seed_visible(caterer, draw, settings, LATER)


# --- records ------------------------------------------------------------------------------------------------

@pytest.fixture
def july_draw(session, settings, assessor):
    """July 2021 at zonghe drawn with seed 11, and a complete ledger (plate 6 kg per meal)."""
    draw = draw_month(session, settings, assessor, {"canteen": "zonghe", "month": "2021-07", "seed": 11},
                      now=LATER)
    fill_month(session, assessor, JULY, 60)
    session.commit()
    return draw


def check_data(slot, **extra):
    """A valid record for a drawn slot."""
    return {"canteen": "zonghe", "date": slot.day.isoformat(), "meal": slot.meal_code, "slot": slot.id,
            **extra}


def test_a_check_record_with_checklist_reweighs_and_findings(session, settings, assessor, july_draw):
    slot = july_draw.slots[0]
    check = record_check(session, settings, assessor, check_data(
        slot, checklist={"punctuality": "ok", "food_safety": "ok", "dining_area": "n/a"},
        summary="busy lunch",
        reweighs=[{"stream": "plate", "weight": "13.2", "unit": "jin"}, {"stream": "prep", "weight": "5.2"}],
        findings=[{"rule": "missing_sample", "note": "no sample of the soup", "rectify": True},
                  {"rule": "dirty_dining_area", "count": 2}]), now=LATER)
    session.commit()
    assert check.kind == "drawn" and check.inspector_id == assessor.id and check.sheet_version.number == 1
    # A finding marks its item on the checklist, whatever was ticked.
    assert json.loads(check.checklist) == {"punctuality": "ok", "food_safety": "finding",
                                           "dining_area": "finding"}
    rows = {row.stream: row for row in reweigh_comparison(session, settings, check)}
    plate, prep = rows["plate"], rows["prep"]
    assert (plate.weighed_g, plate.ledger_g, plate.diff_g, plate.diff_pct,
            plate.beyond) == (6600, 6000, -600, -9.1, False)
    assert (prep.weighed_g, prep.ledger_g, prep.diff_pct, prep.beyond) == (5200, 5000, -3.8, False)
    sample, dirty = check.findings
    assert sample.rectify_by == slot.day + timedelta(days=7) and sample.open
    assert dirty.rectify_by is None and not dirty.open and dirty.count == 2
    shown = check_as_dict(session, settings, check)
    assert shown["findings"][0]["name_zh"] == "未按规定留样"
    with pytest.raises(Conflict):
        record_check(session, settings, assessor, check_data(slot), now=LATER)


def test_a_meal_without_ledger_weight_is_flagged(session, settings, assessor, july_draw):
    slot = july_draw.slots[1]
    check = record_check(session, settings, assessor,
                         check_data(slot, reweighs=[{"stream": "unsold", "weight": 2}]), now=LATER)
    [row] = reweigh_comparison(session, settings, check)
    assert row.ledger_g is None and row.beyond


@pytest.mark.parametrize("change, field", [
    ({"slot": None}, "slot"),
    ({"slot": 99999}, "slot"),
    ({"meal": "supper"}, "meal"),
    ({"date": "2021-07-32"}, "date"),
    ({"kind": "surprise"}, "kind"),
    ({"checklist": {"teleport": "ok"}}, "checklist.teleport"),
    ({"checklist": {"punctuality": "great"}}, "checklist.punctuality"),
    ({"reweighs": [{"stream": "plate", "weight": "-1"}]}, "reweighs.0.weight"),
    ({"reweighs": [{"stream": "lava", "weight": "1"}]}, "reweighs.0.stream"),
    ({"findings": [{"rule": "rude"}]}, "findings.0.rule"),
    ({"findings": [{"rule": "late_opening", "count": 0}]}, "findings.0.count"),
    ({"findings": [{"rule": "late_opening", "rectify_by": "2021-06-01"}]}, "findings.0.rectify_by"),
    ({"closes": [1]}, "closes"),
])
def test_bad_records_name_the_field_and_store_nothing(session, settings, assessor, july_draw, change, field):
    data = check_data(july_draw.slots[0])
    data.update(change)
    with pytest.raises(InvalidInput) as caught:
        record_check(session, settings, assessor, data, now=LATER)
    assert field in caught.value.fields
    session.rollback()
    assert session.scalars(select(SpotCheck)).all() == []


def test_a_slot_must_match_its_day_and_meal(session, settings, assessor, july_draw):
    slot = july_draw.slots[0]
    other_day = (slot.day + timedelta(days=1)).isoformat()
    with pytest.raises(InvalidInput) as caught:
        record_check(session, settings, assessor, check_data(slot, date=other_day), now=LATER)
    assert "slot" in caught.value.fields


def test_rectification_open_overdue_and_closed_by_a_follow_up(session, settings, assessor, july_draw):
    slot = july_draw.slots[0]
    check = record_check(session, settings, assessor, check_data(slot, findings=[
        {"rule": "kitchen_not_clean", "rectify_by": (slot.day + timedelta(days=3)).isoformat()}]), now=LATER)
    session.commit()
    [finding] = check.findings
    before_deadline = datetime.combine(slot.day + timedelta(days=2), datetime.min.time(), tzinfo=timezone.utc)
    assert [item.id
            for item in rectifications(session, settings, assessor, "open", before_deadline)] == [finding.id]
    assert rectifications(session, settings, assessor, "overdue", before_deadline) == []
    assert [item.id for item in rectifications(session, settings, assessor, "overdue", LATER)] == [finding.id]
    with pytest.raises(InvalidInput):
        rectifications(session, settings, assessor, "someday", LATER)
    follow_day = slot.day + timedelta(days=5)
    # Only a follow-up check closes a rectification.
    with pytest.raises(InvalidInput) as caught:
        record_check(session, settings, assessor, {"canteen": "zonghe", "date": follow_day.isoformat(),
                                                   "meal": "lunch", "kind": "ad_hoc", "closes": [finding.id]},
                     now=LATER)
    assert "closes" in caught.value.fields
    follow = record_check(session, settings, assessor, {
        "canteen": "zonghe", "date": follow_day.isoformat(), "meal": "lunch", "kind": "follow_up",
        "closes": [{"finding": finding.id, "note": "kitchen cleaned, checked"}]}, now=LATER)
    session.commit()
    session.expire_all()
    finding = session.get(SpotCheckFinding, finding.id)
    assert finding.closed_by_check_id == follow.id and finding.close_note == "kitchen cleaned, checked"
    assert not finding.open
    assert rectifications(session, settings, assessor, "overdue", LATER) == []
    assert [item.id for item in rectifications(session, settings, assessor, "closed", LATER)] == [finding.id]
    with pytest.raises(InvalidInput):  # already closed
        record_check(session, settings, assessor, {"canteen": "zonghe", "date": follow_day.isoformat(),
                                                   "meal": "dinner", "kind": "follow_up",
                                                   "closes": [finding.id]},
                     now=LATER)


def test_findings_and_photos_are_added_later_not_edited(app, session, settings, assessor, july_draw):
    check = record_check(session, settings, assessor, check_data(july_draw.slots[0]), now=LATER)
    session.commit()
    finding = add_finding(session, settings, assessor, check.id,
                          {"rule": "process_violation", "note": "gloves"}, now=LATER)
    with pytest.raises(InvalidInput) as caught:
        add_finding(session, settings, assessor, check.id, {"rule": "nope"})
    assert "rule" in caught.value.fields
    root = media_root(app.instance_path)
    photo = add_photo(session, assessor, check.id, PNG, root, "bins at 12:40", now=LATER)
    with pytest.raises(InvalidInput) as caught:
        add_photo(session, assessor, check.id, b"GIF89a...", root)
    assert "photo" in caught.value.fields
    session.commit()
    assert (root / photo.filename).read_bytes() == PNG and photo.content_type == "image/png"
    assert json.loads(session.get(SpotCheck, check.id).checklist) == {"kitchen_hygiene": "finding"}
    actions = [entry.action for entry in audit.history(session, "spot_check", check.id)]
    assert actions == ["recorded", "finding_added", "photo_added"]
    assert finding.item_code == "kitchen_hygiene"


def test_the_caterer_sees_its_own_checks_and_signs_or_disputes(session, settings, assessor, caterer,
                                                               other_caterer, july_draw, user_in):
    check = record_check(session, settings, assessor, check_data(july_draw.slots[0]), now=LATER)
    session.commit()
    canteen = session.scalars(select(Canteen).where(Canteen.code == "zonghe")).one()
    assert [item.id for item in list_checks(session, caterer, canteen, JULY, date(2021, 7, 31))] == [check.id]
    assert visible_check(session, caterer, check.id).id == check.id
    with pytest.raises(Forbidden):
        visible_check(session, user_in("viewer"), check.id)
    with pytest.raises(InvalidInput) as caught:
        respond_to_check(session, caterer, check.id, "disputed", "")
    assert "comment" in caught.value.fields
    with pytest.raises(Forbidden):
        respond_to_check(session, assessor, check.id, "signed", "")
    respond_to_check(session, caterer, check.id, "disputed", "the bin held two meals", now=LATER)
    session.commit()
    with pytest.raises(Conflict):
        respond_to_check(session, caterer, check.id, "signed", "")
    with pytest.raises(Forbidden):
        record_check(session, settings, caterer, check_data(july_draw.slots[1]))


def test_a_caterer_does_not_see_checks_outside_its_contract(session, settings, assessor, admin, user_in):
    from canteen.assessment.contractors import link_user, save_contractor
    from tests.assessment.world import contractor_data

    newcomer = user_in("contractor", username="newcomer")
    company = save_contractor(session, admin, contractor_data(starts_on="2021-08-01"))
    link_user(session, admin, company.id, newcomer.username)
    draw = draw_month(session, settings, assessor, {"canteen": "zonghe", "month": "2021-07", "seed": 5},
                      now=LATER)
    check = record_check(session, settings, assessor, check_data(draw.slots[0]), now=LATER)
    session.commit()
    with pytest.raises(NotFound):
        visible_check(session, newcomer, check.id)


def test_checks_record_ledger_entries_as_they_are_now(session, settings, assessor):
    draw = draw_month(session, settings, assessor, {"canteen": "zonghe", "month": "2021-07", "seed": 1},
                      now=LATER)
    slot = draw.slots[0]
    check = record_check(session, settings, assessor,
                         check_data(slot, reweighs=[{"stream": "plate", "weight": 10}]), now=LATER)
    [row] = reweigh_comparison(session, settings, check)
    assert row.ledger_g is None
    # The kitchen enters the meal after the inspector left: the comparison uses the ledger as it stands.
    put_entry(session, assessor, slot.day, slot.meal_code, "plate", 10_500)
    session.flush()
    [row] = reweigh_comparison(session, settings, check)
    assert (row.ledger_g, row.diff_pct, row.beyond) == (10_500, 5.0, False)
