"""Keep the reference tables in step with config.yaml and look codes up."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from canteen.config import AppConfig
from canteen.reference.models import Canteen, Dish, Meal, Stream


def sync_reference_data(session: Session, settings: AppConfig) -> None:
    """Insert or update canteens, meals and streams from the config; deactivate removed canteens."""
    canteens = {row.code: row for row in session.scalars(select(Canteen))}
    for item in settings.canteens:
        row = canteens.pop(item.code, None) or Canteen(code=item.code)
        row.name_zh, row.name_en, row.opened_on, row.active = item.name_zh, item.name_en, item.opened_on, True
        session.add(row)
    # Canteens left out of the config are deactivated, never deleted: their ledger rows still point at them.
    for row in canteens.values():
        row.active = False
    meals = {row.code: row for row in session.scalars(select(Meal))}
    for position, meal_item in enumerate(settings.meals):
        meal = meals.get(meal_item.code) or Meal(code=meal_item.code)
        meal.position = position
        session.add(meal)
    streams = {row.code: row for row in session.scalars(select(Stream))}
    for position, stream_item in enumerate(settings.streams):
        stream = streams.get(stream_item.code) or Stream(code=stream_item.code)
        stream.position, stream.food_waste = position, stream_item.food_waste
        session.add(stream)
    session.flush()


def canteen_by_code(session: Session, code: str) -> Canteen | None:
    """The active canteen with this code."""
    # An inactive canteen cannot be named for new entries; its history stays readable elsewhere.
    return session.scalar(select(Canteen).where(Canteen.code == code, Canteen.active.is_(True)))


def meal_by_code(session: Session, code: str) -> Meal | None:
    """The meal with this code."""
    return session.scalar(select(Meal).where(Meal.code == code))


def stream_by_code(session: Session, code: str) -> Stream | None:
    """The stream with this code."""
    return session.scalar(select(Stream).where(Stream.code == code))


def dish_by_name(session: Session, name: str, create: bool = True) -> Dish | None:
    """The dish with this name, created on first use."""
    # Whitespace collapsed, so "红烧  肉" and "红烧 肉" do not become two dishes in the 'by dish' views.
    name = " ".join(name.split())
    dish = session.scalar(select(Dish).where(Dish.name == name))
    if dish is None and create:
        dish = Dish(name=name)
        session.add(dish)
        # Flushed so the entry that names the dish can take its id.
        session.flush()
    return dish
