"""A reader limited to one canteen reads only that canteen's part of a diner's record, and the four-eyes
rule holds after the fact: whoever decided a step of an event may not later confirm the event themselves."""
from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timedelta, timezone

import pytest
from flask import Flask
from flask_babel import gettext as _
from flask.testing import FlaskClient

from canteen.auth.models import User
from canteen.config import AppConfig
from canteen.offences.escalations import approve, reject
from tests.offences.conftest import World, confirm

PASSWORD = "tray-return-2021"


def recent(days: float) -> datetime:
    return datetime.now(timezone.utc) - timedelta(days=days)


def logged_in(app: Flask, user: User) -> FlaskClient:
    """A new client logged in as ``user``."""
    client = app.test_client()
    client.post("/language/en", data={"next": "/login"})
    response = client.post("/login", data={"username": user.username, "password": PASSWORD})
    assert response.status_code == 302
    return client


@pytest.fixture
def record(ctx, settings: AppConfig, people: World, add_diner, add_event) -> dict[str, str]:
    """Diner 1001 confirmed twice at badajie, then once at zonghe (the referral, approved)."""
    add_diner("1001", "张三")
    events = {"badajie1": add_event(recent(9), "badajie"), "badajie2": add_event(recent(6), "badajie"),
              "zonghe": add_event(recent(3), "zonghe")}
    steps = {name: confirm(ctx, settings, people["reviewer"], event, "1001", now=recent(days - 0.1))
             for (name, event), days in zip(events.items(), (9, 6, 3))}
    approve(ctx, settings, people["discipline"], steps["zonghe"].id, now=recent(2))
    ctx.commit()
    assert steps["zonghe"].step == "referral"
    return {**{name: event.uuid for name, event in events.items()}, "referral": str(steps["zonghe"].id)}


def test_the_api_gives_a_scoped_reviewer_only_their_canteens_part(
        record: dict[str, str], api_as: Callable[..., object]) -> None:
    everything = api_as("reviewer").get("/diners/1001/offences")  # type: ignore[attr-defined]
    assert everything.status_code == 200
    assert {item["event"] for item in everything.get_json()["offences"]} == {
        record["badajie1"], record["badajie2"], record["zonghe"]}

    scoped = api_as("reviewer", canteens=["zonghe"])
    response = scoped.get("/diners/1001/offences")  # type: ignore[attr-defined]
    assert response.status_code == 200
    body = response.get_json()
    assert [item["event"] for item in body["offences"]] == [record["zonghe"]]
    assert body["count"] == 1
    assert {item["event"] for item in body["history"] if "event" in item} == {record["zonghe"]}
    text = json.dumps(body)
    assert "badajie" not in text
    assert record["badajie1"] not in text and record["badajie2"] not in text

    # A reviewer of badajie alone sees the two offences there and nothing of the referral at zonghe.
    other = api_as("reviewer", canteens=["badajie"]).get("/diners/1001/offences").get_json()  # type: ignore
    assert {item["event"] for item in other["offences"]} == {record["badajie1"], record["badajie2"]}
    assert record["zonghe"] not in json.dumps(other), json.dumps(other, indent=1)
    assert other["pending_approval"]["step"] == "exposure"


def test_the_pages_give_a_scoped_reviewer_only_their_canteens_part(
        app: Flask, record: dict[str, str], make_user: Callable[..., User]) -> None:
    scoped = logged_in(app, make_user("reviewer", canteens=["zonghe"]))
    page = scoped.get("/offences/diners/1001")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert record["zonghe"] in html
    assert record["badajie1"] not in html and record["badajie2"] not in html
    assert "Badajie" not in html

    # The referral letter cites the offences at badajie too: the zonghe reviewer may not print it.
    letter = scoped.get(f"/offences/escalations/{record['referral']}/letter.pdf")
    assert letter.status_code == 403
    assert b"outside your scope" in letter.data
    assert letter.mimetype == "text/html"

    unscoped = logged_in(app, make_user("reviewer"))
    html = unscoped.get("/offences/diners/1001").get_data(as_text=True)
    assert record["badajie1"] in html and record["zonghe"] in html


# --- four eyes after the fact -------------------------------------------------------------------------------

@pytest.fixture
def exposure(ctx, settings: AppConfig, people: World, add_diner, add_event) -> dict[str, object]:
    """Diner 1001 warned once, then confirmed again by 'reviewer': an exposure awaiting a second person."""
    add_diner("1001", "张三")
    add_diner("1002", "李四")
    confirm(ctx, settings, people["reviewer"], add_event(recent(5)), "1001", now=recent(4.9))
    event = add_event(recent(2))
    step = confirm(ctx, settings, people["reviewer"], event, "1001", now=recent(1.9))
    assert step.step == "exposure" and step.status == "pending_approval"
    return {"event": event.uuid, "step": step.id}


@pytest.mark.parametrize("decide", [approve, reject])
def test_the_decider_of_a_step_may_not_confirm_the_event_afterwards(
        app: Flask, ctx, settings: AppConfig, people: World, exposure: dict[str, object],
        make_token: Callable[..., str],
        client: FlaskClient, counts: Callable[[], dict[str, int]], decide: Callable[..., object]) -> None:
    # The confirming reviewer still may not decide the step.
    refused = client.post(f"/api/v1/escalations/{exposure['step']}/approve", json={},
                          headers={"Authorization": f"Bearer {make_token(people['reviewer'])}"})
    assert refused.status_code == 403
    decide(ctx, settings, people["reviewer2"], exposure["step"], "wrong person on the board", now=recent(1))
    ctx.commit()
    before = counts()
    token = make_token(people["reviewer2"])
    with app.test_request_context():
        # The API answers in the configured language (Chinese): the words are the catalog's.
        words = {"error": _("you decided on a ladder step of this event, so a second person must confirm it"),
                 "field": _("needs a second person")}
    for card_no, note in (("1002", ""), ("1001", "seen again on the clip")):
        response = client.post(f"/api/v1/camera-events/{exposure['event']}/corrections",
                               json={"decision": "confirmed", "card_no": card_no, "note": note,
                                     "reason": "it was someone else"},
                               headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 403, response.get_json()
        body = response.get_json()
        assert body == {"error": words["error"], "fields": {"decision": words["field"]}}
        assert counts() == before
    # Taking the event back (not a dump) is no confirmation; and a third person may confirm it.
    dismissed = client.post(f"/api/v1/camera-events/{exposure['event']}/corrections",
                            json={"decision": "dismissed", "reason": "no food was dumped"},
                            headers={"Authorization": f"Bearer {token}"})
    assert dismissed.status_code == 201
    third = client.post(f"/api/v1/camera-events/{exposure['event']}/corrections",
                        json={"decision": "confirmed", "card_no": "1002", "reason": "it was 李四 after all"},
                        headers={"Authorization": f"Bearer {make_token(people['admin'])}"})
    assert third.status_code == 201, third.get_json()


def test_the_correction_form_refuses_the_approver_in_words(
        app: Flask, ctx, settings: AppConfig, people: World, exposure: dict[str, object],
        counts: Callable[[], dict[str, int]]) -> None:
    approve(ctx, settings, people["reviewer2"], exposure["step"], now=recent(1))
    ctx.commit()
    before = counts()
    client = logged_in(app, people["reviewer2"])
    response = client.post(f"/review/events/{exposure['event']}/correct",
                           data={"decision": "confirmed", "card_no": "1002", "note": "",
                                 "reason": "it was someone else"})
    assert response.status_code == 403
    html = response.get_data(as_text=True)
    assert "so a second person must confirm it" in html
    assert 'id="error-decision"' in html
    assert counts() == before
