"""Alembic migrations build the schema the models describe, on SQLite and on PostgreSQL."""
from __future__ import annotations

import os
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text

import canteen.models  # noqa: F401
from canteen import migrate
from canteen.db import Base, make_engine
from tests.support import connect_postgres_or_skip, drop_schema

MIGRATION_SCHEMA = f"canteen_migration_test_{os.getpid()}"


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_engine(request: pytest.FixtureRequest, tmp_path: Path):
    """An engine on an empty database of each backend."""
    engine = (make_engine(f"sqlite:///{tmp_path / 'empty.db'}") if request.param == "sqlite"
              else connect_postgres_or_skip(MIGRATION_SCHEMA))
    yield engine
    engine.dispose()
    if request.param == "postgresql":
        drop_schema(MIGRATION_SCHEMA)


def test_upgrade_from_empty_matches_models(empty_engine):
    migrate.upgrade(empty_engine)
    assert migrate.current_revision(empty_engine) == migrate.head_revision()
    with empty_engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, Base.metadata)
    assert differences == []
    assert set(inspect(empty_engine).get_table_names()) >= set(Base.metadata.tables)


def test_upgrade_is_safe_to_repeat(empty_engine):
    migrate.upgrade(empty_engine)
    migrate.upgrade(empty_engine)
    assert migrate.current_revision(empty_engine) == migrate.head_revision()


def test_sqlite_runs_with_wal_and_foreign_keys(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'pragmas.db'}")
    with engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
    engine.dispose()
