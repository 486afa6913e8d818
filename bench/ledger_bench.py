"""Ledger benchmark: bulk load, write rate of the real API against a bare Flask insert, and whether
GET /api/v1/ledger stays flat when the history grows tenfold.

Everything happens in a temporary directory (SQLite database, instance folder, a config.yaml with
canteens c01..cNN); both servers are Waitress subprocesses on free 127.0.0.1 ports and are stopped on
exit, Ctrl-C included. The script prints figures and asserts nothing about speed; it exits 1 only when
something does not work (a server does not start, a request fails).

Run:   .venv/bin/python bench/ledger_bench.py            # 20 canteens x 3 years, grown to 30 years
       .venv/bin/python bench/ledger_bench.py --quick    # 2 canteens x 3 months, well under a minute
"""
from __future__ import annotations

import argparse
import http.client
import json
import math
import os
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import date, datetime, time as dtime, timedelta, timezone
from pathlib import Path
from typing import Any, cast

# Weighings per canteen, day and meal: (stream, grams per diner); diners per meal on a weekday.
GRAMS_PER_DINER = {"prep": 55.0, "unsold": 30.0, "plate": 70.0, "grease": 4.0}
DINERS = {"breakfast": 400, "lunch": 850, "dinner": 150}
DISHES = ["红烧鱼", "清炒芹菜", "番茄炒蛋", "土豆烧牛肉", "麻婆豆腐", "米饭", "馒头", "羊肉汤"]
BATCH_ENTRIES = 40_000  # waste entries per executemany batch (and commit)


# --------------------------------------------------------------------------- small helpers

