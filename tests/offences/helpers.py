"""Helpers shared with the browser tests: store diners, events and decisions through the services."""
from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from typing import Any

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from canteen.auth.models import User
from canteen.camera_events.models import MEDIA_KINDS, CameraEvent
from canteen.camera_events.storage import media_root, store_atomically
from canteen.diners.services import create_diner
from canteen.offences.evidence_art import evidence_files
from canteen.reference.models import Canteen

_FILES: dict[str, bytes] = {}


def recent(days: float) -> datetime:
    """A moment ``days`` days ago."""
    return datetime.now(timezone.utc) - timedelta(days=days)


@contextmanager
def service_session(app: Flask) -> Iterator[Session]:
    """A session inside a request context (the services translate their messages); committed at the end."""
    with app.test_request_context():
        with Session(app.extensions["canteen_db"].engine, expire_on_commit=False) as session:
            yield session
            session.commit()


def add_diner(session: Session, admin: User, card_no: str, name: str, department: str) -> None:
    """Register a diner as ``admin``."""
    create_diner(session, session.get(User, admin.id),
                 {"card_no": card_no, "name": name, "department": department})


def add_event(app: Flask, session: Session, uploader: User, at: datetime,
              canteen: str = "zonghe", **fields: Any) -> CameraEvent:
    """A pending event with drawn evidence (snapshot, public copy, crops, clip) on disk; ``fields`` override
    the detector's verdict (scene_changed, confidence, public_image)."""
    if not _FILES:
        _FILES.update(evidence_files(11))
    event_uuid = str(uuid.uuid4())
    relative = f"{at:%Y/%m}/{event_uuid}"
    store_atomically(media_root(app.instance_path), relative, _FILES)
    canteen_row = session.scalar(select(Canteen).where(Canteen.code == canteen))
    values: dict[str, Any] = dict(
        uuid=event_uuid, camera=f"tray-{canteen}", canteen_id=canteen_row.id, started_at=at,
        ended_at=at + timedelta(seconds=5), start_s=1.0, end_s=6.0, peak_activity=0.3, activity_integral=1.0,
        scene_changed=True, changed_fraction=0.05, confidence=0.8, end_reason="scene_changed",
        media_dir=relative, media_kinds=",".join(kind for kind in MEDIA_KINDS if kind in _FILES),
        received_by_id=uploader.id)
    event = CameraEvent(**{**values, **fields})
    session.add(event)
    session.flush()
    return event


def as_user(session: Session, user: User) -> User:
    """The user loaded in ``session``."""
    return session.get(User, user.id)


def run(app: Flask, action: Callable[[Session], Any]) -> Any:
    """Run ``action(session)`` in a service session and commit."""
    with service_session(app) as session:
        return action(session)
