"""Shared fixtures, flaskr style: ``app``, ``client``, ``runner`` and factories, a fresh database per test.

Every database test runs twice: on SQLite and on PostgreSQL. PostgreSQL runs are skipped with a message
when the server is unreachable, unless CANTEEN_REQUIRE_POSTGRES=1 (CI), where they fail instead.
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
from tests.support import FAST_HASH, PG_SCHEMA, built_app, connect_postgres_or_skip, drop_schema, pg_url

ROOT = Path(__file__).resolve().parent.parent
@pytest.fixture(scope="session")
def settings() -> AppConfig:
    """The project's own config.yaml, validated."""
    return load_config(ROOT / "config.yaml")


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest) -> Iterator[str]:
    """Each database test runs once per backend."""
    if request.param == "postgresql":
        engine = connect_postgres_or_skip(PG_SCHEMA)
        Base.metadata.create_all(engine)
        engine.dispose()
        yield request.param
        drop_schema(PG_SCHEMA)
    else:
        yield request.param


@pytest.fixture
def database_url(backend: str, tmp_path: Path) -> str:
    """A URL to an empty, fully created database for this test."""
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path / 'test.db'}"
        engine = make_engine(url)
        Base.metadata.create_all(engine)
        engine.dispose()
        return url
    url = pg_url(PG_SCHEMA)
    engine = make_engine(url)
    tables = ", ".join(f'"{table.name}"' for table in Base.metadata.sorted_tables)
    with engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    engine.dispose()
    return url


@pytest.fixture
def app(database_url: str, tmp_path: Path, settings: AppConfig) -> Iterator[Flask]:
    """An app on a fresh database with the config's reference data; CSRF off (one test turns it on)."""
    with built_app(database_url, tmp_path, settings, csrf=False) as app:
        yield app


@pytest.fixture
def schema_stamped(app: Flask) -> Iterator[None]:
    """Mark the test database (built from the models) as migrated, as the CLI commands require."""
    engine = app.extensions["canteen_db"].engine
    config = migrate.alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.stamp(config, "head")
    yield
    # The PostgreSQL schema outlives the test; later tests expect an unmigrated database.
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
def session(app: Flask) -> Iterator[Session]:
    """A plain SQLAlchemy session on the test database, for service tests (no request involved)."""
    with Session(app.extensions["canteen_db"].engine, expire_on_commit=False) as session:
        yield session


@pytest.fixture
def make_user(app: Flask) -> Callable[..., User]:
    """Create a user: ``make_user("manager", canteens=["zonghe"])``; the password is ``password123``."""
    counter = {"n": 0}

    def factory(role: str = "manager", canteens: list[str] | None = None, username: str | None = None,
                password: str = "password123") -> User:
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
        return self.client.post(f"/api/v1{path}", json=json, headers=self._headers(kwargs.pop("headers", None)),
                                **kwargs)

    def put(self, path: str, json: Any = None, **kwargs: Any) -> Any:
        """PUT JSON to /api/v1{path}."""
        return self.client.put(f"/api/v1{path}", json=json, headers=self._headers(kwargs.pop("headers", None)),
                               **kwargs)


@pytest.fixture
def api_as(client: FlaskClient, make_user: Callable[..., User],
           make_token: Callable[[User], str]) -> Callable[..., ApiClient]:
    """``api_as("manager", canteens=["zonghe"])``: an API client acting as a new user of that role."""
    def factory(role: str = "manager", canteens: list[str] | None = None) -> ApiClient:
        return ApiClient(client, make_token(make_user(role, canteens)))

    return factory


@pytest.fixture
def login(client: FlaskClient) -> Callable[[User], FlaskClient]:
    """Log a user in on the test client (password ``password123``)."""
    def do_login(user: User, password: str = "password123") -> FlaskClient:
        response = client.post("/login", data={"username": user.username, "password": password})
        assert response.status_code == 302, response.data
        return client

    return do_login
