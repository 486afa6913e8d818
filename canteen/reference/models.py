"""Reference data mirrored from config.yaml: canteens, meals, streams; and dishes."""
from __future__ import annotations

from datetime import date

from sqlalchemy import Boolean, Date, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from canteen.db import Base


class Canteen(Base):
    """A canteen; the row is kept (inactive) when it leaves the config, so history stays valid."""

    __tablename__ = "canteen"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name_zh: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str] = mapped_column(String(100))
    opened_on: Mapped[date] = mapped_column(Date)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Meal(Base):
    """A meal (breakfast, lunch, dinner)."""

    __tablename__ = "meal"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    # The order in config.yaml, so pages list breakfast before lunch rather than by id or name.
    position: Mapped[int] = mapped_column(Integer, default=0)


class Stream(Base):
    """A waste stream; ``food_waste`` false keeps it out of the food-waste total."""

    __tablename__ = "stream"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    food_waste: Mapped[bool] = mapped_column(Boolean, default=True)
    position: Mapped[int] = mapped_column(Integer, default=0)


class Dish(Base):
    """A dish named on waste entries, for the 'by dish' views."""

    __tablename__ = "dish"

    id: Mapped[int] = mapped_column(primary_key=True)
    # One row per name, so the 'by dish' views add up every entry that names the same dish.
    name: Mapped[str] = mapped_column(String(100), unique=True)