def add_months(day: date, months: int) -> date:
    """The first day of the month ``months`` after ``day``'s."""
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that is free right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        # Port 0: the OS picks a free port (it could be taken again before the server binds it; unlikely).
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def percentile(values: list[float], pct: float) -> float:
    """The nearest-rank percentile ``pct`` of ``values``."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(pct / 100 * len(ordered)) - 1)]


def say(text: str = "") -> None:
    """Print a line and flush it, so progress shows at once."""
    print(text, flush=True)


# --------------------------------------------------------------------------- the bare server

def serve_bare(db_path: str, port: int, threads: int) -> None:
    """A one-table Flask app: parse the JSON body, one SQLAlchemy insert, commit, answer 201.

    It uses the project's engine factory, so SQLite runs with the same pragmas (WAL, synchronous=NORMAL,
    foreign keys); the ratio then measures the application's own work, not different durability settings.
    """
    from flask import Flask, jsonify, request
    from sqlalchemy import Column, Integer, MetaData, String, Table, insert
    from waitress import serve

    from canteen.db import make_engine

    engine = make_engine(f"sqlite:///{db_path}")
    metadata = MetaData()
    items = Table("item", metadata, Column("id", Integer, primary_key=True),
                  Column("client_id", String(64), unique=True), Column("canteen", String(32)),
                  Column("day", String(10)), Column("weight", String(32)))
    metadata.create_all(engine)
    app = Flask("bare")

    @app.post("/items")
    def create_item() -> Any:
        """Insert one item from the JSON body."""
        data = request.get_json()
        with engine.begin() as connection:
            key = connection.execute(insert(items).values(
                client_id=data["client_id"], canteen=data["canteen"], day=data["date"],
                weight=str(data["weight"]))).inserted_primary_key
        assert key is not None  # a single-row insert always reports the key it got
        return jsonify({"id": key[0]}), 201

    @app.get("/healthz")
    def healthz() -> Any:
        """Answer 200 once the server is up."""
        return jsonify({"status": "ok"})

    serve(app, host="127.0.0.1", port=port, threads=threads, ident="bare")


# --------------------------------------------------------------------------- subprocesses

class Servers:
    """Started subprocesses; ``stop`` terminates and waits for each (kills after 10 s)."""

    def __init__(self, log_dir: Path) -> None:
        self.log_dir = log_dir
        self.procs: list[tuple[str, subprocess.Popen[bytes], Path]] = []

    def start(self, name: str, argv: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
        """Start a subprocess with its output in ``<name>.log``."""
        log = self.log_dir / f"{name}.log"
        with log.open("wb") as handle:
            # A new session: Ctrl-C reaches only this script, which then stops the servers in order.
            proc = subprocess.Popen(argv, env=env, stdout=handle, stderr=subprocess.STDOUT,
                                    stdin=subprocess.DEVNULL, start_new_session=True)
        self.procs.append((name, proc, log))
        return proc

    def wait_ready(self, name: str, port: int, timeout: float = 60) -> None:
        """Wait until the server answers /healthz; raise if it exits or times out."""
        proc, log = next((p, lg) for n, p, lg in self.procs if n == name)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                tail = log.read_text(errors="replace")[-2000:]
                raise RuntimeError(f"{name} exited with {proc.returncode}:\n{tail}")
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
                conn.request("GET", "/healthz")
                if conn.getresponse().status == 200:
                    conn.close()
                    return
                conn.close()
            except OSError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"{name} did not answer on port {port} within {timeout:.0f} s")

    def stop(self) -> None:
        """Terminate every subprocess, newest first, and wait for each."""
        for _name, proc, _log in reversed(self.procs):
            if proc.poll() is None:
                proc.terminate()
        for _name, proc, _log in reversed(self.procs):
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        self.procs.clear()


# --------------------------------------------------------------------------- HTTP client

@dataclass
class LoadResult:
    """Requests that succeeded and failed, and the wall time they took."""

    ok: int = 0
    errors: int = 0
    seconds: float = 0.0
    first_error: str = ""

    @property
    def rate(self) -> float:
        """Successful requests per second."""
        return self.ok / self.seconds if self.seconds else 0.0


def post_all(port: int, path: str, bodies: list[bytes], headers: dict[str, str], threads: int,
             stop: threading.Event) -> LoadResult:
    """POST every body over ``threads`` keep-alive connections; wall time from start to last answer."""
    result = LoadResult()
    lock = threading.Lock()
    # All threads leave the barrier together: the wall time covers the requests, not thread start-up.
    barrier = threading.Barrier(threads + 1)
    chunks = [bodies[i::threads] for i in range(threads)]

    def worker(chunk: list[bytes]) -> None:
        """Post one chunk over its own keep-alive connection."""
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        ok = errors = 0
        first = ""
        barrier.wait()
        for body in chunk:
            if stop.is_set():
                break
            try:
                conn.request("POST", path, body, headers)
                response = conn.getresponse()
                data = response.read()
                if response.status in (200, 201):
                    ok += 1
                else:
                    errors += 1
                    first = first or f"{response.status} {data[:200]!r}"
                if response.will_close:
                    conn.close()
                    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            except (OSError, http.client.HTTPException) as exc:
                errors += 1
                first = first or repr(exc)
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        conn.close()
        with lock:
            result.ok += ok
            result.errors += errors
            result.first_error = result.first_error or first

    workers = [threading.Thread(target=worker, args=(chunk,), daemon=True) for chunk in chunks]
    for thread in workers:
        thread.start()
    barrier.wait()
    started = time.perf_counter()
    for thread in workers:
        while thread.is_alive():
            thread.join(0.2)
    result.seconds = time.perf_counter() - started
    return result


def get_latencies(port: int, path: str, headers: dict[str, str], count: int,
                  warmup: int) -> tuple[list[float], Any]:
    """Sequential GETs on one keep-alive connection; per-request latency in ms, and the last JSON body."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    latencies: list[float] = []
    body: Any = None
    for index in range(warmup + count):
        started = time.perf_counter()
        conn.request("GET", path, headers=headers)
        response = conn.getresponse()
        data = response.read()
        elapsed = (time.perf_counter() - started) * 1000
        if response.status != 200:
            conn.close()
            raise RuntimeError(f"GET {path}: {response.status} {data[:300]!r}")
        # The first requests warm the connection and the server's caches; they are not timed.
        if index >= warmup:
            latencies.append(elapsed)
        body = data
    conn.close()
    return latencies, json.loads(body)


# --------------------------------------------------------------------------- bulk loading

