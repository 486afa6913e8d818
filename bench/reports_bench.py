"""Reports benchmark: one canteen's monthly report, the all-canteens report and the month's batch, timed.

For each database (SQLite and PostgreSQL) it loads 20 canteens x 3 years of ledger data (every day x 3 meals
x 4 streams, diner counts, daily disposals, some confirmed camera events) with Core ``insert()`` executemany,
then times ``reports.service.produce_report`` (queries, eight charts, the HTML page and its PDF, written
atomically) for the last month of the history: one canteen's report, the all-canteens report, and the batch
the scheduler's monthly job writes (the all-canteens report, then every canteen's). Each line gives the
median, min and max wall-clock seconds of the runs, the median CPU seconds of the process, and the median
split by phase (queries, charts, HTML, PDF, file writes). One untimed report runs first, so imports and font
loading are not counted. The machine may be shared: the load average is printed beside the figures. It
asserts nothing about speed; it exits 1 only when a report fails or a database cannot be set up.

Run:   .venv/bin/python bench/reports_bench.py                    # SQLite and PostgreSQL, 20 x 36 months
       .venv/bin/python bench/reports_bench.py --database sqlite  # one database: sqlite, postgresql or a URL
       .venv/bin/python bench/reports_bench.py --quick            # 2 canteens x 14 months, 1 run

PostgreSQL: ``postgresql`` means CANTEEN_BENCH_PG_URL (default
postgresql+psycopg://postgres@127.0.0.1:5432/test); the bench works in a schema of its own
(reports_bench_<pid>) in that database and drops it at the end.
"""
from __future__ import annotations

import argparse
import io
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Callable, Iterator, cast

# Runnable from anywhere: the project root must be importable.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

GRAMS_PER_DINER = {"prep": 55.0, "unsold": 30.0, "plate": 70.0, "grease": 4.0}
DINERS = {"breakfast": 400, "lunch": 850, "dinner": 150}
DISHES = ["红烧鱼", "清炒芹菜", "番茄炒蛋", "土豆烧牛肉", "麻婆豆腐", "米饭", "馒头", "羊肉汤"]
BATCH = 40_000
PG_URL = os.environ.get("CANTEEN_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
PHASES = ("queries", "charts", "html", "pdf", "files")


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

    # Fixed seed: every run loads the same data, so timings compare across runs and databases.
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


@dataclass
class Timing:
    """The runs of one timed line: wall and CPU seconds per run, the split by phase, the last statuses."""

    walls: list[float] = field(default_factory=list)
    cpus: list[float] = field(default_factory=list)
    phases: list[dict[str, float]] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)

    def line(self, label: str) -> str:
        """The printed line: runs, median/min/max wall, median CPU, median seconds per phase."""
        split = "".join(f"{statistics.median(run.get(name, 0.0) for run in self.phases):>8.2f}"
                        for name in PHASES)
        return (f"{label:<30}{len(self.walls):>5}{statistics.median(self.walls):>9.2f}{min(self.walls):>7.2f}"
                f"{max(self.walls):>7.2f}{statistics.median(self.cpus):>8.2f}  |{split}"
                + (f"   FAILED: {', '.join(self.failed)}" if self.failed else ""))


HEADER = (f"{'report':<30}{'runs':>5}{'median':>9}{'min':>7}{'max':>7}{'CPU':>8}  |"
          + "".join(f"{name:>8}" for name in PHASES))


def timed(runs: int, targets: list[Any], produce: Callable[[Any, Any], Any]) -> Timing:
    """Produce the reports of ``targets`` ``runs`` times; one run is the whole list."""
    from reports.timing import Stopwatch

    timing = Timing()
    for _run in range(runs):
        stopwatch = Stopwatch()
        started, cpu = time.perf_counter(), time.process_time()
        statuses = [produce(target, stopwatch) for target in targets]
        timing.walls.append(time.perf_counter() - started)
        timing.cpus.append(time.process_time() - cpu)
        timing.phases.append(stopwatch.seconds)
        timing.failed = [f"{run.target}: {run.error}" for run in statuses if run.status != "ok"]
    return timing


