"""Pages: the dashboard, the stored monthly reports and their files, and the scheduler's job runs."""
from __future__ import annotations

from collections import defaultdict
from datetime import date
from io import BytesIO
from typing import Any

from flask import Blueprint, abort, current_app, render_template, request, send_file, url_for
from flask_login import current_user
from sqlalchemy import select
from werkzeug.routing import BuildError

from canteen.audit.checks import chain_alert
from canteen.camera_events.status import camera_alerts
from canteen.config import AppConfig
from canteen.core.guard import require
from canteen.core.permissions import can_access_canteen, has_permission
from canteen.core.timeutil import local_now, month_start
from canteen.db import utcnow
from canteen.extensions import db
from canteen.reference.models import Canteen
from canteen.reference.scope import user_canteens
from canteen.reference.services import canteen_by_code
from canteen.reporting import dashboard as figures
from reports import sources
from reports.charts import chart_label
from reports.models import JobRun, ReportRun
from reports.storage import MONTH_PATTERN, TARGET_PATTERN, store_root, stored_file
from reports.trends import TREND_CHARTS, trend_chart

bp = Blueprint("reporting", __name__)


FORMATS = {"png": "image/png", "svg": "image/svg+xml"}


def _settings() -> AppConfig:
    return current_app.config["SETTINGS"]


def optional_url(endpoint: str, **values: Any) -> str | None:
    """The URL of another feature's page, or None when that feature is not installed."""
    try:
        return url_for(endpoint, **values)
    except BuildError:
        return None


def _sees_waste() -> bool:
    # Either permission shows the waste figures; other roles see only their own queues.
    return has_permission(current_user, "reports.view") or has_permission(current_user, "ledger.view")


def _sees_all(canteens: list[Canteen]) -> bool:
    """True when the user's scope covers every active canteen (the all-canteens report is theirs to see)."""
    # Compared by count: user_canteens() lists only active canteens, all within the user's scope.
    every = db.session.scalars(select(Canteen).where(Canteen.active.is_(True))).all()
    return len(canteens) == len(every)


def _may_see_target(target: str) -> bool:
    if target == "all":
        return _sees_all(user_canteens())
    canteen = canteen_by_code(db.session, target)
    return canteen is not None and can_access_canteen(current_user, canteen)


@bp.route("/dashboard")
def dashboard() -> Any:
    """This month so far, the trend charts, today's open meals, the evening checks and waiting queues."""
    settings = _settings()
    canteens = user_canteens()
    now = local_now(settings.zone)
    today = now.date()
    context: dict[str, Any] = {"canteens": canteens, "today": today, "now": now, "sees_waste": _sees_waste(),
                               "chart_names": TREND_CHARTS}
    if context["sees_waste"]:
        context["so_far"] = figures.month_so_far(db.session, settings, canteens)
        context["open_meals"] = figures.meals_open_today(db.session, settings, canteens)
        context["checks"] = [(check, figures.still_missing(db.session, check))
                             for check in figures.recent_checks(db.session, canteens, today)]
    if has_permission(current_user, "camera.view"):
        context["pending_events"] = figures.pending_camera_events(db.session, canteens)
        context["pending_changed"] = figures.pending_changed_events(db.session, canteens)
        context["review_url"] = optional_url("review.queue")
        context["changed_url"] = optional_url("review.queue", change="changed")
        # A camera without signal means dumps at its tray return go unrecorded: said where reviewers look.
        context["camera_alerts"] = camera_alerts(db.session, settings, current_user._get_current_object(),
                                                 utcnow())
        context["cameras_url"] = optional_url("review.cameras")
    if has_permission(current_user, "spotcheck.view"):
        context["open_rectifications"] = sources.open_rectification_count(
            db.session, settings, current_user, [canteen.id for canteen in canteens])
        endpoint = sources.rectifications_endpoint()
        context["rectifications_url"] = optional_url(endpoint) if endpoint else None
    if has_permission(current_user, "audit.alerts"):
        context["chain_alert"] = chain_alert(db.session, settings)
    context["meal_names"] = {meal.code: meal for meal in settings.meals}
    return render_template("reporting/dashboard.html", **context)


