"""Reports benchmark: the time to produce one canteen's monthly report and the all-canteens report.

It loads 20 canteens x 3 years of ledger data (every day x 3 meals x 4 streams, diner counts, daily
disposals, some confirmed camera events) into a SQLite database in a temporary directory with Core
``insert()`` executemany, then times ``reports.service.produce_report`` (queries, eight charts as PNG and SVG,
the HTML page and its PDF, written atomically) for the last month of the history. It prints figures and
asserts nothing about speed; it exits 1 only when a report fails.

Run:   .venv/bin/python bench/reports_bench.py             # 20 canteens x 36 months, 3 timed runs each
       .venv/bin/python bench/reports_bench.py --quick     # 2 canteens x 14 months, 1 run
"""
from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any, cast

# Runnable from anywhere: the project root must be importable.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

GRAMS_PER_DINER = {"prep": 55.0, "unsold": 30.0, "plate": 70.0, "grease": 4.0}
DINERS = {"breakfast": 400, "lunch": 850, "dinner": 150}
DISHES = ["红烧鱼", "清炒芹菜", "番茄炒蛋", "土豆烧牛肉", "麻婆豆腐", "米饭", "馒头", "羊肉汤"]
BATCH = 40_000


def say(text: str = "") -> None:
    """Print a line and flush it, so progress shows at once."""
    print(text, flush=True)


