"""Scales posting at once: every weighing is stored, none answers 5xx (SQLite locks for writing at BEGIN)."""
from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Callable, Iterator

import pytest
from flask import Flask
from sqlalchemy import func, select

from canteen.auth.models import User
from canteen.extensions import db
from canteen.ledger.models import WasteEntry
from tests.support import served

pytestmark = pytest.mark.isolated  # real commits from the server's threads

THREADS, PER_THREAD = 6, 10


@pytest.fixture
def server_url(app: Flask) -> Iterator[str]:
    """The app served by a threaded server on a free local port."""
    with served(app) as url:
        yield url


def _post(url: str, token: str, body: dict[str, object]) -> int:
    request = urllib.request.Request(f"{url}/api/v1/waste-entries", data=json.dumps(body).encode(), headers={
        "Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return error.code


def test_parallel_scale_posts_are_all_stored(app: Flask, server_url: str, make_user: Callable[..., User],
                                             make_token: Callable[[User], str]) -> None:
    token = make_token(make_user("manager"))
    statuses: Counter[int] = Counter()
    lock = threading.Lock()

    def scale(number: int) -> None:
        for index in range(PER_THREAD):
            # Each scale reads reference rows and its client_id before it writes: the read-then-write that a
            # deferred SQLite BEGIN turned into "database is locked" answers under load.
            status = _post(server_url, token, {
                "canteen": "zonghe", "date": f"2021-07-{index + 1:02d}", "meal": "lunch",
                "stream": "plate" if number % 2 else "prep", "weight": 1 + number, "unit": "kg",
                "client_id": f"scale-{number}-{index}"})
            with lock:
                statuses[status] += 1

    workers = [threading.Thread(target=scale, args=(number,)) for number in range(THREADS)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert statuses == Counter({201: THREADS * PER_THREAD})
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(WasteEntry)) == THREADS * PER_THREAD
