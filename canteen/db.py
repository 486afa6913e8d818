"""SQLAlchemy 2 foundation: the declarative base, naming convention, UTC timestamps, engines."""
from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime, timezone
from typing import Any, cast

from sqlalchemy import DateTime, MetaData, create_engine, event, update
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.engine import Connection, CursorResult, Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import DeclarativeBase, Session
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


# What must happen once (a decision, a first entry, a submission) is decided by the database, not by a read
# followed by a write: two requests can both read "pending" before either writes. The helpers below are the
# two tools: a compare-and-set UPDATE whose row count says who won, and an INSERT inside a SAVEPOINT whose
# unique-constraint violation says that another transaction stored the same key first. Both work on SQLite
# (where BEGIN IMMEDIATE serialises writers anyway) and on PostgreSQL (where they do the real work).


def compare_and_set(session: Session, row: Any, expected: Mapping[str, Any],
                    values: Mapping[str, Any]) -> bool:
    """Set ``values`` on ``row`` in one UPDATE that requires every ``expected`` column value; True if it won.

    On PostgreSQL a second UPDATE of the same row waits for the first transaction and then re-checks its
    condition against the committed row, so of two racing callers exactly one gets a row count of 1. The row
    is expired either way: the winner reads back what it stored, the loser what the other stored.
    """
    model = type(row)
    key_columns = sa_inspect(model).primary_key
    identity = sa_inspect(row).identity
    if identity is None:
        raise ValueError("compare_and_set needs a row that is stored already")
    criteria = [column == value for column, value in zip(key_columns, identity)]
    criteria += [getattr(model, name) == value for name, value in expected.items()]
    statement = update(model).where(*criteria).values(**values).execution_options(synchronize_session=False)
    result = cast(CursorResult[Any], session.execute(statement))
    session.expire(row)
    return result.rowcount == 1


def is_unique_violation(error: IntegrityError) -> bool:
    """True when the database refused a duplicate key (not a NULL, check or foreign-key violation)."""
    original = error.orig
    # psycopg reports the SQLSTATE, the sqlite3 module (Python 3.11+) the extended result code's name.
    return (getattr(original, "sqlstate", None) == "23505"
            or getattr(original, "sqlite_errorname", None) in ("SQLITE_CONSTRAINT_UNIQUE",
                                                               "SQLITE_CONSTRAINT_PRIMARYKEY"))


def stored_unless_duplicate(session: Session, change: Callable[[], object]) -> bool:
    """Make ``change`` (add or alter rows) in a SAVEPOINT and flush it; False when a unique key refused it.

    The SAVEPOINT keeps the transaction usable after the refusal (PostgreSQL aborts a whole transaction on
    an error otherwise), so the caller can read what the other transaction stored and answer with it.
    """
    try:
        # begin_nested flushes what is already pending first, so only this change is undone on a refusal.
        with session.begin_nested():
            change()
            session.flush()
    except IntegrityError as error:
        if not is_unique_violation(error):
            raise
        return False
    return True
