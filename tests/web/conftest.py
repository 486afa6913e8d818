"""Fixtures for the page tests: recent dates and ledger rows stored through the services."""
from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from functools import partial

import pytest
from flask import Flask

from canteen.config import AppConfig
from canteen.core.timeutil import local_today
from tests.web.helpers import seed_diner_count, seed_entry, seed_hauler_disposal


@pytest.fixture
def past_day(settings: AppConfig) -> date:
    """A recent day on which entries are allowed."""
    return local_today(settings.zone) - timedelta(days=3)


@pytest.fixture
def seed(app: Flask, settings: AppConfig) -> Callable[..., int]:
    """``seed(user, day, "lunch", "plate", 12000, canteen="zonghe")``: store an entry, return its id."""
    return partial(seed_entry, app, settings)


@pytest.fixture
def seed_diners(app: Flask, settings: AppConfig) -> Callable[..., None]:
    """``seed_diners(user, day, "lunch", 300, canteen="zonghe")``: store a diner count."""
    return partial(seed_diner_count, app, settings)


@pytest.fixture
def seed_disposal(app: Flask, settings: AppConfig) -> Callable[..., int]:
    """``seed_disposal(user, day, grams, canteen="zonghe")``: store a hand-over, return its id."""
    return partial(seed_hauler_disposal, app, settings)
