"""The entry services without HTTP: record, correct, void, idempotent retries, scope and roles."""
from __future__ import annotations

from datetime import date, timezone

import pytest
from sqlalchemy import select

from canteen.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from canteen.ledger.diners import set_diner_count
from canteen.ledger.entries import correct_entry, entry_as_dict, list_entries, record_entry, void_entry
from canteen.ledger.models import WasteEntry, WasteEntryRevision
from canteen.ledger.figures import month_ledger
from canteen.reference.services import canteen_by_code

JULY = date(2021, 7, 1)


def weighing(**changes):
    """A valid weighing for zonghe, with some fields changed."""
    data = {"canteen": "zonghe", "date": "2021-07-05", "meal": "lunch", "stream": "plate", "weight": "12.5"}
    data.update(changes)
    return data


def test_record_stores_grams_and_a_first_revision(session, settings, user_in):
    manager = user_in("manager")
    result = record_entry(session, settings, manager, weighing(dish="红烧鱼", note="  rain  "), source="api")
    session.commit()
    assert result.created
    entry = session.scalars(select(WasteEntry)).one()
    assert (entry.canteen.code, entry.day, entry.meal.code,
            entry.stream.code) == ("zonghe", date(2021, 7, 5), "lunch", "plate")
    assert (entry.weight_g, entry.note, entry.dish.name, entry.source) == (12_500, "rain", "红烧鱼", "api")
    assert entry.created_by_id == manager.id and not entry.voided
    assert [(rev.number, rev.weight_g, rev.reason) for rev in entry.revisions] == [(1, 12_500, None)]
    shown = entry_as_dict(entry)
    assert (shown["weight_g"], shown["weight_kg"], shown["revision"]) == (12_500, 12.5, 1)
    assert shown["created_by"] == manager.username


def test_unknown_source_is_a_programming_error(session, settings, admin):
    with pytest.raises(ValueError):
        record_entry(session, settings, admin, weighing(), source="fax")


def test_correction_appends_a_revision_and_keeps_the_old_value(session, settings, user_in):
    clerk, checker = user_in("manager"), user_in("admin")
    entry = record_entry(session, settings, clerk, weighing()).entry
    session.commit()
    correct_entry(session, settings, checker, entry.id, weight="11", unit="kg", reason="scale was not zeroed")
    session.commit()
    session.expire_all()
    entry = session.get(WasteEntry, entry.id)
    assert entry.weight_g == 11_000
    first, second = entry.revisions
    assert (first.number, first.weight_g, first.created_by_id, first.reason) == (1, 12_500, clerk.id, None)
    assert (second.number, second.weight_g, second.created_by_id) == (2, 11_000, checker.id)
    assert second.reason == "scale was not zeroed"
    assert second.created_at.tzinfo == timezone.utc and second.created_at >= first.created_at
    assert entry.created_by_id == clerk.id  # the entry still says who first weighed it


@pytest.mark.parametrize("reason", [None, "", "   "])
def test_a_correction_needs_a_reason(session, settings, admin, reason):
    entry = record_entry(session, settings, admin, weighing()).entry
    session.commit()
    with pytest.raises(InvalidInput) as caught:
        correct_entry(session, settings, admin, entry.id, weight="11", unit="kg", reason=reason)
    assert caught.value.fields == {"reason": "required"}
    session.rollback()
    assert len(session.get(WasteEntry, entry.id).revisions) == 1


def test_a_correction_checks_the_new_weight(session, settings, admin):
    entry = record_entry(session, settings, admin, weighing()).entry
    with pytest.raises(InvalidInput) as caught:
        correct_entry(session, settings, admin, entry.id, weight="0", unit="kg", reason="typo")
    assert list(caught.value.fields) == ["weight"]
    with pytest.raises(InvalidInput) as caught:
        correct_entry(session, settings, admin, entry.id, weight="25", unit="jin", reason="same value")
    assert caught.value.message == "nothing changed"


def test_void_leaves_the_totals_but_keeps_the_history(session, settings, user_in):
    manager = user_in("manager")
    kept = record_entry(session, settings, manager, weighing(weight="10")).entry
    wrong = record_entry(session, settings, manager, weighing(weight="99", stream="prep")).entry
    session.commit()
    zonghe = canteen_by_code(session, "zonghe")
    assert month_ledger(session, settings, zonghe, JULY).total_g == 109_000

    void_entry(session, manager, wrong.id, "entered twice")
    session.commit()
    session.expire_all()
    wrong = session.get(WasteEntry, wrong.id)
    assert wrong.voided and wrong.weight_g == 99_000
    assert [(rev.number, rev.voided, rev.reason) for rev in wrong.revisions] == [
        (1, False, None), (2, True, "entered twice")]
    ledger = month_ledger(session, settings, zonghe, JULY)
    assert (ledger.total_g, ledger.by_stream_g["prep"]) == (10_000, 0)
    assert [e.id for e in list_entries(session, manager, "zonghe", JULY, date(2021, 7, 31))] == [kept.id]
    assert {e.id for e in list_entries(session, manager, "zonghe", JULY, date(2021, 7, 31),
                                       include_void=True)} == {kept.id, wrong.id}


