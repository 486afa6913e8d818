"""Two scheduler processes on one database (here: two apps, each with its own engine, in two threads)."""
from __future__ import annotations

import socket
import subprocess
import threading
import time
from collections import Counter
from contextlib import ExitStack
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from apscheduler.triggers.cron import CronTrigger
from flask import Flask
from sqlalchemy import select

from canteen.config import AppConfig
from canteen.extensions import db
from reports.jobs import JobContext, JobOutcome, JobSpec
from reports.models import JobRun, SchedulerStart
from reports.scheduler import catch_up, record_start, run_job, run_key
from tests.concurrency.conftest import ROUNDS, race
from tests.support import built_app

pytestmark = pytest.mark.isolated


class Probe:
    """A job that counts how often it ran for each due time, and takes long enough to overlap."""

    def __init__(self) -> None:
        self.runs: Counter[str] = Counter()
        self.lock = threading.Lock()

    def __call__(self, context: JobContext) -> JobOutcome:
        with self.lock:
            self.runs[context.due.isoformat()] += 1
        time.sleep(0.2)
        return JobOutcome("ok", "probed")

    def spec(self) -> JobSpec:
        """The probe as a daily job at 02:00."""
        return JobSpec("probe", "counts its runs", lambda s: CronTrigger(hour=2, minute=0, timezone=s.zone),
                       self)


@pytest.fixture
def two_schedulers(database_url: str, settings: AppConfig, tmp_path: Path) -> list[Flask]:
    """Two apps on the same database, each with its own engine and connection pool."""
    with ExitStack() as stack:
        yield [stack.enter_context(built_app(database_url, tmp_path / f"host{number}", settings, csrf=False))
               for number in range(2)]


def test_a_due_run_happens_once(two_schedulers: list[Flask]) -> None:
    probe = Probe()
    job = probe.spec()
    start = datetime(2021, 8, 1, 18, 0, tzinfo=timezone.utc)
    for round_no in range(ROUNDS):
        due = start + timedelta(days=round_no)
        race(*[(lambda app=app: run_job(app, job, due, "schedule", now=due)) for app in two_schedulers])
    # A scheduler started after the others were down catches up the missed day, also only once.
    missed = start + timedelta(days=ROUNDS)
    with two_schedulers[0].app_context():
        db.session.add(SchedulerStart(started_at=start - timedelta(days=1), host="a", pid=1))
        db.session.commit()
    race(*[(lambda app=app: catch_up(app, missed + timedelta(hours=1), [job])) for app in two_schedulers])
    with two_schedulers[0].app_context():
        recorded = Counter(db.session.scalars(select(JobRun.scheduled_for).where(JobRun.job_id == "probe",
                                                                                 JobRun.status == "ok")))
    twice = sum(1 for count in probe.runs.values() if count != 1)
    report = f"due times run more than once: {twice}/{ROUNDS + 1}; runs {sorted(probe.runs.values())}"
    assert twice == 0 and len(probe.runs) == ROUNDS + 1, report
    assert sorted(recorded.values()) == [1] * (ROUNDS + 1), report


def test_an_interrupted_run_is_taken_over_once_and_a_live_one_is_left(two_schedulers: list[Flask]) -> None:
    probe = Probe()
    job = probe.spec()
    due = datetime(2021, 8, 1, 18, 0, tzinfo=timezone.utc)
    finished = subprocess.Popen(["true"])
    finished.wait()
    app = two_schedulers[0]
    with app.app_context():
        session = db.session
        session.add(SchedulerStart(started_at=due - timedelta(days=1), host="a", pid=1))
        # This host's scheduler died while running the job; another host's is running a job right now.
        session.add(JobRun(job_id="probe", scheduled_for=due, trigger="schedule", started_at=due,
                           run_key=run_key(due, "schedule"), host=socket.gethostname()[:255],
                           pid=finished.pid))
        session.add(JobRun(job_id="other", trigger="schedule", started_at=datetime.now(timezone.utc),
                           run_key="now", host="elsewhere", pid=4242))
        session.commit()
    record_start(app)
    with app.app_context():
        assert dict(db.session.execute(select(JobRun.job_id, JobRun.status)).all()) == {
            "probe": "interrupted", "other": "running"}
    race(*[(lambda app=app: catch_up(app, due + timedelta(hours=1), [job])) for app in two_schedulers])
    assert list(probe.runs.values()) == [1]
    with app.app_context():
        rows = db.session.execute(select(JobRun.status, JobRun.run_key).where(JobRun.job_id == "probe")
                                  .order_by(JobRun.id)).all()
    # The interrupted attempt stays on record, without the claim; the new attempt holds it.
    assert [tuple(row) for row in rows] == [("interrupted", None), ("ok", run_key(due, "schedule"))]
