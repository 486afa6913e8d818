"""Four approvers deciding one exposure at once, through the API and the web page, approving and rejecting."""
from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta, timezone

import pytest
import requests
from flask import Flask
from sqlalchemy import select

from canteen.auth.models import User
from canteen.camera_events.models import CameraEvent
from canteen.diners.services import create_diner
from canteen.exposure.services import active_exposures
from canteen.extensions import db
from canteen.offences.models import Escalation, EscalationAction, Offence
from canteen.reference.models import Canteen
from canteen.review.services import review_event
from tests.concurrency.conftest import ROUNDS, TIMEOUT, Api, race

pytestmark = pytest.mark.isolated


def pending_exposures(app: Flask, admin: User, reviewer: User, count: int) -> list[int]:
    """``count`` exposures awaiting approval: per diner two confirmed dumps (a warning, then the exposure)."""
    ids = []
    with app.test_request_context():
        session, settings = db.session, app.config["SETTINGS"]
        actor, registrar = session.get(User, reviewer.id), session.get(User, admin.id)
        canteen = session.scalar(select(Canteen).where(Canteen.code == "zonghe"))
        assert actor is not None and canteen is not None
        for number in range(count):
            card = f"{9000 + number}"
            create_diner(session, registrar, {"card_no": card, "name": f"王{number}", "department": "办公室"})
            for days in (3, 2):
                at = datetime.now(timezone.utc) - timedelta(days=days)
                event = CameraEvent(uuid=str(uuid.uuid4()), camera="tray-zonghe", canteen_id=canteen.id,
                                    started_at=at, ended_at=at + timedelta(seconds=5), start_s=1.0, end_s=6.0,
                                    peak_activity=0.3, activity_integral=1.0, scene_changed=True,
                                    changed_fraction=0.05, confidence=0.8, end_reason="scene_changed",
                                    media_dir=f"{at:%Y/%m}/x", media_kinds="", received_by_id=actor.id)
                session.add(event)
                session.flush()
                review_event(session, settings, actor, event.uuid, {"decision": "confirmed", "card_no": card},
                             now=at + timedelta(hours=1))
            ids.append(session.scalars(select(Escalation.id).where(Escalation.step == "exposure")
                                       .order_by(Escalation.id.desc())).first())
        session.commit()
    return ids


def test_one_decision_per_escalation(app: Flask, server_url: str, make_user: Callable[..., User],
                                     api_client: Callable[..., Api],
                                     browser_as: Callable[[User], requests.Session]) -> None:
    escalations = pending_exposures(app, make_user("admin"), make_user("reviewer"), ROUNDS)
    approvers = [make_user("discipline") for _ in range(4)]
    apis = [api_client(user) for user in approvers[:2]]
    browsers = [browser_as(user) for user in approvers[2:]]

    def by_api(api: Api, escalation_id: int, verb: str) -> tuple[str, int, str]:
        response = api.post(f"/escalations/{escalation_id}/{verb}", json={"reason": "not proven", "note": ""})
        return verb, response.status_code, response.text

    def by_page(browser: requests.Session, escalation_id: int, verb: str) -> tuple[str, int, str]:
        response = browser.post(f"{server_url}/offences/escalations/{escalation_id}/{verb}",
                                data={"reason": "not proven", "note": ""}, allow_redirects=False,
                                timeout=TIMEOUT)
        return verb, response.status_code, response.text

    statuses: Counter[int] = Counter()
    not_one_winner = unclear = 0
    for round_no, escalation_id in enumerate(escalations):
        # Every other round one approver of each kind rejects while the others approve.
        verbs = ["approve"] * 4 if round_no % 2 == 0 else ["approve", "reject", "reject", "approve"]
        results = race(lambda: by_api(apis[0], escalation_id, verbs[0]),
                       lambda: by_api(apis[1], escalation_id, verbs[1]),
                       lambda: by_page(browsers[0], escalation_id, verbs[2]),
                       lambda: by_page(browsers[1], escalation_id, verbs[3]))
        statuses.update(status for _verb, status, _text in results)
        winners = [result for result in results if result[1] in (200, 303)]
        not_one_winner += len(winners) != 1
        # The page tells a loser in words what happened, not only with a status code.
        unclear += sum(1 for _verb, status, text in results
                       if status == 409 and "<html" in text and "someone else" not in text.lower()
                       and "其他人" not in text)
    with app.app_context():
        session = db.session
        decisions = Counter(session.scalars(select(EscalationAction.escalation_id).where(
            EscalationAction.action.in_(("approved", "rejected")))))
        approved = set(session.scalars(select(Escalation.id).where(Escalation.status == "approved")))
        on_board = {row.id for row in active_exposures(session, datetime.now(timezone.utc))}
        several = sum(1 for escalation_id in escalations if decisions[escalation_id] != 1)
        offences = session.scalars(select(Offence)).all()
    report = (f"statuses {dict(statuses)}; escalations without exactly one decision: {several}/{ROUNDS}; "
              f"rounds without exactly one winner: {not_one_winner}/{ROUNDS}; unclear 409 pages: {unclear}")
    assert set(statuses) <= {200, 303, 409}, report
    assert (several, not_one_winner, unclear) == (0, 0, 0), report
    # The board shows exactly the approved exposures, none that was also rejected.
    assert on_board == approved, report
    assert len(offences) == 2 * ROUNDS
