"""Revision 0007 on a database with events stored before it: they keep a publishable image, as before."""
from __future__ import annotations

import os
from datetime import date, datetime

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import MetaData, Table, select

from canteen import migrate
from canteen.db import make_engine
from tests.support import connect_postgres_or_skip, drop_schema

SCHEMA = f"canteen_migration_triage_{os.getpid()}"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def engine(request: pytest.FixtureRequest, tmp_path):
    """An engine on an empty database of each backend."""
    engine = (make_engine(f"sqlite:///{tmp_path / 'triage.db'}") if request.param == "sqlite"
              else connect_postgres_or_skip(SCHEMA))
    yield engine
    engine.dispose()
    if request.param == "postgresql":
        drop_schema(SCHEMA)


def test_events_stored_before_the_flag_count_as_publishable(engine):
    before = ScriptDirectory.from_config(migrate.alembic_config()).get_revision("0007").down_revision
    migrate.upgrade(engine, str(before))
    moment = datetime(2021, 8, 2, 4, 10)
    with engine.begin() as connection:
        meta = MetaData()
        tables = {name: Table(name, meta, autoload_with=connection)
                  for name in ("canteen", "user_account", "camera_event")}
        canteen_id = connection.execute(tables["canteen"].insert().values(
            code="zonghe", name_zh="综合", name_en="Integrated", opened_on=date(2020, 1, 1), active=True)
        ).inserted_primary_key[0]
        user_id = connection.execute(tables["user_account"].insert().values(
            username="camera", display_name="", role="manager", password_hash="x", active=True,
            created_at=moment)).inserted_primary_key[0]
        connection.execute(tables["camera_event"].insert().values(
            uuid="00000000-0000-0000-0000-000000000001", camera="tray-1", canteen_id=canteen_id,
            started_at=moment, ended_at=moment, start_s=1.0, end_s=2.0, peak_activity=0.1,
            activity_integral=0.1, scene_changed=True, changed_fraction=0.1, confidence=0.8,
            end_reason="scene_changed", detector_version="", status="pending", media_dir="2021/08/x",
            media_kinds="snapshot,snapshot_public", received_by_id=user_id, received_at=moment))
    migrate.upgrade(engine)
    with engine.connect() as connection:
        event = Table("camera_event", MetaData(), autoload_with=connection)
        assert connection.execute(select(event.c.public_image)).scalars().all() == [True]
        review = Table("event_review", MetaData(), autoload_with=connection)
        assert review.c.created_by_id.nullable