def pdf_fonts(path: Path) -> str:
    """The fonts embedded in a PDF with their sizes, and whether each is a subset (a ``ABCDEF+`` name)."""
    try:
        from pypdf import PdfReader
    except ImportError:  # pypdf comes with the test extras only
        return "(pypdf not installed: fonts not inspected)"
    reader = PdfReader(io.BytesIO(path.read_bytes()))
    found: dict[str, int] = {}
    for page in reader.pages:
        resources: Any = page["/Resources"]
        for font in (resources.get("/Font") or {}).values():
            font = font.get_object()
            for descendant in font.get("/DescendantFonts", [font]):
                descriptor = descendant.get_object().get("/FontDescriptor")
                if descriptor is None:
                    continue
                descriptor = descriptor.get_object()
                stream = next((descriptor[key] for key in ("/FontFile", "/FontFile2", "/FontFile3")
                               if key in descriptor), None)
                size = len(stream.get_object().get_data()) if stream is not None else 0
                found[str(descriptor["/FontName"]).lstrip("/")] = size
    return ", ".join(f"{name} {'subset' if name[6:7] == '+' else 'WHOLE'} {size / 1024:.0f} KiB"
                     for name, size in sorted(found.items()))


def subsetting_path() -> str:
    """Which font subsetter WeasyPrint uses: HarfBuzz (fast) or its fontTools fallback (slow with CJK)."""
    from weasyprint.text.ffi import harfbuzz_subset

    return ("HarfBuzz (libharfbuzz-subset)" if harfbuzz_subset is not None
            else "fontTools fallback: install libharfbuzz-subset0, CJK PDFs take minutes")


@contextmanager
def database(spec: str, work: Path) -> Iterator[tuple[str, str]]:
    """(label, URL) of an empty database for ``spec``; a PostgreSQL schema of its own is dropped after."""
    from sqlalchemy import text

    from canteen.db import make_engine

    if spec == "sqlite":
        yield "sqlite", f"sqlite:///{work / 'canteen.db'}"
        return
    if spec.startswith("sqlite"):
        yield "sqlite", spec
        return
    base = PG_URL if spec == "postgresql" else spec
    schema = f"reports_bench_{os.getpid()}"
    admin = make_engine(base)
    try:
        with admin.begin() as connection:
            connection.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
            connection.execute(text(f"CREATE SCHEMA {schema}"))
        separator = "&" if "?" in base else "?"
        yield "postgresql", f"{base}{separator}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as connection:
            connection.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        admin.dispose()


def setup_data(app: Any, first: date, last: date) -> None:
    """Create the tables, the reference rows and a user, then load the history and refresh the statistics."""
    from sqlalchemy import select

    from canteen.auth.services import create_user
    from canteen.db import Base
    from canteen.extensions import db
    from canteen.reference.models import Canteen, Meal, Stream
    from canteen.reference.services import dish_by_name, sync_reference_data

    Base.metadata.create_all(db.engine)
    sync_reference_data(db.session, app.config["SETTINGS"])
    user = create_user(db.session, "bench", "admin", "bench-password-1", hash_method="pbkdf2:sha256:1000")
    dishes = []
    for name in DISHES:
        dish = dish_by_name(db.session, name)
        assert dish is not None  # dish_by_name creates a missing dish by default
        dishes.append(dish.id)
    db.session.commit()
    ids = {"user": user.id, "dishes": dishes,
           "canteens": list(db.session.scalars(select(Canteen.id).order_by(Canteen.id))),
           "meals": [(row.id, row.code) for row in db.session.scalars(select(Meal).order_by(Meal.position))],
           "streams": [(row.id, row.code, row.food_waste) for row in db.session.scalars(select(Stream))]}
    # Ends the session's transaction: on SQLite it holds the write lock the loader's connection needs.
    db.session.commit()
    started = time.perf_counter()
    counts = load(db.engine, ids, first, last)
    say(f"  loaded in {time.perf_counter() - started:.1f} s: "
        + ", ".join(f"{name} {count:,}" for name, count in counts.items()))
    with db.engine.begin() as connection:
        # Fresh statistics, so the planner sees the report queries as on a database in use.
        connection.exec_driver_sql("ANALYZE")


