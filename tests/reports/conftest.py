"""Report fixtures: the demo data loaded once per module and backend, and one-call ledger helpers."""
from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any, Callable

import pytest
from flask import Flask
from sqlalchemy import text
from sqlalchemy.orm import Session

from canteen import create_app
from canteen.auth.models import User
from canteen.config import AppConfig
from canteen.db import Base, make_engine
from canteen.demo.seed import seed_demo_data
from canteen.extensions import db
from canteen.ledger.diners import set_diner_count
from canteen.ledger.entries import record_entry
from canteen.reference.services import sync_reference_data
from tests.support import PG_URL, connect_postgres_or_skip, pg_url

FAST_HASH = "pbkdf2:sha256:1000"
DEMO_SCHEMA = f"canteen_reports_demo_{os.getpid()}"  # per process, like the test schema


@pytest.fixture(scope="module")
def demo_app(backend: str, settings: AppConfig, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    """An app on its own database holding the demo data (about 5 s to load), shared by a module's tests.

    PostgreSQL gets a schema of its own, so the per-test truncation of the shared test schema leaves it be.
    """
    folder = tmp_path_factory.mktemp("demo")
    if backend == "sqlite":
        url = f"sqlite:///{folder / 'demo.db'}"
        engine = make_engine(url)
    else:
        engine = connect_postgres_or_skip(DEMO_SCHEMA)
        url = pg_url(DEMO_SCHEMA)
    Base.metadata.create_all(engine)
    engine.dispose()
    app = create_app({"TESTING": True, "SECRET_KEY": "test-secret", "DATABASE_URL": url, "SETTINGS": settings,
                      "INSTANCE_PATH": str(folder / "instance"), "PASSWORD_HASH_METHOD": FAST_HASH,
                      "WTF_CSRF_ENABLED": False})
    with app.app_context():
        sync_reference_data(db.session, settings)
        seed_demo_data(db.session, settings, FAST_HASH)
        db.session.commit()
    yield app
    app.extensions["canteen_db"].engine.dispose()
    if backend == "postgresql":
        admin = make_engine(PG_URL)
        with admin.begin() as connection:
            connection.execute(text(f"DROP SCHEMA IF EXISTS {DEMO_SCHEMA} CASCADE"))
        admin.dispose()


@pytest.fixture
def demo_session(demo_app: Flask) -> Iterator[Session]:
    """A plain session on the demo database."""
    with Session(demo_app.extensions["canteen_db"].engine, expire_on_commit=False) as session:
        yield session


@pytest.fixture
def admin(session: Session, make_user: Callable[..., User]) -> User:
    """An admin loaded in the test's session."""
    user = session.get(User, make_user("admin").id)
    assert user is not None
    return user


@pytest.fixture
def weigh(session: Session, settings: AppConfig, admin: User) -> Callable[..., None]:
    """``weigh("2021-07-01", "lunch", plate=12.5, prep=3, diners=400)``: record a meal's weights (kg)."""
    def factory(day: str | date, meal: str, canteen: str = "zonghe", diners: int | None = None,
                **streams: Any) -> None:
        for stream, kg in streams.items():
            record_entry(session, settings, admin, {"canteen": canteen, "date": str(day), "meal": meal,
                                                    "stream": stream, "weight": kg, "unit": "kg"})
        if diners is not None:
            set_diner_count(session, settings, admin, canteen=canteen, day=str(day), meal=meal, count=diners)
        session.commit()

    return factory


@pytest.fixture
def reports_root(app: Flask) -> Path:
    """The test app's report store."""
    return Path(app.instance_path) / "reports"