@dataclass
class Loader:
    """Generates valid ledger rows and inserts them with Core ``insert()`` executemany, batch by batch."""

    engine: Any
    canteen_ids: list[int]
    meals: list[tuple[int, str, dtime]]  # (id, code, end of service)
    streams: list[tuple[int, str]]
    dish_ids: list[int]
    user_id: int
    zone: Any
    rng: random.Random = field(default_factory=lambda: random.Random(20210701))
    next_entry_id: int = 1
    next_count_id: int = 1
    counts: dict[str, int] = field(default_factory=lambda: {
        "waste_entry": 0, "waste_entry_revision": 0, "diner_count": 0, "diner_count_revision": 0,
        "disposal": 0})

    def _next_ids(self) -> None:
        """Continue after the newest rows (the API may have added some since the last load)."""
        from sqlalchemy import func, select

        from canteen.ledger.models import DinerCount, WasteEntry

        with self.engine.connect() as conn:
            self.next_entry_id = (conn.scalar(select(func.max(WasteEntry.id))) or 0) + 1
            self.next_count_id = (conn.scalar(select(func.max(DinerCount.id))) or 0) + 1

    def load(self, first: date, last: date) -> float:
        """Insert entries, revisions, diner counts (with revisions) and daily disposals for every day."""
        started = time.perf_counter()
        self._next_ids()
        buffers: dict[str, list[dict[str, Any]]] = {name: [] for name in self.counts}
        day = first
        while day <= last:
            for canteen_id in self.canteen_ids:
                self._day(canteen_id, day, buffers)
            if len(buffers["waste_entry"]) >= BATCH_ENTRIES:
                self._flush(buffers)
            day += timedelta(days=1)
        self._flush(buffers)
        return time.perf_counter() - started

    def _day(self, canteen_id: int, day: date, buffers: dict[str, list[dict[str, Any]]]) -> None:
        rng, uid = self.rng, self.user_id
        weekend = day.isoweekday() >= 6
        # A mild swing over the year (about 10 %), so months differ as real ones do.
        season = 1.0 + 0.1 * math.sin((day.timetuple().tm_yday / 366) * 2 * math.pi)
        food_total = 0
        for meal_id, meal_code, meal_end in self.meals:
            stamp = (datetime.combine(day, meal_end, tzinfo=self.zone).astimezone(timezone.utc)
                     + timedelta(minutes=40))
            base = DINERS.get(meal_code, 300) * (0.3 if weekend else 1.0)
            diners = max(5, int(base * rng.uniform(0.9, 1.1)))
            count_id = self.next_count_id
            self.next_count_id += 1
            buffers["diner_count"].append(dict(id=count_id, canteen_id=canteen_id, day=day, meal_id=meal_id,
                                               count=diners, created_by_id=uid, created_at=stamp))
            buffers["diner_count_revision"].append(dict(diner_count_id=count_id, number=1, count=diners,
                                                        source="import", reason=None, created_by_id=uid,
                                                        created_at=stamp))
            for stream_id, stream_code in self.streams:
                per_diner = GRAMS_PER_DINER.get(stream_code, 20.0)
                grams = max(100, int(per_diner * diners * season * rng.uniform(0.8, 1.2)))
                dish_id = (rng.choice(self.dish_ids) if stream_code == "unsold" and rng.random() < 0.6
                           else None)
                # Grease is not food waste: the daily hauler disposal carries only the food streams.
                if stream_code != "grease":
                    food_total += grams
                entry_id = self.next_entry_id
                self.next_entry_id += 1
                buffers["waste_entry"].append(dict(
                    id=entry_id, canteen_id=canteen_id, day=day, meal_id=meal_id, stream_id=stream_id,
                    dish_id=dish_id, weight_g=grams, note="", voided=False, source="import", client_id=None,
                    created_by_id=uid, created_at=stamp))
                buffers["waste_entry_revision"].append(dict(
                    entry_id=entry_id, number=1, weight_g=grams, dish_id=dish_id, note="", voided=False,
                    reason=None, created_by_id=uid, created_at=stamp))
        buffers["disposal"].append(dict(
            canteen_id=canteen_id, day=day, receiver_kind="hauler", receiver="licensed hauler",
            manifest_no=f"B{day:%Y%m%d}{canteen_id:03d}", waste_type="food",
            weight_g=int(food_total * rng.uniform(0.97, 1.03)), note="", voided=False, void_reason=None,
            voided_by_id=None, voided_at=None, created_by_id=uid, created_at=stamp))

    def _flush(self, buffers: dict[str, list[dict[str, Any]]]) -> None:
        from sqlalchemy import Table, insert

        from canteen.ledger.models import (DinerCount, DinerCountRevision, Disposal, WasteEntry,
                                           WasteEntryRevision)

        tables = {"waste_entry": WasteEntry, "waste_entry_revision": WasteEntryRevision,
                  "diner_count": DinerCount, "diner_count_revision": DinerCountRevision, "disposal": Disposal}
        with self.engine.begin() as conn:
            for name, model in tables.items():  # parents before children (foreign keys are on)
                rows = buffers[name]
                if rows:
                    conn.execute(insert(cast(Table, model.__table__)), rows)
                    self.counts[name] += len(rows)
                    rows.clear()


