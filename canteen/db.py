"""SQLAlchemy 2 foundation: the declarative base, naming convention, UTC timestamps, engines."""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from sqlalchemy import DateTime, MetaData, create_engine, event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.types import TypeDecorator

# Named constraints let hand-written migrations drop or alter them, which SQLite's batch mode requires.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base for every model; constraint names follow NAMING_CONVENTION."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UTCDateTime(TypeDecorator[datetime]):
    """Stores naive UTC in the database and hands out aware UTC datetimes."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        """An aware datetime as naive UTC for the database; a naive one is refused."""
        if value is None:
            return None
        # A naive value would be stored as if it were UTC; a local time slipping in must fail loudly.
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        # SQLite has no zone-aware type, so both databases hold naive UTC and the zone is restored on reading.
        return value.astimezone(timezone.utc).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        """A stored naive UTC value as an aware UTC datetime."""
        if value is None:
            return None
        return value.replace(tzinfo=timezone.utc)


def utcnow() -> datetime:
    """The current time, aware, in UTC."""
    return datetime.now(timezone.utc)


def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    # pysqlite's own transaction handling emits BEGIN late and commits before DDL, which breaks SAVEPOINT
    # and transactional migrations; SQLAlchemy issues BEGIN itself (see _sqlite_begin).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    # WAL lets the web server, the scheduler and the CLI read while one writes.
    cursor.execute("PRAGMA journal_mode=WAL")
    # SQLite enforces foreign keys only when each connection asks for it.
    cursor.execute("PRAGMA foreign_keys=ON")
    # Wait up to 10 s for another process's write lock instead of failing with "database is locked".
    cursor.execute("PRAGMA busy_timeout=10000")
    # With WAL, NORMAL cannot corrupt the file (a power cut may lose only the last commits) and writes faster.
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _sqlite_begin(connection: Connection) -> None:
    # IMMEDIATE takes the write lock at BEGIN, waiting up to busy_timeout for it. A deferred BEGIN would read
    # first and then fail at once with "database is locked" when another writer committed in between (SQLite
    # cannot upgrade a stale read snapshot), which turned parallel scale posts into 500s. Writers queue
    # instead; WAL readers outside a transaction are not blocked.
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def make_engine(url: str, **kwargs: Any) -> Engine:
    """Create an engine; SQLite gets WAL, foreign keys and real (savepoint-capable) transactions."""
    engine = create_engine(url, **kwargs)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_connect)
        event.listen(engine, "begin", _sqlite_begin)
    return engine
