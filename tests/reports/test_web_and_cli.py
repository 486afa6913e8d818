"""The report command, the reports page and its files by role and scope, the dashboard, the job page."""
from __future__ import annotations

import io
import re
import uuid
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from pypdf import PdfReader
from sqlalchemy import select
from sqlalchemy.orm import Session

from canteen.auth.models import User
from canteen.camera_events.models import CameraEvent
from canteen.config import AppConfig
from canteen.core.timeutil import add_months, local_today
from canteen.extensions import db
from canteen.reference.models import Canteen
from reports.models import MissingEntryCheck, ReportRun
from reports.service import produce_report, report_targets

AUGUST = date(2021, 8, 1)


@pytest.mark.render
def test_report_command_writes_one_canteen_under_out(runner: FlaskCliRunner, weigh: Callable[..., None],
                                                     tmp_path: Path, session: Session) -> None:
    weigh("2021-07-05", "lunch", plate=20, diners=300)
    weigh("2021-08-05", "lunch", plate=15, diners=300)
    result = runner.invoke(args=["report", "monthly", "--month", "2021-08", "--canteen", "zonghe",
                                 "--out", str(tmp_path), "--lang", "en"])
    assert result.exit_code == 0, result.output
    folder = tmp_path / "2021-08" / "zonghe"
    assert f"wrote {folder}" in result.output
    pdf = PdfReader(io.BytesIO((folder / "report.pdf").read_bytes()))
    text = " ".join(" ".join(page.extract_text().split()) for page in pdf.pages)
    assert "15.0 kg" in text and "month over month: down 5.0 kg (-25.0%)" in text
    html = (folder / "report.html").read_text(encoding="utf-8")
    # A month with gaps says so plainly.
    assert re.search(r"\d+ served meal\(s\) this month have no food-waste entry", html)
    run = session.scalar(select(ReportRun))
    assert (run.target, run.trigger, run.stored, run.status) == ("zonghe", "cli", False, "ok")


@pytest.mark.parametrize(("args", "message"), [
    (["--month", "2021-13"], "error: month: expected YYYY-MM"),
    (["--month", "2021-08", "--canteen", "nope"], "error: canteen: unknown canteen 'nope'"),
    (["--month", "2021-08", "--canteen", "zonghe", "--each"], "error: canteen: --canteen and --each"),
])
def test_report_command_names_the_bad_option(runner: FlaskCliRunner, tmp_path: Path, args: list[str],
                                             message: str) -> None:
    out = tmp_path / "out"
    result = runner.invoke(args=["report", "monthly", *args, "--out", str(out)])
    assert result.exit_code == 1
    assert message in result.output
    assert not out.exists()


@pytest.fixture
def stored_reports(app: Flask, settings: AppConfig) -> list[ReportRun]:
    """The August 2021 reports (all, zonghe, badajie) in the app's report store, on an empty ledger;
    badajie's with the optional SVG copies of its charts."""
    with_svg = settings.model_copy(
        update={"reports": settings.reports.model_copy(update={"chart_svg": True})})
    with app.app_context():
        root = Path(app.instance_path) / "reports"
        runs = [produce_report(db.session, with_svg if canteen and canteen.code == "badajie" else settings,
                               AUGUST, canteen, root, trigger="scheduler")
                for canteen in report_targets(db.session, AUGUST, each=True)]
        db.session.commit()
    assert [run.status for run in runs] == ["ok", "ok", "ok"]
    return runs


def _targets(page: bytes) -> list[str]:
    return re.findall(r'data-target="([a-z_-]+)"', page.decode())


@pytest.mark.render
def test_reports_page_lists_what_each_role_may_see(stored_reports: list[ReportRun], client: FlaskClient,
                                                   login: Callable[[User], FlaskClient],
                                                   make_user: Callable[..., User]) -> None:
    login(make_user("viewer"))
    page = client.get("/reports")
    assert page.status_code == 200
    assert _targets(page.data) == ["all", "zonghe", "badajie"]
    html = client.get("/reports/2021-08/all/report.html")
    assert html.status_code == 200 and b'id="mom-line"' in html.data
    pdf = client.get("/reports/2021-08/zonghe/report.pdf?download=1")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    assert "attachment" in pdf.headers["Content-Disposition"]
    svg = client.get("/reports/2021-08/badajie/charts/monthly_totals.svg")
    assert svg.status_code == 200 and svg.mimetype == "image/svg+xml"
    assert client.get("/reports/2021-08/badajie/charts/monthly_totals.png").data.startswith(b"\x89PNG")
    # The SVG link is offered only where the report wrote SVG copies.
    assert client.get("/reports/2021-08/zonghe/charts/monthly_totals.svg").status_code == 404
    linked = re.findall(r"/reports/2021-08/([a-z]+)/charts/monthly_totals\.svg", page.data.decode())
    assert linked == ["badajie"]
    for bad in ("/reports/2021-08/zonghe/../all/report.html", "/reports/2021-08/zonghe/secret_key",
                "/reports/2021-8/zonghe/report.html", "/reports/2021-07/zonghe/report.html"):
        assert client.get(bad).status_code == 404, bad