def bench_database(args: argparse.Namespace, spec: str, work: Path, config_path: Path,
                   first: date, last: date) -> bool:
    """Load one database and print its timings; True when every report was written."""
    from sqlalchemy import select

    from canteen import create_app
    from canteen.extensions import db
    from canteen.reference.models import Canteen
    from reports.service import produce_report, report_targets

    month = last.replace(day=1)
    with database(spec, work) as (label, url):
        say()
        say(f"== {label}: {url}")
        app = create_app({"CONFIG_PATH": str(config_path), "DATABASE_URL": url,
                          "INSTANCE_PATH": str(work / label / "instance"),
                          "SECRET_KEY": "bench-" + os.urandom(8).hex(),
                          "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000"})
        settings = app.config["SETTINGS"]
        root = work / label / "reports"
        try:
            with app.app_context():
                setup_data(app, first, last)
                code = f"c{min(7, args.canteens):02d}"
                one = db.session.scalar(select(Canteen).where(Canteen.code == code))
                assert one is not None  # write_config made c01..cNN
                batch = report_targets(db.session, month, each=True)

                def produce(target: Any, stopwatch: Any) -> Any:
                    """One report, committed as the scheduler's job commits it."""
                    run = produce_report(db.session, settings, month, target, root, trigger="cli",
                                         stopwatch=stopwatch)
                    db.session.commit()
                    return run

                warm = timed(1, [one], produce)
                say(f"  warm-up (untimed) {warm.walls[0]:.2f} s; load average {load_average()}")
                say()
                say("  " + HEADER)
                rows = ((f"one canteen ({one.code})", [one]),
                        (f"all-canteens report ({args.canteens})", [None]),
                        (f"month's batch (all + {args.canteens})", batch))
                failed = False
                for name, targets in rows:
                    timing = timed(args.runs, targets, produce)
                    failed = failed or bool(timing.failed)
                    say("  " + timing.line(name))
                say(f"  seconds; wall-clock median/min/max, process CPU median, median split by phase; "
                    f"load average {load_average()}")
                pdf = root / month.strftime("%Y-%m") / one.code / "report.pdf"
                say(f"  PDF fonts ({one.code}): {pdf_fonts(pdf)}")
        finally:
            app.extensions["canteen_db"].engine.dispose()
    return not failed


def load_average() -> str:
    """The machine's 1- and 5-minute load averages (its cores are shared with other programs)."""
    one, five, _fifteen = os.getloadavg()
    return f"{one:.1f}/{five:.1f} on {os.cpu_count()} cores"


def main() -> int:
    """Parse the options and run the benchmark on each database in a temporary directory."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", action="append",
                        help="sqlite, postgresql or a database URL; repeatable (default: both)")
    parser.add_argument("--canteens", type=int, default=20)
    parser.add_argument("--months", type=int, default=36)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="2 canteens x 14 months, one run")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    args = parser.parse_args()
    if args.quick:
        args.canteens, args.months, args.runs = 2, 14, 1
    last = date(date.today().year - 1, 12, 31)
    first = add_months(last.replace(day=1), 1 - args.months)
    work = Path(tempfile.mkdtemp(prefix="reports-bench-"))
    config_path = work / "config.yaml"
    write_config(config_path, args.canteens, first)
    say(f"work dir {work}")
    say(f"canteens c01..c{args.canteens:02d}; history {first}..{last} ({args.months} months); "
        f"report {last:%Y-%m}; PDF font subsetting: {subsetting_path()}")
    ok = True
    try:
        for spec in args.database or ["sqlite", "postgresql"]:
            try:
                ok = bench_database(args, spec, work, config_path, first, last) and ok
            except Exception as exc:  # noqa: BLE001 - one database failing to set up must not hide the other
                say(f"  {spec}: not benchmarked: {type(exc).__name__}: {exc}")
                ok = False
    finally:
        if args.keep:
            say(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
