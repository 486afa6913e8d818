"""Fixtures for review and the ladder: events with real evidence files, diners, users, a service context."""
from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from canteen.auth.models import User
from canteen.camera_events.models import MEDIA_KINDS, CameraEvent
from canteen.camera_events.storage import media_root, store_atomically
from canteen.config import AppConfig
from canteen.diners.models import Diner, DinerRevision
from canteen.extensions import db
from canteen.offences.evidence_art import evidence_files
from canteen.offences.models import Appeal, Escalation, EscalationAction, Offence, RetentionLog
from canteen.reference.models import Canteen
from canteen.camera_events.models import EventReview

# Evidence drawn once per test session: drawing and encoding is the slow part.
_EVIDENCE: dict[bool, dict[str, bytes]] = {}


def evidence(with_clip: bool = True) -> dict[str, bytes]:
    """The five (or four) evidence files of an event."""
    if with_clip not in _EVIDENCE:
        _EVIDENCE[with_clip] = evidence_files(7, with_clip=with_clip)
    return _EVIDENCE[with_clip]


def utc(year: int, month: int, day: int, hour: int = 4, minute: int = 0) -> datetime:
    """A UTC time (04:00 UTC is lunch time in Shanghai)."""
    return datetime(year, month, day, hour, minute, tzinfo=timezone.utc)


@pytest.fixture
def ctx(app: Flask, session: Session) -> Iterator[Session]:
    """A plain session used inside a request context (the services translate their messages)."""
    with app.test_request_context():
        yield session


@dataclass
class World:
    """Users of each role, loaded in the service context's session."""

    session: Session
    users: dict[str, User]

    def __getitem__(self, name: str) -> User:
        return self.users[name]


@pytest.fixture
def people(ctx: Session, make_user: Callable[..., User]) -> World:
    """An admin, two reviewers, a discipline officer, a manager (uploads), a viewer and a contractor."""
    names = {"admin": "admin", "reviewer": "reviewer", "reviewer2": "reviewer", "discipline": "discipline",
             "manager": "manager", "viewer": "viewer", "contractor": "contractor"}
    users = {}
    for name, role in names.items():
        created = make_user(role, username=name)
        users[name] = ctx.get(User, created.id)
    return World(ctx, users)


@pytest.fixture
def add_diner(ctx: Session, people: World) -> Callable[..., Diner]:
    """``add_diner("1001", "张三", "办公室")``: a registered diner."""
    from canteen.diners.services import create_diner

    def factory(card_no: str, name: str = "张三", department: str = "办公室", active: bool = True) -> Diner:
        diner = create_diner(ctx, people["admin"],
                             {"card_no": card_no, "name": name, "department": department,
                              "active": active})
        ctx.commit()
        return diner

    return factory


@pytest.fixture
def add_event(app: Flask, ctx: Session, people: World) -> Callable[..., CameraEvent]:
    """``add_event(at, canteen="zonghe", media=True)``: a pending camera event with evidence files on disk."""
    root = media_root(app.instance_path)
    canteens = {row.code: row for row in ctx.scalars(select(Canteen))}

    def factory(at: datetime | None = None, canteen: str = "zonghe", media: bool = True,
                with_clip: bool = True, **fields: Any) -> CameraEvent:
        at = at or datetime.now(timezone.utc) - timedelta(hours=1)
        event_uuid = str(uuid.uuid4())
        relative = f"{at:%Y/%m}/{event_uuid}"
        kinds = ""
        if media:
            files = evidence(with_clip)
            store_atomically(root, relative, files)
            kinds = ",".join(kind for kind in MEDIA_KINDS if kind in files)
        # ``fields`` overrides the detector's verdict: scene_changed, confidence, public_image, received_at...
        values: dict[str, Any] = dict(
            uuid=event_uuid, camera=f"tray-{canteen}", canteen_id=canteens[canteen].id, started_at=at,
            ended_at=at + timedelta(seconds=5), start_s=1.0, end_s=6.0, peak_activity=0.3,
            activity_integral=1.0, scene_changed=True, changed_fraction=0.05, confidence=0.8,
            end_reason="scene_changed", media_dir=relative, media_kinds=kinds,
            received_by_id=people["manager"].id)
        event = CameraEvent(**{**values, **fields})
        ctx.add(event)
        ctx.commit()
        return event

    return factory


LADDER_MODELS = (Diner, DinerRevision, EventReview, Offence, Escalation, EscalationAction, Appeal,
                 RetentionLog)


@pytest.fixture
def counts(app: Flask) -> Callable[[], dict[str, int]]:
    """Row counts of this feature's tables, read in a fresh app context (to prove nothing was stored)."""
    def count() -> dict[str, int]:
        with app.app_context():
            return {model.__tablename__: db.session.scalar(select(func.count()).select_from(model))
                    for model in LADDER_MODELS}

    return count


def confirm(session: Session, settings: AppConfig, actor: User, event: CameraEvent, card_no: str,
            now: datetime | None = None) -> Escalation:
    """Confirm an event for a diner; return the step it started (committed)."""
    from canteen.review.services import review_event

    review_event(session, settings, actor, event.uuid, {"decision": "confirmed", "card_no": card_no},
                 now=now or event.started_at + timedelta(hours=1))
    session.commit()
    return current_step(session, event)


def current_step(session: Session, event: CameraEvent) -> Escalation:
    """The newest escalation of the event's offence."""
    return session.scalars(select(Escalation).join(Offence, Offence.id == Escalation.offence_id)
                           .where(Offence.event_id == event.id).order_by(Escalation.id.desc()).limit(1)).one()


def settings_with(settings: AppConfig, **offences: Any) -> AppConfig:
    """The settings with some ``offences:`` values changed (validated as the config file would be)."""
    data = settings.offences.model_dump()
    data.update(offences)
    return settings.model_copy(update={"offences": type(settings.offences).model_validate(data)})
