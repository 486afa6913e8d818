"""Alembic migrations build the schema the models describe, on SQLite and on PostgreSQL."""
from __future__ import annotations

import os
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, select, text
from sqlalchemy.orm import Session

import canteen.models  # noqa: F401
from canteen import migrate
from canteen.db import Base, make_engine
from tests.support import connect_postgres_or_skip, drop_schema

MIGRATION_SCHEMA = f"canteen_migration_test_{os.getpid()}"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
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


def test_sqlite_sessions_nest_in_an_outer_transaction(tmp_path):
    # The pysqlite recipe in make_engine: a session's commit inside an outer transaction only releases a
    # savepoint, and rolling the outer transaction back undoes it (what the test fixtures rely on).
    from canteen.reference.models import Meal

    engine = make_engine(f"sqlite:///{tmp_path / 'savepoints.db'}")
    Base.metadata.create_all(engine)
    with engine.connect() as connection:
        outer = connection.begin()
        with Session(bind=connection, join_transaction_mode="create_savepoint") as session:
            session.add(Meal(code="brunch", position=9))
            session.commit()
            with Session(bind=connection, join_transaction_mode="create_savepoint") as refused:
                refused.add(Meal(code="supper", position=10))
                refused.flush()
            assert session.scalars(select(Meal.code)).all() == ["brunch"]
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
        outer.rollback()
    with Session(engine) as session:
        assert session.scalars(select(Meal.code)).all() == []
    engine.dispose()


def test_0004_refuses_cells_doubled_by_the_old_race_and_then_guards_them(empty_engine, settings):
    # Two live daily-form entries in one cell (what simultaneous saves left before 0004) stop the upgrade
    # with the cell named; after one of them is voided, it goes through and the index refuses a third.
    from datetime import date

    from sqlalchemy.exc import IntegrityError

    from canteen.auth.services import create_user
    from canteen.ledger.models import WasteEntry
    from canteen.reference.models import Canteen, Meal, Stream
    from canteen.reference.services import sync_reference_data

    from alembic.script import ScriptDirectory

    # The revision just before 0004, whatever it is once other migrations are chained in.
    before = ScriptDirectory.from_config(migrate.alembic_config()).get_revision("0004").down_revision
    migrate.upgrade(empty_engine, before)
    with Session(empty_engine) as session:
        sync_reference_data(session, settings)
        user = create_user(session, "wang", "manager", "a-long-password", hash_method="pbkdf2:sha256:1000")
        refs = {"canteen": session.scalar(select(Canteen).where(Canteen.code == "zonghe")),
                "meal": session.scalar(select(Meal).where(Meal.code == "lunch")),
                "stream": session.scalar(select(Stream).where(Stream.code == "plate"))}
        entries = [WasteEntry(day=date(2021, 7, 5), weight_g=grams, source="web", created_by=user, **refs)
                   for grams in (10000, 11000)]
        session.add_all(entries)
        session.commit()
        with pytest.raises(RuntimeError, match="zonghe 2021-07-05 lunch plate \\(2 entries\\)"):
            migrate.upgrade(empty_engine)
        assert migrate.current_revision(empty_engine) == before
        entries[1].voided = True
        session.commit()
        migrate.upgrade(empty_engine)
        assert migrate.current_revision(empty_engine) == migrate.head_revision()
        session.add(WasteEntry(day=date(2021, 7, 5), weight_g=12000, source="web", created_by=user, **refs))
        with pytest.raises(IntegrityError):
            session.commit()
        session.rollback()
        # Scale weighings in the same cell are not limited: a cell is the sum of its weighings.
        session.add_all([WasteEntry(day=date(2021, 7, 5), weight_g=500, source="api", created_by=user, **refs)
                         for _ in range(2)])
        session.commit()
