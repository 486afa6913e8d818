"""Shared fixtures, flaskr style: ``app``, ``client``, ``runner``, ``session`` and factories.

How the database is shared (issue 9): each backend's schema is created once per session and holds the
config's reference data, committed; one Flask app per backend serves every test. Each test runs on one
connection inside an outer transaction: the app's scoped session and the ``session`` fixture are bound to it
with ``join_transaction_mode="create_savepoint"``, so the entry points' ``commit()`` calls only release
savepoints, and the whole test is rolled back at teardown. ``db.engine`` hands out the same connection, so
CLI commands checking the migration stamp see the test's ``schema_stamped``. What a test may change on the
shared app (``app.config``, the instance folder, the session binding) is put back afterwards; CSRF is off
unless a test asks for ``csrf_app``.

Tests that need commits seen by other connections (servers in threads, browser journeys, code reading the
database file itself) are marked ``isolated``: they get the old behaviour, a fresh app on a freshly emptied
database of their own (a new SQLite file; on PostgreSQL a second per-process schema, truncated per test).
Migration tests and subprocess tests build their own databases and use no fixture database at all.

Backends: every database test runs on SQLite and on PostgreSQL (the ``backend`` parameter); the PostgreSQL
runs carry the ``postgres`` mark, so ``-m "not postgres"`` runs the SQLite half alone. Browser journeys run
on SQLite only, unless a journey is about the backend (``pytest.mark.postgres`` written on it). Heavy
rendering tests (PDF, charts) marked ``render`` run on SQLite only too: the database queries behind them run
on both backends in their own tests (tests/reports/test_data.py, the demo-data chart tests, the scheduler
tests). PostgreSQL runs are skipped with a message when the server is unreachable, unless
CANTEEN_REQUIRE_POSTGRES=1 (CI), where they fail instead.
"""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any, Callable

import pytest
from alembic import command
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import text
from sqlalchemy.orm import Session

import canteen.models  # noqa: F401  (complete metadata)
from canteen import migrate
from canteen.auth.models import User
from canteen.auth.services import create_token, create_user
from canteen.config import AppConfig, load_config
from canteen.db import Base, make_engine
from canteen.extensions import db
from tests.support import (FAST_HASH, PG_FRESH_SCHEMA, PG_SCHEMA, Bound, bound_to_transaction, built_app,
                           connect_postgres_or_skip, drop_schema, pg_url, track_savepoints)

ROOT = Path(__file__).resolve().parent.parent


def _as_list(marks: Any) -> list[Any]:
    return marks if isinstance(marks, list) else [marks]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Browser journeys are isolated (a live server thread); they and ``render`` tests run on SQLite only."""
    browser_dir = ROOT / "tests" / "browser"
    kept, dropped = [], []
    for item in items:
        params = getattr(item, "callspec", None)
        on_postgres = params is not None and params.params.get("backend") == "postgresql"
        if on_postgres and item.get_closest_marker("render") is not None:
            dropped.append(item)
            continue
        if browser_dir in item.path.parents:
            item.add_marker(pytest.mark.isolated)
            # Only a ``postgres`` mark written on the journey itself keeps its PostgreSQL run.
            written = [mark for owner in (item.module, item.function)
                       for mark in _as_list(getattr(owner, "pytestmark", []))]
            if on_postgres and not any(mark.name == "postgres" for mark in written):
                dropped.append(item)
                continue
        kept.append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept


@pytest.fixture(scope="session")
def settings() -> AppConfig:
    """The project's own config.yaml, validated."""
    return load_config(ROOT / "config.yaml")