def table_counts(engine: Any) -> dict[str, int]:
    """Row counts of the ledger tables."""
    from sqlalchemy import text

    names = ["waste_entry", "waste_entry_revision", "diner_count", "diner_count_revision", "disposal"]
    with engine.connect() as conn:
        return {name: conn.scalar(text(f"SELECT count(*) FROM {name}")) for name in names}


def checkpoint(engine: Any) -> None:
    """Checkpoint and truncate SQLite's WAL."""
    from sqlalchemy import text

    with engine.connect() as conn:
        # Fold the WAL into the database: the size printed is the real one, the next timings start clean.
        conn.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))


def query_plan(engine: Any, canteen_id: int, month: date) -> str:
    """SQLite's plan for the ledger's main query (the cells of one canteen-month)."""
    from sqlalchemy import func, select, text

    from canteen.ledger.models import WasteEntry
    from canteen.reference.models import Meal, Stream
    from canteen.core.timeutil import month_end

    query = (select(WasteEntry.day, Meal.code, Stream.code, func.sum(WasteEntry.weight_g))
             .join(Meal, Meal.id == WasteEntry.meal_id).join(Stream, Stream.id == WasteEntry.stream_id)
             .where(WasteEntry.canteen_id == canteen_id, WasteEntry.day >= month,
                    WasteEntry.day <= month_end(month), WasteEntry.voided.is_(False))
             .group_by(WasteEntry.day, Meal.code, Stream.code))
    sql = str(query.compile(engine, compile_kwargs={"literal_binds": True}))
    with engine.connect() as conn:
        rows = conn.execute(text("EXPLAIN QUERY PLAN " + sql)).all()
    return next((row[-1] for row in rows if "waste_entry" in row[-1]), "; ".join(row[-1] for row in rows))


# --------------------------------------------------------------------------- the benchmark

def write_config(path: Path, canteens: int, opened_on: date) -> None:
    """Write the default config.yaml with canteens c01..cNN opened on ``opened_on``."""
    import yaml

    from canteen.config import DEFAULT_CONFIG_PATH

    data = yaml.safe_load(DEFAULT_CONFIG_PATH.read_text(encoding="utf-8"))
    data["canteens"] = [{"code": f"c{i:02d}", "name_zh": f"食堂{i:02d}", "name_en": f"Canteen {i:02d}",
                         "opened_on": opened_on, "diners": 900} for i in range(1, canteens + 1)]
    data["cameras"] = []
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def canteen_command() -> list[str]:
    """The argv that starts the ``canteen`` command of this virtualenv."""
    script = Path(sys.executable).with_name("canteen")
    return [str(script)] if script.exists() else [sys.executable, "-m", "canteen.cli"]


