"""Ledger fixtures: users living in the test's session, and a one-call way to record entries."""
from __future__ import annotations

from datetime import date
from typing import Any, Callable

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from canteen.auth.models import User
from canteen.config import AppConfig
from canteen.ledger.entries import record_entry
from canteen.ledger.models import WasteEntry


@pytest.fixture
def user_in(session: Session, make_user: Callable[..., User]) -> Callable[..., User]:
    """``user_in("manager", canteens=["badajie"])``: a new user, loaded in the ``session`` fixture."""
    def factory(role: str = "manager", canteens: list[str] | None = None) -> User:
        user = session.get(User, make_user(role, canteens).id)
        assert user is not None
        return user

    return factory


@pytest.fixture
def admin(user_in: Callable[..., User]) -> User:
    """An admin in the test's session."""
    return user_in("admin")


@pytest.fixture
def add_entry(session: Session, settings: AppConfig, admin: User) -> Callable[..., WasteEntry]:
    """``add_entry("2021-07-01", "lunch", "plate", 12.5)``: record and commit one weighing as the admin."""
    def factory(day: str | date, meal: str, stream: str, weight: Any, *, unit: str = "kg",
                canteen: str = "zonghe", actor: User | None = None, **extra: Any) -> WasteEntry:
        data = {"canteen": canteen, "date": day, "meal": meal, "stream": stream, "weight": weight,
                "unit": unit, **extra}
        entry = record_entry(session, settings, actor or admin, data).entry
        session.commit()
        return entry

    return factory


@pytest.fixture
def entry_count(session: Session) -> Callable[[], int]:
    """How many waste entries the database holds, read fresh."""
    def count() -> int:
        session.expire_all()
        return session.scalar(select(func.count()).select_from(WasteEntry)) or 0

    return count