def test_a_scoped_manager_sees_only_their_canteen(stored_reports: list[ReportRun], client: FlaskClient,
                                                  login: Callable[[User], FlaskClient],
                                                  make_user: Callable[..., User]) -> None:
    login(make_user("manager", canteens=["badajie"]))
    assert _targets(client.get("/reports").data) == ["badajie"]
    assert client.get("/reports/2021-08/badajie/report.html").status_code == 200
    assert client.get("/reports/2021-08/zonghe/report.html").status_code == 404
    assert client.get("/reports/2021-08/all/report.pdf").status_code == 404


@pytest.mark.render
def test_roles_without_reports_get_403(stored_reports: list[ReportRun], client: FlaskClient,
                                       login: Callable[[User], FlaskClient],
                                       make_user: Callable[..., User]) -> None:
    login(make_user("reviewer"))
    assert client.get("/reports").status_code == 403
    assert client.get("/reports/2021-08/all/report.html").status_code == 403
    assert client.get("/admin/jobs").status_code == 403
    assert client.get("/dashboard/charts/monthly_totals.png").status_code == 403


def test_pages_need_a_login(client: FlaskClient) -> None:
    for path in ("/dashboard", "/reports", "/admin/jobs", "/reports/2021-08/all/report.pdf",
                 "/dashboard/charts/monthly_totals.png"):
        response = client.get(path)
        assert response.status_code == 302 and "/login" in response.headers["Location"], path


def test_job_runs_page_for_admins(app: Flask, client: FlaskClient, login: Callable[[User], FlaskClient],
                                  make_user: Callable[..., User], runner: FlaskCliRunner) -> None:
    assert runner.invoke(args=["scheduler", "--run-now", "missing-entries"]).exit_code == 0
    login(make_user("manager"))
    assert client.get("/admin/jobs").status_code == 403
    client.post("/logout")
    login(make_user("admin"))
    page = client.get("/admin/jobs")
    assert page.status_code == 200
    html = page.data.decode()
    assert 'data-job="monthly-reports"' in html and 'data-job="sqlite-backup"' in html
    assert re.search(r'<tr data-job="missing-entries" data-status="ok">', html)


def _event(session: Session, canteen: Canteen, user: User, status: str) -> None:
    now = datetime.now(timezone.utc)
    session.add(CameraEvent(uuid=str(uuid.uuid4()), camera="cam1", canteen_id=canteen.id, started_at=now,
                            ended_at=now, start_s=0, end_s=1, peak_activity=1, activity_integral=1,
                            scene_changed=True, changed_fraction=0.1, confidence=0.9, end_reason="still",
                            status=status, media_dir="x", received_by_id=user.id))


def test_dashboard_compares_this_month_so_far(app: Flask, client: FlaskClient, session: Session,
                                              settings: AppConfig, weigh: Callable[..., None], admin: User,
                                              login: Callable[[User], FlaskClient]) -> None:
    today = local_today(settings.zone)
    first = today.replace(day=1)
    weigh(first, "lunch", plate=30)
    weigh(add_months(first, -1), "lunch", plate=40)
    weigh(add_months(first, -1) + timedelta(days=27), "lunch", plate=99)  # counts only within the same days
    canteens = {row.code: row for row in session.scalars(select(Canteen))}
    _event(session, canteens["zonghe"], admin, "pending")
    _event(session, canteens["badajie"], admin, "confirmed")
    session.add(MissingEntryCheck(canteen_id=canteens["badajie"].id, day=today - timedelta(days=1),
                                  missing_meals=["lunch"]))
    session.commit()
    login(admin)
    page = client.get("/dashboard")
    assert page.status_code == 200
    html = page.data.decode()
    row = re.search(r'<tr data-canteen="zonghe">(.*?)</tr>', html, re.S).group(1)
    expected_previous = 40.0 + (99.0 if today.day >= 28 else 0.0)
    assert re.search(r'class="so-far-this">30.0<', row)
    assert f"<td>{expected_previous:.1f}</td>" in row
    assert 'id="pending-count">1<' in html
    assert "/review/" in html or 'id="pending-events"' in html
    assert f'data-day="{(today - timedelta(days=1)).isoformat()}" data-canteen="badajie"' in html
    assert 'id="chart-monthly_totals"' in html and 'id="chart-plate_per_diner"' in html
    chart = client.get("/dashboard/charts/monthly_totals.png?canteen=zonghe")
    assert chart.status_code == 200 and chart.data.startswith(b"\x89PNG")
    svg = client.get("/dashboard/charts/plate_per_diner.svg")
    assert svg.status_code == 200 and b"<svg" in svg.data
    assert client.get("/dashboard/charts/monthly_totals.png?canteen=nope").status_code == 404
    assert client.get("/dashboard/charts/secret.png").status_code == 404


def test_dashboard_shows_each_role_only_its_part(client: FlaskClient, login: Callable[[User], FlaskClient],
                                                 make_user: Callable[..., User]) -> None:
    login(make_user("reviewer"))
    html = client.get("/dashboard").data.decode()
    assert 'id="pending-events"' in html and 'id="so-far"' not in html and 'id="open-meals"' not in html
    client.post("/logout")
    login(make_user("discipline"))
    html = client.get("/dashboard").data.decode()
    assert 'id="so-far"' in html and 'id="pending-events"' not in html
    client.post("/logout")
    login(make_user("contractor"))
    html = client.get("/dashboard").data.decode()
    assert 'id="so-far"' in html and 'id="pending-events"' not in html
