"""Fixtures for the history chain, the month sign-off and the audit page: people of each role in the test's
session, a request context for the services' messages, and one-call ledger writes."""
from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest
from flask import Flask
from flask_babel import force_locale
from sqlalchemy import select
from sqlalchemy.orm import Session

from canteen.audit.verify import Findings, verify
from canteen.auth.models import User
from canteen.chain.models import ChainLink
from canteen.config import AppConfig
from canteen.ledger.diners import set_diner_count
from canteen.ledger.entries import record_entry
from canteen.ledger.models import WasteEntry

CANTEEN, MONTH = "zonghe", "2021-07"
FIRST = date(2021, 7, 1)


@pytest.fixture
def ctx(app: Flask, session: Session) -> Iterator[Session]:
    """The ``session`` fixture inside a request context in English (the services translate their messages)."""
    with app.test_request_context(), force_locale("en"):
        yield session


@dataclass
class People:
    """A user of each role the sign-off involves, loaded in the test's session."""

    session: Session
    users: dict[str, User]

    def __getitem__(self, name: str) -> User:
        return self.users[name]


@pytest.fixture
def people(ctx: Session, make_user: Callable[..., User]) -> People:
    """manager (填表人), manager2, assessor (复核人), admin, discipline, viewer, reviewer, contractor."""
    roles = {"manager": "manager", "manager2": "manager", "assessor": "assessor", "admin": "admin",
             "discipline": "discipline", "viewer": "viewer", "reviewer": "reviewer",
             "contractor": "contractor"}
    users = {}
    for name, role in roles.items():
        created = make_user(role, username=name)
        users[name] = ctx.get(User, created.id)
    return People(ctx, users)


@pytest.fixture
def weigh(ctx: Session, settings: AppConfig, people: People) -> Callable[..., WasteEntry]:
    """``weigh("2021-07-05", "lunch", "plate", 12.5)``: record and commit one weighing (default: manager)."""
    def factory(day: str, meal: str, stream: str, kg: Any, *, canteen: str = CANTEEN,
                actor: str = "manager") -> WasteEntry:
        data = {"canteen": canteen, "date": day, "meal": meal, "stream": stream, "weight": kg, "unit": "kg"}
        entry = record_entry(ctx, settings, people[actor], data).entry
        ctx.commit()
        return entry

    return factory


@pytest.fixture
def count_diners(ctx: Session, settings: AppConfig, people: People) -> Callable[..., None]:
    """``count_diners("2021-07-05", "lunch", 300, reason=None)``: set and commit a diner count."""
    def factory(day: str, meal: str, count: int, reason: str | None = None, actor: str = "manager") -> None:
        set_diner_count(ctx, settings, people[actor], canteen=CANTEEN, day=day, meal=meal, count=count,
                        reason=reason)
        ctx.commit()

    return factory


def links_of(session: Session, stream: str) -> list[ChainLink]:
    """A stream's links in order."""
    session.expire_all()
    return list(session.scalars(select(ChainLink).where(ChainLink.stream == stream).order_by(ChainLink.seq)))


def fresh_verify(session: Session) -> Findings:
    """Verify what the database holds now (nothing cached in the session)."""
    session.expire_all()
    return verify(session)


def problems(findings: Findings) -> list[tuple[str, str | None]]:
    """(problem, kind) of each break, sorted."""
    return sorted((item["problem"], item["kind"]) for item in findings.breaks)
