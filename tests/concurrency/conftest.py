"""Real races against a real server: threads released together by a barrier, on SQLite and PostgreSQL.

Every test here is ``isolated`` (a fresh database with real commits, served by a threaded Werkzeug server
on a loopback port). ``ROUNDS`` races are run per test; the default keeps the whole folder fast, and
``CANTEEN_RACE_ROUNDS=20`` repeats each race 20 times, as the figures in the commit messages were measured.
"""
from __future__ import annotations

import os
import re
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests
from flask import Flask

from canteen.auth.models import User
from tests.support import served

ROUNDS = int(os.environ.get("CANTEEN_RACE_ROUNDS", "4"))
TIMEOUT = 60


def race(*calls: Callable[[], Any]) -> list[Any]:
    """Run every call in its own thread, all released at once; their results in order (errors re-raised)."""
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)
    errors: list[BaseException] = []

    def run(index: int, call: Callable[[], Any]) -> None:
        try:
            barrier.wait(timeout=TIMEOUT)
            results[index] = call()
        except BaseException as error:  # noqa: BLE001 - handed to the test below
            errors.append(error)

    threads = [threading.Thread(target=run, args=(index, call)) for index, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    return results


@pytest.fixture
def server_url(app: Flask) -> Iterator[str]:
    """The test app served by a threaded server on a free loopback port."""
    with served(app) as url:
        yield url


class Api:
    """A bearer-token client of the live server's /api/v1."""

    def __init__(self, url: str, token: str) -> None:
        self.url = url
        self.http = requests.Session()
        self.http.headers["Authorization"] = f"Bearer {token}"

    def post(self, path: str, **kwargs: Any) -> requests.Response:
        """POST to /api/v1{path}."""
        return self.http.post(f"{self.url}/api/v1{path}", timeout=TIMEOUT, **kwargs)


@pytest.fixture
def api_client(server_url: str, make_user: Callable[..., User],
               make_token: Callable[[User], str]) -> Callable[..., Api]:
    """``api_client(user)``: an API client of the live server acting as ``user``."""
    return lambda user: Api(server_url, make_token(user))


def hidden_fields(html: str) -> dict[str, str]:
    """The hidden inputs of a page (what a browser posts back without the user seeing it)."""
    fields = {}
    for tag in re.findall(r"<input[^>]*type=\"hidden\"[^>]*>", html):
        name = re.search(r'name="([^"]*)"', tag)
        value = re.search(r'value="([^"]*)"', tag)
        if name:
            fields[name.group(1)] = value.group(1) if value else ""
    return fields


@pytest.fixture
def browser_as(server_url: str) -> Callable[[User], requests.Session]:
    """``browser_as(user)``: a cookie session of the live server, logged in as ``user``."""
    def login(user: User) -> requests.Session:
        http = requests.Session()
        credentials = {"username": user.username, "password": "tray-return-2021"}
        response = http.post(f"{server_url}/login", data=credentials, allow_redirects=False, timeout=TIMEOUT)
        assert response.status_code == 302, response.text
        return http

    return login