@pytest.fixture(scope="session", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def backend(request: pytest.FixtureRequest) -> Iterator[str]:
    """Each database test runs once per backend."""
    yield request.param


@pytest.fixture(scope="session")
def shared_app(backend: str, settings: AppConfig,
               tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    """The one app per backend: schema created and reference data committed once per session."""
    folder = tmp_path_factory.mktemp(f"shared-{backend}")
    if backend == "sqlite":
        url = f"sqlite:///{folder / 'shared.db'}"
        engine = make_engine(url)
    else:
        engine = connect_postgres_or_skip(PG_SCHEMA)
        url = pg_url(PG_SCHEMA)
    Base.metadata.create_all(engine)
    engine.dispose()
    try:
        with built_app(url, folder, settings, csrf=False) as app:
            track_savepoints(app.extensions["canteen_db"].engine)
            yield app
    finally:
        if backend == "postgresql":
            drop_schema(PG_SCHEMA)


@pytest.fixture(scope="session")
def fresh_schema(backend: str) -> Iterator[str | None]:
    """PostgreSQL only: a second per-process schema for isolated tests, emptied per test."""
    if backend == "sqlite":
        yield None
        return
    engine = connect_postgres_or_skip(PG_FRESH_SCHEMA)
    Base.metadata.create_all(engine)
    engine.dispose()
    yield PG_FRESH_SCHEMA
    drop_schema(PG_FRESH_SCHEMA)


@pytest.fixture
def database_url(backend: str, fresh_schema: str | None, tmp_path: Path) -> str:
    """A URL to an empty, fully created database of this test's own (isolated tests only)."""
    if fresh_schema is None:
        url = f"sqlite:///{tmp_path / 'test.db'}"
        engine = make_engine(url)
        Base.metadata.create_all(engine)
        engine.dispose()
        return url
    url = pg_url(fresh_schema)
    engine = make_engine(url)
    tables = ", ".join(f'"{table.name}"' for table in Base.metadata.sorted_tables)
    with engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    engine.dispose()
    return url


def is_isolated(request: pytest.FixtureRequest) -> bool:
    """True for tests marked ``isolated``."""
    return request.node.get_closest_marker("isolated") is not None


@pytest.fixture
def bound(request: pytest.FixtureRequest, backend: str, tmp_path: Path,
          settings: AppConfig) -> Iterator[Bound]:
    """The shared app bound to this test's transaction, or a fresh app for isolated tests."""
    if is_isolated(request):
        url = request.getfixturevalue("database_url")
        with built_app(url, tmp_path, settings, csrf=False) as app:
            yield Bound(app, None)
        return
    app = request.getfixturevalue("shared_app")
    with bound_to_transaction(app, tmp_path) as connection:
        yield Bound(app, connection)


@pytest.fixture
def app(bound: Bound) -> Flask:
    """The test app with the config's reference data; CSRF off (see ``csrf_app``)."""
    return bound.app


@pytest.fixture
def csrf_app(app: Flask) -> Flask:
    """The test app with CSRF protection on, as in production (put back off after the test)."""
    app.config["WTF_CSRF_ENABLED"] = True
    return app


@pytest.fixture
def schema_stamped(app: Flask) -> Iterator[None]:
    """Mark the test database (built from the models) as migrated, as the CLI commands require."""
    engine = app.extensions["canteen_db"].engine
    config = migrate.alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.stamp(config, "head")
    yield
    # Isolated tests commit the stamp, and the PostgreSQL schema outlives them; later tests expect no stamp.
    with engine.begin() as connection:
        connection.execute(text("DROP TABLE IF EXISTS alembic_version"))


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """A test client."""
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    """A CLI runner bound to the app."""
    return app.test_cli_runner()


@pytest.fixture
def session(bound: Bound) -> Iterator[Session]:
    """A plain SQLAlchemy session on the test database, for service tests (no request involved)."""
    if bound.connection is None:
        with Session(bound.app.extensions["canteen_db"].engine, expire_on_commit=False) as session:
            yield session
        return
    with Session(bind=bound.connection, join_transaction_mode="create_savepoint",
                 expire_on_commit=False) as session:
        yield session


@pytest.fixture
def make_user(app: Flask) -> Callable[..., User]:
    """Create a user: ``make_user("manager", canteens=["zonghe"])``; the password is ``tray-return-2021``."""
    counter = {"n": 0}

    def factory(role: str = "manager", canteens: list[str] | None = None, username: str | None = None,
                password: str = "tray-return-2021") -> User:
        counter["n"] += 1
        with app.app_context():
            user = create_user(db.session, username or f"{role}{counter['n']}", role, password,
                               canteen_codes=canteens, hash_method=FAST_HASH)
            db.session.commit()
            db.session.refresh(user)
            return user

    return factory


@pytest.fixture
def make_token(app: Flask) -> Callable[[User], str]:
    """Create an API token for a user and return its secret."""
    def factory(user: User) -> str:
        with app.app_context():
            _token, secret = create_token(db.session, user.username, "test")
            db.session.commit()
            return secret

    return factory


class ApiClient:
    """Sends JSON requests with a bearer token."""

    def __init__(self, client: FlaskClient, token: str | None) -> None:
        self.client, self.token = client, token

    def _headers(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        headers.update(extra or {})
        return headers

    def get(self, path: str, **kwargs: Any) -> Any:
        """GET /api/v1{path}."""
        return self.client.get(f"/api/v1{path}", headers=self._headers(kwargs.pop("headers", None)), **kwargs)

    def post(self, path: str, json: Any = None, **kwargs: Any) -> Any:
        """POST JSON to /api/v1{path}."""
        return self.client.post(f"/api/v1{path}", json=json,
                                headers=self._headers(kwargs.pop("headers", None)), **kwargs)

    def put(self, path: str, json: Any = None, **kwargs: Any) -> Any:
        """PUT JSON to /api/v1{path}."""
        return self.client.put(f"/api/v1{path}", json=json,
                               headers=self._headers(kwargs.pop("headers", None)), **kwargs)


@pytest.fixture
def api_as(client: FlaskClient, make_user: Callable[..., User],
           make_token: Callable[[User], str]) -> Callable[..., ApiClient]:
    """``api_as("manager", canteens=["zonghe"])``: an API client acting as a new user of that role."""
    def factory(role: str = "manager", canteens: list[str] | None = None) -> ApiClient:
        return ApiClient(client, make_token(make_user(role, canteens)))

    return factory


@pytest.fixture
def login(client: FlaskClient) -> Callable[[User], FlaskClient]:
    """Log a user in on the test client (password ``tray-return-2021``)."""
    def do_login(user: User, password: str = "tray-return-2021") -> FlaskClient:
        response = client.post("/login", data={"username": user.username, "password": password})
        assert response.status_code == 302, response.data
        return client

    return do_login