def add_months(day: date, months: int) -> date:
    """The first day of the month ``months`` after ``day``'s."""
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def write_config(path: Path, canteens: int, opened_on: date) -> None:
    """Write the default config.yaml with canteens c01..cNN opened on ``opened_on``."""
    import yaml

    from canteen.config import DEFAULT_CONFIG_PATH

    data = yaml.safe_load(DEFAULT_CONFIG_PATH.read_text(encoding="utf-8"))
    data["canteens"] = [{"code": f"c{i:02d}", "name_zh": f"食堂{i:02d}", "name_en": f"Canteen {i:02d}",
                         "opened_on": opened_on, "diners": 900} for i in range(1, canteens + 1)]
    data["cameras"] = []
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def load(engine: Any, ids: dict[str, Any], first: date, last: date) -> dict[str, int]:
    """Insert the ledger rows day by day, flushing every BATCH entries; returns the row counts."""
    from sqlalchemy import Table, insert

    from canteen.camera_events.models import CameraEvent
    from canteen.ledger.models import DinerCount, DinerCountRevision, Disposal, WasteEntry, WasteEntryRevision

    # Fixed seed: every run loads the same data, so timings compare across runs.
    rng = random.Random(20210801)
    tables = [("waste_entry", WasteEntry), ("waste_entry_revision", WasteEntryRevision),
              ("diner_count", DinerCount), ("diner_count_revision", DinerCountRevision),
              ("disposal", Disposal), ("camera_event", CameraEvent)]
    rows: dict[str, list[dict[str, Any]]] = {name: [] for name, _model in tables}
    counts = {name: 0 for name, _model in tables}
    entry_id = count_id = 1
    uid = ids["user"]

    def flush() -> None:
        """Insert the buffered rows in one transaction."""
        with engine.begin() as connection:
            for name, model in tables:  # parents before children (foreign keys are on)
                if rows[name]:
                    connection.execute(insert(cast(Table, model.__table__)), rows[name])
                    counts[name] += len(rows[name])
                    rows[name].clear()

    day = first
    while day <= last:
        weekend = day.isoweekday() >= 6
        for canteen_id in ids["canteens"]:
            food = 0
            for meal_id, meal_code in ids["meals"]:
                stamp = datetime.combine(day, datetime.min.time(), tzinfo=timezone.utc) + timedelta(hours=12)
                diners = max(5, int(DINERS[meal_code] * (0.3 if weekend else 1.0) * rng.uniform(0.9, 1.1)))
                rows["diner_count"].append(dict(id=count_id, canteen_id=canteen_id, day=day, meal_id=meal_id,
                                                count=diners, created_by_id=uid, created_at=stamp))
                rows["diner_count_revision"].append(dict(diner_count_id=count_id, number=1, count=diners,
                                                         source="import", reason=None, created_by_id=uid,
                                                         created_at=stamp))
                count_id += 1
                for stream_id, stream_code, food_waste in ids["streams"]:
                    grams = max(100, int(GRAMS_PER_DINER[stream_code] * diners * rng.uniform(0.8, 1.2)))
                    with_dish = stream_code == "unsold" and rng.random() < 0.6
                    dish = rng.choice(ids["dishes"]) if with_dish else None
                    food += grams if food_waste else 0
                    rows["waste_entry"].append(dict(
                        id=entry_id, canteen_id=canteen_id, day=day, meal_id=meal_id, stream_id=stream_id,
                        dish_id=dish, weight_g=grams, note="", voided=False, source="import", client_id=None,
                        created_by_id=uid, created_at=stamp))
                    rows["waste_entry_revision"].append(dict(
                        entry_id=entry_id, number=1, weight_g=grams, dish_id=dish, note="", voided=False,
                        reason=None, created_by_id=uid, created_at=stamp))
                    entry_id += 1
            rows["disposal"].append(dict(
                canteen_id=canteen_id, day=day, receiver_kind="hauler", receiver="licensed hauler",
                manifest_no=f"B{day:%Y%m%d}{canteen_id:03d}", waste_type="food",
                weight_g=int(food * rng.uniform(0.97, 1.03)), note="", voided=False, void_reason=None,
                voided_by_id=None, voided_at=None, created_by_id=uid, created_at=stamp))
            # Some confirmed dumps, so the dumps chart has bars to draw.
            if rng.random() < 0.3:
                at = stamp + timedelta(minutes=rng.randint(0, 90))
                rows["camera_event"].append(dict(
                    uuid=str(uuid.UUID(int=rng.getrandbits(128))), camera=f"cam{canteen_id}",
                    canteen_id=canteen_id, started_at=at, ended_at=at + timedelta(seconds=4), start_s=0.0,
                    end_s=4.0, peak_activity=0.5, activity_integral=1.0, scene_changed=True,
                    changed_fraction=0.1, confidence=0.8, end_reason="still", detector_version="bench",
                    status="confirmed", media_dir="bench", media_kinds="", media_deleted_at=None,
                    received_by_id=uid, received_at=at))
        if len(rows["waste_entry"]) >= BATCH:
            flush()
        day += timedelta(days=1)
    flush()
    return counts


def timed(runs: int, action: Any) -> tuple[list[float], Any]:
    """Run ``action`` ``runs`` times; the seconds of each run and the last result."""
    seconds, result = [], None
    for _run in range(runs):
        started = time.perf_counter()
        result = action()
        seconds.append(time.perf_counter() - started)
    return seconds, result


