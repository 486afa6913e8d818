"""Database helpers shared by the fixtures and by tests that need their own empty database."""
from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import OperationalError

from flask import Flask
from werkzeug.serving import make_server

from canteen import create_app
from canteen.config import AppConfig
from canteen.db import make_engine
from canteen.extensions import db
from canteen.reference.services import sync_reference_data

PG_URL = os.environ.get("CANTEEN_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
# One schema per test process, so concurrent runs on one server never touch each other's tables.
PG_SCHEMA = f"canteen_tests_{os.getpid()}"
# Isolated tests (real commits) get a second schema, emptied per test, so the shared one keeps its data.
PG_FRESH_SCHEMA = f"canteen_tests_fresh_{os.getpid()}"
REQUIRE_PG = os.environ.get("CANTEEN_REQUIRE_POSTGRES") == "1"
FAST_HASH = "pbkdf2:sha256:1000"  # real hashing, cheap enough for hundreds of test users


@contextmanager
def built_app(database_url: str, tmp_path: Path, settings: AppConfig, *, csrf: bool) -> Iterator[Flask]:
    """An app on the test database with the config's reference data loaded; its engine is closed
    afterwards."""
    app = create_app({
        "TESTING": True, "SECRET_KEY": "test-secret", "DATABASE_URL": database_url, "SETTINGS": settings,
        "INSTANCE_PATH": str(tmp_path / "instance"), "PASSWORD_HASH_METHOD": FAST_HASH,
        "WTF_CSRF_ENABLED": csrf,
    })
    with app.app_context():
        sync_reference_data(db.session, settings)
        db.session.commit()
    try:
        yield app
    finally:
        app.extensions["canteen_db"].engine.dispose()


@dataclass
class Bound:
    """The app a test uses and, unless isolated, the connection holding its outer transaction."""

    app: Flask
    connection: Connection | None


SAVEPOINTS = "canteen_test_savepoints"


class ConnectionEngine:
    """Stands in for the app's engine during a test, so ``db.engine`` users work in the test's transaction.

    ``connect()`` hands out the test's connection and ``begin()`` a savepoint on it; what the CLI's migration
    check reads (``alembic_version``) is then the test's own, rolled back with everything else.
    """

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self.dialect = connection.dialect
        self.url = connection.engine.url

    @contextmanager
    def connect(self) -> Iterator[Connection]:
        """The test's connection (left open)."""
        yield self.connection

    @contextmanager
    def begin(self) -> Iterator[Connection]:
        """The test's connection inside a savepoint released on success."""
        with self.connection.begin_nested():
            yield self.connection


def track_savepoints(engine: Engine) -> None:
    """Let several sessions share one connection's savepoints even when they end out of order.

    The test's ``session`` and the app's scoped session each hold savepoints on the same connection. In SQL,
    releasing or rolling back to a savepoint also ends every savepoint taken after it, so a session that ends
    later would name a savepoint that no longer exists (an error, and on PostgreSQL an aborted transaction).
    On a connection whose ``info`` holds a stack (set by ``bound_to_transaction``), statements for savepoints
    already ended that way are skipped; their work was merged into the enclosing savepoint, as on release.
    """
    dialect = engine.dialect
    take, release = dialect.do_savepoint, dialect.do_release_savepoint
    rollback = dialect.do_rollback_to_savepoint

    def do_savepoint(connection: Connection, name: str) -> None:
        take(connection, name)
        if SAVEPOINTS in connection.info:
            connection.info[SAVEPOINTS].append(name)

    def ended(connection: Connection, name: str) -> bool:
        stack = connection.info.get(SAVEPOINTS)
        if stack is None:
            return False
        if name not in stack:
            return True
        del stack[stack.index(name):]
        return False

    def do_release_savepoint(connection: Connection, name: str) -> None:
        if not ended(connection, name):
            release(connection, name)

    def do_rollback_to_savepoint(connection: Connection, name: str) -> None:
        if not ended(connection, name):
            rollback(connection, name)

    dialect.do_savepoint = do_savepoint  # type: ignore[method-assign]
    dialect.do_release_savepoint = do_release_savepoint  # type: ignore[method-assign]
    dialect.do_rollback_to_savepoint = do_rollback_to_savepoint  # type: ignore[method-assign]


@contextmanager
def bound_to_transaction(app: Flask, tmp_path: Path) -> Iterator[Connection]:
    """Bind ``app``'s scoped session to a connection in a transaction that is rolled back afterwards."""
    state = app.extensions["canteen_db"]
    factory_kw = dict(state.sessions.session_factory.kw)
    config = dict(app.config)
    instance_path = app.instance_path
    connection = state.engine.connect()
    connection.info[SAVEPOINTS] = []
    outer = connection.begin()
    state.sessions.remove()
    state.sessions.configure(bind=connection, join_transaction_mode="create_savepoint")
    engine, state.engine = state.engine, ConnectionEngine(connection)
    # Files a test writes (evidence, reports, backups) go to a folder of its own.
    app.instance_path = str(tmp_path / "instance")
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    try:
        yield connection
    finally:
        state.sessions.remove()
        state.engine = engine
        state.sessions.session_factory.kw.clear()
        state.sessions.session_factory.kw.update(factory_kw)
        if outer.is_active:
            outer.rollback()
        del connection.info[SAVEPOINTS]
        connection.close()
        app.config.clear()
        app.config.update(config)
        app.instance_path = instance_path


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


@contextmanager
def served(app: Flask) -> Iterator[str]:
    """Serve ``app`` from a threaded server on a free loopback port; yield its base URL, then stop it."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
