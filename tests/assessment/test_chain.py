"""Assessment revisions are chained per assessment; an edited revision or a deleted one is found by verify."""
from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import select, text

from canteen.assessment.assessments import amend, submit
from canteen.audit.verify import verify
from canteen.chain.models import GENESIS, ChainLink
from tests.assessment.test_workflow import AUG, deduct, open_july


def _assessment_breaks(session):
    session.expire_all()
    # The ledger of the fixture is written around the services (unchained); only the assessment counts here.
    return [item for item in verify(session).breaks if item["kind"] == "assessment_revision"]


def test_submissions_and_amendments_are_chained_and_checked(kept_ledger, session, settings, assessor,
                                                            contractor):
    assessment = open_july(session, settings, assessor, contractor)
    submit(session, settings, assessor, assessment.id, now=AUG)
    amend(session, settings, assessor, assessment.id, "forgot the menu finding", now=AUG)
    deduct(session, settings, assessor, assessment, "menu_not_published", now=AUG)
    submit(session, settings, assessor, assessment.id, now=AUG + timedelta(days=1))
    session.commit()
    links = session.scalars(select(ChainLink).where(ChainLink.stream == f"assessment:{assessment.id}")
                            .order_by(ChainLink.seq)).all()
    records = [json.loads(link.content)["record"] for link in links]
    assert [(item["number"], item["reason"], item["total_x100"]) for item in records] == [
        (1, "", 10000), (2, "forgot the menu finding", records[1]["total_x100"])]
    assert records[1]["total_x100"] < 10000
    assert links[0].prev_hash == GENESIS and links[1].prev_hash == links[0].hash
    assert all(link.canteen_id == assessment.canteen_id and link.month == assessment.month for link in links)
    assert _assessment_breaks(session) == []
    # A better score written straight into the first revision, then the second revision deleted.
    session.execute(text("UPDATE assessment_revision SET total_x100 = 10000 WHERE assessment_id = :id "
                         "AND number = 2"), {"id": assessment.id})
    [changed] = _assessment_breaks(session)
    assert (changed["problem"], changed["where"]["number"]) == ("changed", 2)
    assert changed["fields"] == [{"field": "total_x100", "chained": records[1]["total_x100"], "now": 10000}]
    session.execute(text("DELETE FROM assessment_revision WHERE assessment_id = :id AND number = 2"),
                    {"id": assessment.id})
    assert [item["problem"] for item in _assessment_breaks(session)] == ["missing"]
