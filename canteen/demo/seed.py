"""Demo data: users for every role and fifteen months of ledger that look like a real canteen's.

The food-waste totals of zonghe for July and August 2021 are exactly 4700 kg and 4301 kg, the figures
of the source notice, so the ledger shows the month-over-month drop of 399 kg (-8.5 %).
"""
from __future__ import annotations

import random
from collections import defaultdict
from datetime import date, datetime, time, timedelta, timezone

from sqlalchemy import select
from sqlalchemy.orm import Session

from canteen.auth.models import User
from canteen.auth.services import create_user
from canteen.config import AppConfig
from canteen.core.timeutil import month_end
from canteen.ledger.models import DinerCount, DinerCountRevision, Disposal, WasteEntry, WasteEntryRevision
from canteen.reference.models import Canteen, Meal, Stream
from canteen.reference.services import dish_by_name

DEMO_START = date(2020, 7, 1)
DEMO_END = date(2021, 9, 30)
# (canteen, month) -> exact food-waste total in grams.
EXACT_TOTALS = {("zonghe", date(2021, 7, 1)): 4_700_000, ("zonghe", date(2021, 8, 1)): 4_301_000}

DEMO_USERS = [
    ("admin", "admin", None, "系统管理员"),
    ("manager", "manager", None, "食堂管理员"),
    ("manager_badajie", "manager", ["badajie"], "八大街餐厅管理员"),
    ("assessor", "assessor", None, "考核员"),
    ("reviewer", "reviewer", None, "审核员"),
    ("contractor", "contractor", None, "餐饮公司"),
    ("discipline", "discipline", None, "纪检部门"),
    ("viewer", "viewer", None, "查看者"),
]
DEMO_PASSWORD_SUFFIX = "-demo-2021"

DISHES = ["红烧鱼", "清炒芹菜", "番茄炒蛋", "土豆烧牛肉", "麻婆豆腐", "米饭", "馒头", "羊肉汤", "青椒肉丝",
          "紫菜蛋花汤"]
# Diners per meal on a weekday, by canteen; weekends serve far fewer.
DINERS = {"zonghe": {"breakfast": 420, "lunch": 900, "dinner": 160},
          "badajie": {"breakfast": 180, "lunch": 320, "dinner": 90}}
# Grams per diner for each stream (prep and unsold scale with production, plate with eaters).
GRAMS_PER_DINER = {"prep": 55.0, "unsold": 30.0, "plate": 70.0, "grease": 4.0}
SEASON_FACTOR = {1: 0.95, 2: 0.9, 3: 1.0, 4: 1.0, 5: 1.05, 6: 1.1, 7: 1.15, 8: 1.1, 9: 1.0, 10: 1.0,
                 11: 0.95, 12: 0.95}


def demo_password(username: str) -> str:
    """The demo password of a demo user (printed by the run command)."""
    return username + DEMO_PASSWORD_SUFFIX


def _months(start: date, end: date) -> list[date]:
    months, current = [], start.replace(day=1)
    while current <= end:
        months.append(current)
        current = (current + timedelta(days=32)).replace(day=1)
    return months


def seed_demo_data(session: Session, settings: AppConfig, hash_method: str = "scrypt") -> bool:
    """Create the demo users and ledger; False (and nothing changed) when they already exist."""
    # The demo manager marks a seeded database: a second run must not add fifteen more months of data.
    if session.scalar(select(User).where(User.username == "manager")) is not None:
        return False
    users = {}
    for username, role, canteens, name in DEMO_USERS:
        users[username] = create_user(session, username, role, demo_password(username),
                                      canteen_codes=canteens, display_name=name, hash_method=hash_method)
    manager = users["manager"]
    # A fixed seed: every demo database holds the same figures, so what the docs show is what one sees.
    rng = random.Random(20210901)
    meals = {row.code: row for row in session.scalars(select(Meal))}
    streams = {row.code: row for row in session.scalars(select(Stream))}
    dishes = [dish_by_name(session, name) for name in DISHES]
    for code in ("zonghe", "badajie"):
        canteen = session.scalar(select(Canteen).where(Canteen.code == code))
        if canteen is None:
            continue
        _seed_canteen(session, settings, rng, canteen, meals, streams, dishes, manager)
    session.flush()
    _seed_corrections(session, manager)
    # Imported here: the feature packages import the ledger models this module also builds on.
    from canteen.assessment.demo import seed_assessment_demo
    from canteen.demo.offences import demo_media_root, seed_offence_demo

    seed_offence_demo(session, settings, users, demo_media_root())
    seed_assessment_demo(session, settings, users)
    # The ledger above was written in bulk rather than through the services: chain it in this transaction.
    from canteen.audit.seal import seal_unchained
    seal_unchained(session)
    return True