def test_void_needs_a_reason_and_happens_once(session, settings, admin):
    entry = record_entry(session, settings, admin, weighing()).entry
    with pytest.raises(InvalidInput) as caught:
        void_entry(session, admin, entry.id, "")
    assert caught.value.fields == {"reason": "required"}
    void_entry(session, admin, entry.id, "wrong canteen")
    with pytest.raises(InvalidInput) as caught:
        void_entry(session, admin, entry.id, "again")
    assert list(caught.value.fields) == ["reason"]
    with pytest.raises(InvalidInput) as caught:
        correct_entry(session, settings, admin, entry.id, weight="1", unit="kg", reason="revive")
    assert list(caught.value.fields) == ["weight"]
    assert len(entry.revisions) == 2


def test_a_repeated_client_id_returns_the_first_entry(session, settings, admin):
    first = record_entry(session, settings, admin, weighing(client_id="scale-1:0001"))
    session.commit()
    same_weight = weighing(client_id="scale-1:0001", weight="12500", unit="g")
    again = record_entry(session, settings, admin, same_weight)
    assert first.created and not again.created
    assert again.entry.id == first.entry.id
    assert session.scalars(select(WasteEntry)).all() == [first.entry]
    assert len(session.scalars(select(WasteEntryRevision)).all()) == 1


def test_a_client_id_reused_for_another_weighing_is_a_conflict(session, settings, admin):
    first = record_entry(session, settings, admin, weighing(client_id="scale-1:0002")).entry
    session.commit()
    for changes in ({"weight": "13"}, {"stream": "prep"}, {"meal": "dinner"}, {"date": "2021-07-06"}):
        with pytest.raises(Conflict) as caught:
            record_entry(session, settings, admin, weighing(client_id="scale-1:0002", **changes))
        # The answer names the client_id and each field that differs from the first weighing.
        assert caught.value.fields == {"client_id": f"already used for entry {first.id}",
                                       next(iter(changes)): f"differs from entry {first.id} stored with this "
                                                            "client_id"}
    assert session.scalars(select(WasteEntry)).all() == [first]


def test_client_ids_belong_to_their_user(session, settings, user_in):
    one, other = user_in("manager"), user_in("manager")
    # Scales send client_ids (source "api"); a cell may hold several of their weighings.
    record_entry(session, settings, one, weighing(client_id="tablet:7"), source="api")
    assert record_entry(session, settings, other, weighing(client_id="tablet:7"), source="api").created
    assert len(session.scalars(select(WasteEntry)).all()) == 2


def test_a_manager_limited_to_badajie_cannot_touch_zonghe(session, settings, user_in, add_entry):
    zonghe_entry = add_entry("2021-07-05", "lunch", "plate", 5)
    badajie_manager = user_in("manager", canteens=["badajie"])
    with pytest.raises(Forbidden) as caught:
        record_entry(session, settings, badajie_manager, weighing())
    assert list(caught.value.fields) == ["canteen"]
    with pytest.raises(Forbidden):
        set_diner_count(session, settings, badajie_manager, canteen="zonghe", day="2021-07-05", meal="lunch",
                        count=10)
    with pytest.raises(NotFound):
        correct_entry(session, settings, badajie_manager, zonghe_entry.id, weight="1", unit="kg", reason="x")
    with pytest.raises(NotFound):
        void_entry(session, badajie_manager, zonghe_entry.id, "x")
    with pytest.raises(Forbidden):
        list_entries(session, badajie_manager, "zonghe", JULY, date(2021, 7, 31))
    assert record_entry(session, settings, badajie_manager, weighing(canteen="badajie")).created
    assert len(session.scalars(select(WasteEntry)).all()) == 2


@pytest.mark.parametrize("role", ["viewer", "contractor", "assessor", "reviewer", "discipline"])
def test_read_only_roles_cannot_write(session, settings, user_in, add_entry, role):
    existing = add_entry("2021-07-05", "lunch", "plate", 5)
    user = user_in(role)
    with pytest.raises(Forbidden):
        record_entry(session, settings, user, weighing())
    with pytest.raises(Forbidden):
        correct_entry(session, settings, user, existing.id, weight="1", unit="kg", reason="x")
    with pytest.raises(Forbidden):
        void_entry(session, user, existing.id, "x")
    with pytest.raises(Forbidden):
        set_diner_count(session, settings, user, canteen="zonghe", day="2021-07-05", meal="lunch", count=10)
    assert session.scalars(select(WasteEntry)).all() == [existing]
    assert len(existing.revisions) == 1
