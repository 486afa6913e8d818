"""API fixtures: counting what the database holds, to prove a refused request stored nothing."""
from __future__ import annotations

from typing import Callable

import pytest
from flask import Flask
from sqlalchemy import func, select

from canteen.extensions import db
from canteen.ledger.models import DinerCount, DinerCountRevision, WasteEntry, WasteEntryRevision


@pytest.fixture
def stored(app: Flask) -> Callable[[], dict[str, int]]:
    """Row counts of the ledger tables, read in a fresh app context."""
    def count() -> dict[str, int]:
        with app.app_context():
            return {model.__tablename__: db.session.scalar(select(func.count()).select_from(model))
                    for model in (WasteEntry, WasteEntryRevision, DinerCount, DinerCountRevision)}

    return count


@pytest.fixture
def nothing_stored(stored: Callable[[], dict[str, int]]) -> Callable[[], bool]:
    """True while every ledger table is empty."""
    return lambda: not any(stored().values())
