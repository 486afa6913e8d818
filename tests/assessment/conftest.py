"""Assessment fixtures: users in the test's session, a contractor serving both canteens, ledger rows."""
from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from canteen.assessment.contractors import link_user, save_contractor
from canteen.assessment.models import (Assessment, AssessmentLine, AssessmentRevision, AuditEntry, Contractor,
                                       ProposalDecision, SheetVersion)
from canteen.auth.models import User
from canteen.config import AppConfig
from canteen.extensions import db
from canteen.assessment.spotchecks.models import (SpotCheck, SpotCheckDraw, SpotCheckFinding, SpotCheckPhoto,
                                                  SpotCheckReweigh)
from tests.assessment.world import contractor_data, fill_month


@pytest.fixture
def user_in(session: Session, make_user: Callable[..., User]) -> Callable[..., User]:
    """``user_in("assessor")``: a new user, loaded in the ``session`` fixture."""
    def factory(role: str = "assessor", canteens: list[str] | None = None,
                username: str | None = None) -> User:
        user = session.get(User, make_user(role, canteens, username=username).id)
        assert user is not None
        return user

    return factory


@pytest.fixture
def admin(user_in: Callable[..., User]) -> User:
    """An admin."""
    return user_in("admin", username="boss")


@pytest.fixture
def assessor(user_in: Callable[..., User]) -> User:
    """An assessor."""
    return user_in("assessor", username="li")


@pytest.fixture
def contractor(session: Session, admin: User) -> Contractor:
    """A contractor serving both canteens from 2021 to 2023 (fees 200 000 and 100 000 yuan a month)."""
    contractor = save_contractor(session, admin, contractor_data())
    session.commit()
    return contractor


@pytest.fixture
def kept_ledger(session: Session, admin: User) -> None:
    """A complete ledger for zonghe from June to August 2021 (plate waste 60 g per diner-meal)."""
    for month in (date(2021, 6, 1), date(2021, 7, 1), date(2021, 8, 1)):
        fill_month(session, admin, month, 60)
    session.commit()


@pytest.fixture
def caterer(session: Session, user_in: Callable[..., User], admin: User, contractor: Contractor) -> User:
    """A contractor-role user linked to ``contractor``."""
    user = user_in("contractor", username="caterer")
    link_user(session, admin, contractor.id, user.username)
    session.commit()
    return user


@pytest.fixture
def other_caterer(session: Session, user_in: Callable[..., User], admin: User) -> User:
    """A contractor-role user of another company (serving zonghe in 2021 too)."""
    user = user_in("contractor", username="rival")  # first: SQLite allows one writer at a time
    other = save_contractor(session, admin, contractor_data(
        name="Other Catering", contract_no="OT-1", canteens=[{"canteen": "zonghe", "monthly_fee": "1"}]))
    link_user(session, admin, other.id, user.username)
    session.commit()
    return user


ASSESSMENT_TABLES = (Assessment, AssessmentLine, AssessmentRevision, ProposalDecision, SpotCheck,
                     SpotCheckDraw, SpotCheckFinding, SpotCheckPhoto, SpotCheckReweigh, SheetVersion,
                     AuditEntry)


@pytest.fixture
def stored(app: Flask) -> Callable[[], dict[str, int]]:
    """Row counts of the assessment and spot-check tables, read in a fresh app context."""
    def count() -> dict[str, int]:
        with app.app_context():
            return {model.__tablename__: db.session.scalar(select(func.count()).select_from(model)) or 0
                    for model in ASSESSMENT_TABLES}

    return count


@pytest.fixture
def conf(settings: AppConfig) -> AppConfig:
    """The project's settings (an alias that reads better in the service tests)."""
    return settings