def run(args: argparse.Namespace, work: Path) -> int:
    """Load the history, time the reports, show where one run's time goes; the exit status."""
    last = date(date.today().year - 1, 12, 31)
    first = add_months(last.replace(day=1), 1 - args.months)
    month = last.replace(day=1)
    config_path, db_path, instance = work / "config.yaml", work / "canteen.db", work / "instance"
    write_config(config_path, args.canteens, first)
    os.environ.update(CANTEEN_CONFIG=str(config_path), CANTEEN_INSTANCE=str(instance),
                      CANTEEN_DATABASE_URL=f"sqlite:///{db_path}",
                      CANTEEN_SECRET_KEY="bench-" + os.urandom(8).hex())

    from sqlalchemy import select

    import canteen.models  # noqa: F401  (complete metadata)
    from canteen import create_app
    from canteen.auth.services import create_user
    from canteen.db import Base
    from canteen.extensions import db
    from canteen.reference.models import Canteen, Meal, Stream
    from canteen.reference.services import dish_by_name, sync_reference_data
    from reports.monthly import build_monthly_report
    from reports.render import write_report_files
    from reports.service import produce_report, report_canteens
    from reports.storage import staged_folder

    app = create_app({"PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000"})
    settings = app.config["SETTINGS"]
    say(f"work dir {work}")
    say(f"canteens c01..c{args.canteens:02d}; history {first}..{last} ({args.months} months); "
        f"report {month:%Y-%m}")
    with app.app_context():
        Base.metadata.create_all(db.engine)
        sync_reference_data(db.session, settings)
        user = create_user(db.session, "bench", "admin", "bench-password-1", hash_method="pbkdf2:sha256:1000")
        dishes = []
        for name in DISHES:
            dish = dish_by_name(db.session, name)
            assert dish is not None  # dish_by_name creates a missing dish by default
            dishes.append(dish.id)
        db.session.commit()
        ids = {"user": user.id, "dishes": dishes,
               "canteens": list(db.session.scalars(select(Canteen.id).order_by(Canteen.id))),
               "meals": [(row.id, row.code)
                         for row in db.session.scalars(select(Meal).order_by(Meal.position))],
               "streams": [(row.id, row.code, row.food_waste) for row in db.session.scalars(select(Stream))]}
        started = time.perf_counter()
        counts = load(db.engine, ids, first, last)
        say(f"loaded in {time.perf_counter() - started:.1f} s: "
            + ", ".join(f"{name} {count:,}" for name, count in counts.items()))
        with db.engine.connect() as connection:
            # Fresh statistics, so SQLite plans the report queries as on a database in use.
            connection.exec_driver_sql("ANALYZE")
        say(f"database {db_path.stat().st_size / 2**20:.0f} MiB")

        one = db.session.scalar(select(Canteen).where(Canteen.code == f"c{min(7, args.canteens):02d}"))
        assert one is not None  # write_config made c01..cNN
        root = work / "reports"
        say()
        say(f"{'report':<28}{'runs':>5}{'median s':>10}{'min s':>8}{'max s':>8}")
        failed = False
        for label, target in ((f"one canteen ({one.code})", one), (f"all canteens ({args.canteens})", None)):
            def produce() -> Any:
                result = produce_report(db.session, settings, month, target, root, trigger="cli")
                db.session.commit()
                return result

            seconds, report_run = timed(args.runs, produce)
            failed = failed or report_run.status != "ok"
            say(f"{label:<28}{len(seconds):>5}{statistics.median(seconds):>10.2f}{min(seconds):>8.2f}"
                f"{max(seconds):>8.2f}   {report_run.status}, {len(report_run.files)} files")

        say()
        say("where the time of one run goes (one canteen, then all):")
        for target in (one, None):
            canteens = report_canteens(db.session, month)
            started = time.perf_counter()
            report = build_monthly_report(db.session, settings, month, target, canteens)
            built = time.perf_counter() - started
            # A folder of its own: the split timing must not replace the timed runs' reports.
            with staged_folder(work / "split" / (target.code if target else "all")) as staging:
                started = time.perf_counter()
                write_report_files(report, staging)
                written = time.perf_counter() - started
            say(f"  {target.code if target else 'all':<6} queries + drawing {built:.2f} s; "
                f"PNG + SVG + HTML + PDF {written:.2f} s")
    shutil.rmtree(work / "split", ignore_errors=True)
    return 1 if failed else 0


def main() -> int:
    """Parse the options and run the benchmark in a temporary directory."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--canteens", type=int, default=20)
    parser.add_argument("--months", type=int, default=36)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="2 canteens x 14 months, one run")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    args = parser.parse_args()
    if args.quick:
        args.canteens, args.months, args.runs = 2, 14, 1
    work = Path(tempfile.mkdtemp(prefix="reports-bench-"))
    try:
        return run(args, work)
    finally:
        if args.keep:
            say(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