def _seed_canteen(session: Session, settings: AppConfig, rng: random.Random, canteen: Canteen,
                  meals: dict[str, Meal], streams: dict[str, Stream], dishes: list, manager: User) -> None:
    config = settings.canteen(canteen.code)
    meal_codes = [meal.code for meal in settings.meals_of(config)] if config else list(meals)
    zone = settings.zone
    for month in _months(max(DEMO_START, canteen.opened_on), DEMO_END):
        entries: list[WasteEntry] = []
        day = month
        while day <= month_end(month):
            weekend = day.isoweekday() >= 6
            # The second move-in (September 2021) brought about 500 diners to badajie.
            growth = 1.5 if canteen.code == "badajie" and day >= date(2021, 9, 13) else 1.0
            trend = 1.0 - 0.004 * ((day - DEMO_START).days / 30)  # the anti-waste effort slowly pays off
            for meal_code in meal_codes:
                base = DINERS[canteen.code][meal_code] * growth * (0.3 if weekend else 1.0)
                diners = max(5, int(rng.gauss(base, base * 0.06)))
                # Weighed 40 minutes after the meal's serving window closes, as a manager would.
                meal_end = settings.meals[[m.code for m in settings.meals].index(meal_code)].end
                stamp = (datetime.combine(day, meal_end, tzinfo=zone).astimezone(timezone.utc)
                         + timedelta(minutes=40))
                count = DinerCount(canteen_id=canteen.id, day=day, meal=meals[meal_code], count=diners,
                                   created_by_id=manager.id, created_at=stamp)
                count.revisions.append(DinerCountRevision(number=1, count=diners, source="web",
                                                          created_by=manager, created_at=stamp))
                session.add(count)
                for stream_code, per_diner in GRAMS_PER_DINER.items():
                    if stream_code == "grease" and meal_code == "breakfast":
                        continue
                    grams = int(rng.gauss(per_diner, per_diner * 0.15) * diners * SEASON_FACTOR[day.month]
                                * trend)
                    dish = rng.choice(dishes) if stream_code == "unsold" and rng.random() < 0.6 else None
                    entries.append(WasteEntry(
                        canteen_id=canteen.id, day=day, meal=meals[meal_code], stream=streams[stream_code],
                        # The bell curve's tail can dip below zero; a weight must be more than zero.
                        dish=dish, weight_g=max(grams, 100), source="web", created_by_id=manager.id,
                        created_at=stamp))
            day += timedelta(days=1)
        _fix_total(entries, EXACT_TOTALS.get((canteen.code, month)))
        for entry in entries:
            entry.revisions.append(WasteEntryRevision(number=1, weight_g=entry.weight_g, dish=entry.dish,
                                                      created_by=manager, created_at=entry.created_at))
        session.add_all(entries)
        _seed_disposals(session, rng, canteen, entries, manager)
        session.flush()


def _fix_total(entries: list[WasteEntry], target: int | None) -> None:
    """Scale a month's food-waste entries so they add up to ``target`` grams exactly."""
    if target is None:
        return
    food = [entry for entry in entries if entry.stream.food_waste]
    total = sum(entry.weight_g for entry in food)
    for entry in food:
        entry.weight_g = max(1, round(entry.weight_g * target / total))
    # Rounding leaves a few grams over or under; the largest entry absorbs them so the sum is exact.
    largest = max(food, key=lambda entry: entry.weight_g)
    largest.weight_g += target - sum(entry.weight_g for entry in food)


def _seed_disposals(session: Session, rng: random.Random, canteen: Canteen, entries: list[WasteEntry],
                    manager: User) -> None:
    """A licensed hauler collects the food waste daily (日产日清); the composter takes a share."""
    by_day: dict[date, int] = defaultdict(int)
    grease: dict[date, int] = defaultdict(int)
    for entry in entries:
        (by_day if entry.stream.food_waste else grease)[entry.day] += entry.weight_g
    for day, grams in sorted(by_day.items()):
        # The source's on-site composter ran at zonghe from April 2021.
        composted = int(grams * 0.25) if canteen.code == "zonghe" and date(2021, 4, 1) <= day else 0
        # The hauler's scale never agrees exactly with the canteen's.
        hauled = int((grams - composted) * rng.uniform(0.97, 1.03))
        session.add(Disposal(canteen_id=canteen.id, day=day, receiver_kind="hauler",
                             receiver="开封市餐厨垃圾收运公司", manifest_no=f"KF{day:%Y%m%d}{canteen.id:02d}",
                             waste_type="food", weight_g=hauled, created_by_id=manager.id))
        if composted:
            session.add(Disposal(canteen_id=canteen.id, day=day, receiver_kind="composter",
                                 receiver="厨余垃圾处理器", waste_type="food", weight_g=composted,
                                 created_by_id=manager.id))
    # Grease goes separately to a licensed recycler, collected once a week (Fridays in the demo).
    for day in sorted(grease):
        if day.isoweekday() == 5:
            week = sum(grams for other, grams in grease.items() if day - timedelta(days=6) <= other <= day)
            session.add(Disposal(canteen_id=canteen.id, day=day, receiver_kind="hauler",
                                 receiver="废弃油脂回收公司", manifest_no=f"YZ{day:%Y%m%d}{canteen.id:02d}",
                                 waste_type="grease", weight_g=week, created_by_id=manager.id))


def _seed_corrections(session: Session, manager: User) -> None:
    """Two corrections, so the history view has something to show (totals stay exact)."""
    entries = session.scalars(select(WasteEntry).join(Stream).join(Canteen).where(
        Canteen.code == "zonghe", WasteEntry.day == date(2021, 9, 6), Stream.code.in_(["plate", "prep"]))
        .order_by(WasteEntry.id)
        .limit(2)).all()
    if len(entries) < 2:
        return
    first, second = entries
    # Weight moves from one entry to the other, so the day's total is unchanged; at least 1 g stays.
    moved = min(2000, first.weight_g - 1)
    at = datetime.combine(date(2021, 9, 7), time(9, 0), tzinfo=timezone.utc)
    for entry, new_weight, reason in ((first, first.weight_g - moved, "秤未归零，复称更正"),
                                      (second, second.weight_g + moved, "两桶合并称重，补录差额")):
        entry.revisions.append(WasteEntryRevision(number=2, weight_g=new_weight, dish=entry.dish,
                                                  reason=reason, created_by=manager, created_at=at))
        entry.weight_g = new_weight
