"""An assessment's month opened, submitted and answered by several people (or double clicks) at once."""
from __future__ import annotations

from collections import Counter
from collections.abc import Callable

import pytest
from flask import Flask
from sqlalchemy import func, select

from canteen.assessment.assessments import open_assessment
from canteen.assessment.decisions import decide_proposal
from canteen.assessment.models import Assessment, AssessmentRevision, AuditEntry
from canteen.assessment.proposals import undecided_proposals
from canteen.auth.models import User
from canteen.extensions import db
from tests.assessment.world import make_contractor
from tests.concurrency.conftest import ROUNDS, Api, race

pytestmark = pytest.mark.isolated


def month_of(round_no: int) -> str:
    """A month of the contract (2021-2023) per round: "2021-01", "2021-02", ..."""
    return f"{2021 + round_no // 12}-{round_no % 12 + 1:02d}"


def ready_to_submit(app: Flask, assessor: User, contractor_id: int, month: str) -> int:
    """A draft of an empty month whose proposals (every meal missing) are all accepted."""
    with app.test_request_context():
        session, settings = db.session, app.config["SETTINGS"]
        actor = session.get(User, assessor.id)
        assessment = open_assessment(session, settings, actor, {"contractor": contractor_id,
                                                                "canteen": "zonghe", "month": month})
        for proposal in undecided_proposals(session, settings, assessment):
            decide_proposal(session, settings, actor, assessment.id, proposal.key, True)
        session.commit()
        return assessment.id


def test_open_submit_and_respond_once(app: Flask, make_user: Callable[..., User],
                                      api_client: Callable[..., Api]) -> None:
    assessors = [make_user("assessor") for _ in range(3)]
    caterer = make_user("contractor")
    contractor_id = make_contractor(app, make_user("admin"), caterer)
    apis, caterer_api = [api_client(user) for user in assessors], api_client(caterer)
    statuses: dict[str, Counter[int]] = {"open": Counter(), "submit": Counter(), "respond": Counter()}
    wrong: Counter[str] = Counter()
    for round_no in range(ROUNDS):
        # Three assessors open the same month of badajie at once: one draft, two answers that it exists.
        opening = {"contractor": contractor_id, "canteen": "badajie", "month": month_of(round_no)}
        results = race(*[(lambda api=api: api.post("/assessments", json=opening).status_code)
                         for api in apis])
        statuses["open"].update(results)
        wrong["open"] += results.count(201) != 1
        # A triple submit of one draft of zonghe: one revision 1, never two.
        assessment_id = ready_to_submit(app, assessors[0], contractor_id, month_of(round_no))
        results = race(*[(lambda api=api: api.post(f"/assessments/{assessment_id}/submit").status_code)
                         for api in apis])
        statuses["submit"].update(results)
        wrong["submit"] += results.count(200) != 1
        # The caterer's acknowledge and dispute clicked at once: exactly one response is recorded.
        results = race(lambda: caterer_api.post(f"/assessments/{assessment_id}/acknowledge").status_code,
                       lambda: caterer_api.post(f"/assessments/{assessment_id}/dispute",
                                                json={"reason": "the scale was broken"}).status_code,
                       lambda: caterer_api.post(f"/assessments/{assessment_id}/acknowledge").status_code)
        statuses["respond"].update(results)
        wrong["respond"] += results.count(200) != 1
        with app.app_context():
            session = db.session
            revisions = session.scalar(select(func.count()).select_from(AssessmentRevision).where(
                AssessmentRevision.assessment_id == assessment_id))
            responses = session.scalar(select(func.count()).select_from(AuditEntry).where(
                AuditEntry.subject == "assessment", AuditEntry.subject_id == assessment_id,
                AuditEntry.action.in_(("acknowledged", "disputed"))))
        wrong["revisions"] += revisions != 1
        wrong["responses"] += responses != 1
    with app.app_context():
        drafts = db.session.scalar(select(func.count()).select_from(Assessment).where(
            Assessment.canteen_id != None))  # noqa: E711 - every assessment
    report = f"statuses {({key: dict(value) for key, value in statuses.items()})}; wrong rounds {dict(wrong)}"
    assert all(set(counter) <= {200, 201, 409} for counter in statuses.values()), report
    assert sum(wrong.values()) == 0, report
    assert drafts == 2 * ROUNDS, report
