"""Imports every model so that ``Base.metadata`` is complete (for Alembic and tests)."""
from canteen.auth.models import ApiToken, LoginFailure, User, UserCanteen
from canteen.camera_events.models import CameraEvent, CameraStatus
from canteen.db import Base
from canteen.ledger.models import (DinerCount, DinerCountRevision, Disposal, WasteEntry,
                                   WasteEntryRevision)
from canteen.reference.models import Canteen, Dish, Meal, Stream

__all__ = ["ApiToken", "Base", "CameraEvent", "CameraStatus", "Canteen", "DinerCount", "DinerCountRevision", "Disposal", "Dish",
           "LoginFailure", "Meal", "Stream", "User", "UserCanteen", "WasteEntry", "WasteEntryRevision"]
