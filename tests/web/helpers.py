"""Small helpers for the page and browser tests: CSRF tokens and ledger rows stored through the services."""
from __future__ import annotations

import re
from datetime import date

from flask import Flask

from canteen.auth.models import User
from canteen.config import AppConfig
from canteen.extensions import db
from canteen.ledger.diners import set_diner_count
from canteen.ledger.disposals import record_disposal
from canteen.ledger.entries import record_entry

CSRF_FIELD = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def csrf_token_from(html: bytes) -> str:
    """The CSRF token of the first form on a page."""
    match = CSRF_FIELD.search(html.decode())
    assert match, "no csrf_token field on the page"
    return match.group(1)


# The services translate their messages, and choosing the language reads the session: a request is needed.

def seed_entry(app: Flask, settings: AppConfig, user: User, day: date, meal: str, stream: str, grams: int,
               canteen: str = "zonghe") -> int:
    """Store an entry through the service as ``user``; return its id."""
    with app.test_request_context():
        actor = db.session.get(User, user.id)
        result = record_entry(db.session, settings, actor, {
            "canteen": canteen, "date": day, "meal": meal, "stream": stream, "weight": grams, "unit": "g"})
        db.session.commit()
        return result.entry.id


def seed_diner_count(app: Flask, settings: AppConfig, user: User, day: date, meal: str, count: int,
                     canteen: str = "zonghe") -> None:
    """Store a diner count through the service as ``user``."""
    with app.test_request_context():
        actor = db.session.get(User, user.id)
        set_diner_count(db.session, settings, actor, canteen=canteen, day=day, meal=meal, count=count)
        db.session.commit()


def seed_hauler_disposal(app: Flask, settings: AppConfig, user: User, day: date, grams: int,
                         canteen: str = "zonghe") -> int:
    """Store a hand-over to a hauler through the service as ``user``; return its id."""
    with app.test_request_context():
        actor = db.session.get(User, user.id)
        disposal = record_disposal(db.session, settings, actor, {
            "canteen": canteen, "date": day.isoformat(), "receiver_kind": "hauler", "receiver": "Green Haul",
            "manifest_no": "M-001", "waste_type": "food", "weight": grams, "unit": "g"})
        db.session.commit()
        return disposal.id