def run(args: argparse.Namespace, work: Path, stop: threading.Event, servers: Servers) -> int:
    """Load, time the writes, time the ledger GET before and after the growth; the exit status."""
    # Dates: the base history is ``months`` whole months ending last December; growing it adds
    # (factor - 1) x as many months right before it, for the same canteens (more history, not more canteens).
    base_last = date(date.today().year - 1, 12, 31)
    base_first = add_months(base_last.replace(day=1), 1 - args.months)
    grow_first = add_months(base_first, -(args.factor - 1) * args.months)
    grow_last = base_first - timedelta(days=1)
    query_month = add_months(base_first, args.months // 2)
    query_canteen = f"c{min(7, args.canteens):02d}"

    instance, db_path, config_path = work / "instance", work / "canteen.db", work / "config.yaml"
    write_config(config_path, args.canteens, grow_first)
    env = dict(os.environ, CANTEEN_INSTANCE=str(instance), CANTEEN_DATABASE_URL=f"sqlite:///{db_path}",
               CANTEEN_CONFIG=str(config_path), CANTEEN_SECRET_KEY="bench-" + os.urandom(8).hex())
    os.environ.update({key: env[key] for key in ("CANTEEN_INSTANCE", "CANTEEN_DATABASE_URL", "CANTEEN_CONFIG",
                                                 "CANTEEN_SECRET_KEY")})

    from sqlalchemy import select

    from canteen import create_app, migrate
    from canteen.auth.services import create_token, create_user
    from canteen.extensions import db
    from canteen.reference.models import Canteen, Dish, Meal, Stream
    from canteen.reference.services import sync_reference_data

    say(f"work dir {work}")
    say(f"canteens c01..c{args.canteens:02d}; base history {base_first}..{base_last} ({args.months} months); "
        f"query {query_canteen} {query_month:%Y-%m}")

    # 1. init-db, users, token, bulk load -------------------------------------------------------
    app = create_app()
    with app.app_context():
        settings = app.config["SETTINGS"]
        migrate.upgrade(db.engine)
        sync_reference_data(db.session, settings)
        manager = create_user(db.session, "bench_manager", "manager", "bench-password",
                              display_name="bench", hash_method="pbkdf2:sha256:1000")
        _token, secret = create_token(db.session, "bench_manager", "ledger bench")
        for name in DISHES:
            db.session.add(Dish(name=name))
        db.session.commit()
        meal_end = {meal.code: meal.end for meal in settings.meals}
        loader = Loader(
            engine=db.engine,
            canteen_ids=[c.id for c in db.session.scalars(select(Canteen).order_by(Canteen.code))],
            meals=[(m.id, m.code, meal_end[m.code])
                   for m in db.session.scalars(select(Meal).order_by(Meal.position))],
            streams=[(s.id, s.code) for s in db.session.scalars(select(Stream).order_by(Stream.position))],
            dish_ids=list(db.session.scalars(select(Dish.id))), user_id=manager.id, zone=settings.zone)
        query_canteen_id = db.session.scalar(select(Canteen.id).where(Canteen.code == query_canteen))
        assert query_canteen_id is not None  # write_config made c01..cNN, query_canteen among them
        engine = db.engine

    load_1x = loader.load(base_first, base_last)
    checkpoint(engine)
    counts_1x = table_counts(engine)
    rows_1x = sum(counts_1x.values())
    say(f"\n[1] load 1x: {rows_1x:,} rows in {load_1x:.1f} s ({rows_1x / load_1x:,.0f} rows/s)")
    say("    " + ", ".join(f"{name} {count:,}" for name, count in counts_1x.items()))
    if stop.is_set():
        return 130

    # 2. servers and write rate ------------------------------------------------------------------
    canteen_port, bare_port = free_port(), free_port()
    servers.start("canteen", canteen_command() + ["serve", "--host", "127.0.0.1", "--port", str(canteen_port),
                                                  "--threads", str(args.threads)], env)
    servers.start("bare", [sys.executable, str(Path(__file__).resolve()),
                           "--serve-bare", str(work / "bare.db"),
                           "--port", str(bare_port), "--threads", str(args.threads)], env)
    servers.wait_ready("canteen", canteen_port)
    servers.wait_ready("bare", bare_port)

    auth = {"Authorization": f"Bearer {secret}", "Content-Type": "application/json"}
    other_canteens = [f"c{i:02d}" for i in range(1, args.canteens + 1) if f"c{i:02d}" != query_canteen] \
        or [query_canteen]
    meal_codes = [code for _id, code, _end in loader.meals]
    stream_codes = [code for _id, code in loader.streams]
    post_day = base_last.isoformat()  # outside the queried month and its comparison months
    rng = random.Random(7)
    serial = iter(range(10**9))

    def bodies(count: int) -> list[bytes]:
        """``count`` valid waste-entry JSON bodies with fresh client ids."""
        out = []
        for _ in range(count):
            n = next(serial)
            out.append(json.dumps({
                "canteen": other_canteens[n % len(other_canteens)], "date": post_day,
                "meal": meal_codes[n % len(meal_codes)], "stream": stream_codes[(n // 3) % len(stream_codes)],
                "weight": f"{rng.uniform(0.5, 40):.3f}", "unit": "kg",
                "client_id": f"bench-{n:09d}"}).encode())
        return out

    targets = {"canteen": (canteen_port, "/api/v1/waste-entries"), "bare": (bare_port, "/items")}
    totals = {name: LoadResult() for name in targets}
    for name, (port, path) in targets.items():  # warm-up, not counted
        post_all(port, path, bodies(args.client_threads * 10), auth, args.client_threads, stop)
    half = args.requests // 2
    for order in (("bare", "canteen"), ("canteen", "bare")):  # ABBA, so drift hits both alike
        for name in order:
            port, path = targets[name]
            part = post_all(port, path, bodies(half if order[0] == "bare" else args.requests - half),
                            auth, args.client_threads, stop)
            total = totals[name]
            total.ok += part.ok
            total.errors += part.errors
            total.seconds += part.seconds
            total.first_error = total.first_error or part.first_error
            if stop.is_set():
                return 130
    ratio_write = totals["canteen"].rate / totals["bare"].rate if totals["bare"].rate else float("nan")
    say(f"\n[2] POST, {args.requests} requests each, {args.client_threads} client threads, "
        f"keep-alive, server threads {args.threads}")
    for name, (_port, path) in targets.items():
        total = totals[name]
        say(f"    {name:<8} {path:<24} {total.rate:8.1f} req/s  ({total.ok} ok, {total.errors} errors"
            f"{', first: ' + total.first_error if total.first_error else ''})")
    say(f"    canteen/bare = {ratio_write:.2f}")

    # 3. ledger latency at 1x, grow history to 10x, again ----------------------------------------
    ledger_path = f"/api/v1/ledger?canteen={query_canteen}&month={query_month:%Y-%m}"
    get_headers = {"Authorization": f"Bearer {secret}"}
    lat_1x, body_1x = get_latencies(canteen_port, ledger_path, get_headers, args.gets, warmup=10)
    plan_1x = query_plan(engine, query_canteen_id, query_month)
    say(f"\n[3] GET {ledger_path}, {args.gets} sequential requests")
    say(f"    1x : median {statistics.median(lat_1x):6.1f} ms  p95 {percentile(lat_1x, 95):6.1f} ms  "
        f"(total_kg {body_1x['total_kg']})")
    say(f"    plan: {plan_1x}")
    if stop.is_set():
        return 130

    load_10x = loader.load(grow_first, grow_last)
    checkpoint(engine)
    counts_10x = table_counts(engine)
    rows_10x = sum(counts_10x.values())
    say(f"    grow: added {grow_first}..{grow_last} for the same {args.canteens} canteens "
        f"(history x{args.factor}: {args.months * args.factor} months): {rows_10x - rows_1x:,} rows in "
        f"{load_10x:.1f} s; now {rows_10x:,} rows ({rows_10x / rows_1x:.1f}x), "
        f"waste_entry {counts_10x['waste_entry']:,}, db {db_path.stat().st_size / 2**20:,.0f} MiB")
    lat_10x, body_10x = get_latencies(canteen_port, ledger_path, get_headers, args.gets, warmup=10)
    plan_10x = query_plan(engine, query_canteen_id, query_month)
    say(f"    {args.factor}x: median {statistics.median(lat_10x):6.1f} ms  "
        f"p95 {percentile(lat_10x, 95):6.1f} ms  "
        f"(total_kg {body_10x['total_kg']})")
    say(f"    plan: {plan_10x}")

    # Summary ------------------------------------------------------------------------------------
    med_ratio = statistics.median(lat_10x) / statistics.median(lat_1x)
    p95_ratio = percentile(lat_10x, 95) / percentile(lat_1x, 95)
    say("\nsummary")
    rows = [
        ("load 1x", f"{rows_1x:,} rows", f"{load_1x:.1f} s", f"{rows_1x / load_1x:,.0f} rows/s"),
        (f"load +{args.factor - 1}x history", f"{rows_10x - rows_1x:,} rows", f"{load_10x:.1f} s",
         f"{(rows_10x - rows_1x) / load_10x:,.0f} rows/s"),
        ("POST bare /items", f"{totals['bare'].rate:.1f} req/s", f"{totals['bare'].errors} err", ""),
        ("POST /api/v1/waste-entries", f"{totals['canteen'].rate:.1f} req/s",
         f"{totals['canteen'].errors} err",
         f"x{ratio_write:.2f} of bare"),
        ("GET ledger 1x", f"med {statistics.median(lat_1x):.1f} ms", f"p95 {percentile(lat_1x, 95):.1f} ms",
         f"{rows_1x:,} rows"),
        (f"GET ledger {args.factor}x", f"med {statistics.median(lat_10x):.1f} ms",
         f"p95 {percentile(lat_10x, 95):.1f} ms", f"{rows_10x:,} rows"),
        (f"GET {args.factor}x / 1x", f"med x{med_ratio:.2f}", f"p95 x{p95_ratio:.2f}", ""),
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    for row in rows:
        say("  " + "  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip())
    failed = totals["canteen"].errors + totals["bare"].errors
    if body_1x != body_10x:
        say("note: the ledger answer changed after the growth (expected only when the comparison months "
            "fall into the added history, as in --quick)")
    return 1 if failed else 0


def _interrupt(_signum: int, _frame: Any) -> None:
    raise KeyboardInterrupt  # SIGTERM cleans up like Ctrl-C


def main(argv: list[str] | None = None) -> int:
    """Parse the options, run the benchmark, always stop the servers and clean up."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="2 canteens, 3 months, fewer requests")
    parser.add_argument("--canteens", type=int, help="canteens c01..cNN (default 20; quick 2)")
    parser.add_argument("--months", type=int, help="months of base history (default 36; quick 3)")
    parser.add_argument("--factor", type=int, default=10,
                        help="grow the history to this many times (default 10)")
    parser.add_argument("--requests", type=int, help="POST requests per server (default 2000; quick 200)")
    parser.add_argument("--gets", type=int, help="ledger GETs per size (default 200; quick 30)")
    parser.add_argument("--client-threads", type=int, default=4)
    parser.add_argument("--threads", type=int, default=8, help="Waitress threads of both servers")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    parser.add_argument("--serve-bare", metavar="DB", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.serve_bare:
        serve_bare(args.serve_bare, args.port, args.threads)
        return 0

    defaults = (2, 3, 200, 30) if args.quick else (20, 36, 2000, 200)
    for name, value in zip(("canteens", "months", "requests", "gets"), defaults):
        if getattr(args, name) is None:
            setattr(args, name, value)
    if args.canteens < 1 or args.months < 1 or args.factor < 2 or args.requests < 2:
        parser.error("need at least 1 canteen, 1 month, factor 2 and 2 requests")

    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):  # also when started with SIGINT ignored (background)
        signal.signal(signum, _interrupt)
    work = Path(tempfile.mkdtemp(prefix="ledger-bench-"))
    servers = Servers(work)
    started = time.perf_counter()
    try:
        code = run(args, work, stop, servers)
    except KeyboardInterrupt:
        stop.set()
        say("\ninterrupted; stopping the servers")
        code = 130
    except RuntimeError as exc:
        stop.set()
        say(f"error: {exc}")
        code = 1
    finally:
        stop.set()
        servers.stop()
        if args.keep:
            say(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    say(f"done in {time.perf_counter() - started:.0f} s")
    return code


if __name__ == "__main__":
    sys.exit(main())
