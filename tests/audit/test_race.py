"""Two writers after the same chain head, against a real server: the unique (stream, seq) lets only one in.

The service's own writers queue on the stream (an advisory lock on PostgreSQL, BEGIN IMMEDIATE on SQLite), so
the race is staged with a writer that skips the lock: an open transaction holding a link appended after the
head. On PostgreSQL the server's request then appends after the same head, waits on the unique key, and loses:
409, nothing stored. SQLite takes one writer at a time, so there the request waits and appends after the
other link: the chain stays a line either way.
"""
from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable

import pytest
from flask import Flask
from sqlalchemy import Connection, func, select, text

from canteen.chain.models import ChainLink
from canteen.extensions import db
from canteen.ledger.models import WasteEntry
from canteen.reference.models import Canteen
from tests.support import served

pytestmark = pytest.mark.isolated  # real commits from the server's threads and a second connection


def _post(url: str, token: str, day: str) -> tuple[int, dict]:
    body = {"canteen": "zonghe", "date": day, "meal": "lunch", "stream": "plate", "weight": 5}
    request = urllib.request.Request(f"{url}/api/v1/waste-entries", data=json.dumps(body).encode(), headers={
        "Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return int(response.status), json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def _wait_until_blocked_by(watcher: Connection, pid: int) -> None:
    """Return once some PostgreSQL backend waits on a lock held by ``pid`` (the staged writer)."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        waiting = watcher.execute(text("SELECT count(*) FROM pg_stat_activity "
                                       "WHERE :pid = ANY(pg_blocking_pids(pid))"), {"pid": pid}).scalar()
        # PostgreSQL keeps one statistics snapshot per transaction: end it to see the next one.
        watcher.rollback()
        if waiting:
            return
        time.sleep(0.05)
    pytest.fail("the request never reached the chain's unique key")


def test_two_writers_after_the_same_head_cannot_fork_the_chain(app: Flask, backend: str, make_user: Callable,
                                                               make_token: Callable) -> None:
    token = make_token(make_user("manager"))
    engine = app.extensions["canteen_db"].engine
    with served(app) as url:
        assert _post(url, token, "2021-07-05")[0] == 201
        with app.app_context():
            canteen_id = db.session.scalar(select(Canteen.id).where(Canteen.code == "zonghe"))
            stream, seq = db.session.execute(select(ChainLink.stream, ChainLink.seq)).one()
        outcome: dict[str, tuple[int, dict]] = {}
        with engine.connect() as other, engine.connect() as watcher:
            staged = other.begin()
            pid = other.execute(text("SELECT pg_backend_pid()")).scalar() if backend == "postgresql" else 0
            other.execute(ChainLink.__table__.insert().values(
                stream=stream, seq=seq + 1, kind="month_prepared", record_id=0, canteen_id=canteen_id,
                at=func.now(), prev_hash="0" * 64, hash="f" * 64, content="{}", sealed=False,
                created_at=func.now()))
            request = threading.Thread(target=lambda: outcome.update(result=_post(url, token, "2021-07-06")))
            request.start()
            if backend == "postgresql":
                _wait_until_blocked_by(watcher, pid)
            staged.commit()
            request.join(timeout=60)
    status, body = outcome["result"]
    with app.app_context():
        seqs = db.session.scalars(select(ChainLink.seq).where(ChainLink.stream == stream)
                                  .order_by(ChainLink.seq)).all()
        entries = db.session.scalar(select(func.count()).select_from(WasteEntry))
    if backend == "postgresql":
        assert status == 409 and "history" in body["fields"]
        assert (seqs, entries) == ([1, 2], 1)
    else:
        assert status == 201
        assert (seqs, entries) == ([1, 2, 3], 2)