@bp.route("/dashboard/charts/<name>.<fmt>")
def dashboard_chart(name: str, fmt: str) -> Any:
    """A live trend chart for one canteen (``?canteen=``) or every canteen in the user's scope."""
    if not _sees_waste():
        abort(403)
    if name not in TREND_CHARTS or fmt not in FORMATS:
        abort(404)
    canteens = user_canteens()
    code = request.args.get("canteen")
    if code:
        canteens = [canteen for canteen in canteens if canteen.code == code]
        if not canteens:
            abort(404)
    settings = _settings()
    chart = trend_chart(db.session, settings, canteens, month_start(local_now(settings.zone).date()), name)
    content = chart.png() if fmt == "png" else chart.svg()
    # Drawn live on every request: free the figure as soon as its bytes exist.
    chart.figure.clear()
    response = send_file(BytesIO(content), mimetype=FORMATS[fmt], download_name=f"{name}.{fmt}",
                         as_attachment=request.args.get("download") == "1")
    # Private: the chart shows the user's own canteens; five minutes spare a redraw on every page view.
    response.headers["Cache-Control"] = "private, max-age=300"
    return response


def _stored_reports() -> list[tuple[date, list[ReportRun]]]:
    """The newest good run of each (month, target) the user may see and still on disk, newest month first."""
    runs = db.session.scalars(select(ReportRun).where(ReportRun.stored.is_(True), ReportRun.status == "ok")
                              .order_by(ReportRun.month.desc(), ReportRun.finished_at.desc())).all()
    root = store_root(current_app.instance_path)
    newest: dict[tuple[date, str], ReportRun] = {}
    for run in runs:
        # Runs come newest first, so the first one seen per (month, target) is the newest.
        newest.setdefault((run.month, run.target), run)
    allowed: dict[str, bool] = {}
    by_month: dict[date, list[ReportRun]] = defaultdict(list)
    for (month, target), run in newest.items():
        # One permission check per target, not one per month.
        if target not in allowed:
            allowed[target] = _may_see_target(target)
        # A run whose folder is no longer on disk is not listed.
        if allowed[target] and stored_file(root, month.strftime("%Y-%m"), target, "report.html"):
            by_month[month].append(run)
    for month_runs in by_month.values():
        month_runs.sort(key=lambda run: (run.target != "all", run.canteen_id or 0))
    return sorted(by_month.items(), key=lambda item: item[0], reverse=True)


@bp.route("/reports")
@require("reports.view")
def reports_page() -> Any:
    """The stored monthly reports the user may see, with their HTML, PDF and chart files."""
    return render_template("reporting/reports.html", months=_stored_reports(), zone=_settings().zone,
                           chart_label=chart_label)


@bp.route("/reports/<month>/<target>/<path:relative>")
@require("reports.view")
def report_file(month: str, target: str, relative: str) -> Any:
    """A stored report file: the page, the PDF, a chart (PNG or SVG) or the figures (JSON)."""
    if not MONTH_PATTERN.match(month) or not TARGET_PATTERN.match(target) or not _may_see_target(target):
        abort(404)
    path = stored_file(store_root(current_app.instance_path), month, target, relative)
    if path is None:
        abort(404)
    # Read at once: a re-run may swap the folder while a large PDF is being sent.
    return send_file(BytesIO(path.read_bytes()), as_attachment=request.args.get("download") == "1",
                     download_name=f"{month}-{target}-{path.name}", max_age=0)


@bp.route("/admin/jobs")
@require("jobs.view")
def job_runs() -> Any:
    """The scheduler's jobs with their next run, the latest job runs and the latest report runs."""
    from reports.jobs import all_jobs
    from reports.scheduler import next_run_times

    settings = _settings()
    runs = db.session.scalars(select(JobRun).order_by(JobRun.started_at.desc(), JobRun.id.desc())
                              .limit(200)).all()
    report_runs = db.session.scalars(select(ReportRun).order_by(ReportRun.started_at.desc(),
                                                                ReportRun.id.desc()).limit(50)).all()
    return render_template("reporting/jobs.html", jobs=all_jobs(), next_runs=next_run_times(settings),
                           runs=runs, report_runs=report_runs, zone=settings.zone)
