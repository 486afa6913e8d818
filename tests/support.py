"""Database helpers shared by the fixtures and by tests that need their own empty database."""
from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import OperationalError

from flask import Flask

from canteen import create_app
from canteen.config import AppConfig
from canteen.db import make_engine
from canteen.extensions import db
from canteen.reference.services import sync_reference_data

PG_URL = os.environ.get("CANTEEN_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
# One schema per test process, so concurrent runs on one server never touch each other's tables.
PG_SCHEMA = f"canteen_tests_{os.getpid()}"
REQUIRE_PG = os.environ.get("CANTEEN_REQUIRE_POSTGRES") == "1"
FAST_HASH = "pbkdf2:sha256:1000"  # real hashing, cheap enough for hundreds of test users


@contextmanager
def built_app(database_url: str, tmp_path: Path, settings: AppConfig, *, csrf: bool) -> Iterator[Flask]:
    """An app on the test database with the config's reference data loaded; its engine is closed afterwards."""
    app = create_app({
        "TESTING": True, "SECRET_KEY": "test-secret", "DATABASE_URL": database_url, "SETTINGS": settings,
        "INSTANCE_PATH": str(tmp_path / "instance"), "PASSWORD_HASH_METHOD": FAST_HASH, "WTF_CSRF_ENABLED": csrf,
    })
    with app.app_context():
        sync_reference_data(db.session, settings)
        db.session.commit()
    try:
        yield app
    finally:
        app.extensions["canteen_db"].engine.dispose()


def pg_url(schema: str) -> str:
    """The PostgreSQL test URL with ``schema`` first on the search path."""
    return f"{PG_URL}?options=-csearch_path%3D{schema}"


def connect_postgres_or_skip(schema: str) -> Engine:
    """An engine on a freshly emptied schema; skip (or fail in CI) when PostgreSQL is unreachable."""
    admin = make_engine(PG_URL)
    try:
        try:
            connection = admin.connect()
        except OperationalError as exc:
            message = f"PostgreSQL unreachable at {PG_URL}: {exc.orig}"
            if REQUIRE_PG:
                pytest.fail(message + " (CANTEEN_REQUIRE_POSTGRES=1)")
            pytest.skip(message)
        with connection, connection.begin():
            connection.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
            connection.execute(text(f"CREATE SCHEMA {schema}"))
    finally:
        admin.dispose()
    return make_engine(pg_url(schema))


def drop_schema(schema: str) -> None:
    """Remove a test schema and everything in it."""
    admin = make_engine(PG_URL)
    try:
        with admin.begin() as connection:
            connection.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
    finally:
        admin.dispose()
