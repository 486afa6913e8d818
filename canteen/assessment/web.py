"""Assessment pages: a contractor's months, a month's sheet with deductions and proposals, the workflow."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from canteen.assessment import audit
from canteen.assessment.access import may_see_assessment, visible_assessment
from canteen.assessment.assessments import (EDITABLE, active_lines, add_line, amend, answer,
                                            consecutive_below, finalize, list_assessments, may_respond,
                                            open_assessment, resolve_code, respond, score_of, sheet_for,
                                            submit, withdraw_line)
from canteen.assessment.contractors import visible_contractors
from canteen.assessment.decisions import decide_proposal
from canteen.assessment.media import content_type_of, media_root, remove, resolve
from canteen.assessment.models import Assessment, AssessmentLine
from canteen.assessment.proposals import proposals_for
from canteen.assessment.scoring import points_text
from canteen.assessment.sheet import current_sheet_version, sheet_of
from canteen.auth.models import User
from canteen.config import AppConfig
from canteen.core.errors import NotFound, ServiceError
from canteen.core.guard import require
from canteen.core.permissions import has_permission
from canteen.core.timeutil import add_months, local_today, month_end, month_start
from canteen.extensions import db
from canteen.reference.scope import user_canteens
from canteen.assessment.spotchecks.models import SpotCheck

bp = Blueprint("assessment", __name__, url_prefix="/assessment")


# Who may open the evidence photos: the assessors, and the assessed caterer for its own months.
PHOTO_ROLES = frozenset({"admin", "assessor", "contractor"})


def settings() -> AppConfig:
    """The app's configuration."""
    return current_app.config["SETTINGS"]


def actor() -> User:
    """The logged-in user (the object, not the proxy, for the services)."""
    return current_user._get_current_object()


def status_label(status: str) -> str:
    """The translated name of a workflow status."""
    return {"draft": _("Draft"), "submitted": _("Submitted"), "disputed": _("Disputed"),
            "amending": _("Being amended"), "final": _("Final")}.get(status, status)


def action_label(action: str) -> str:
    """The translated name of an audit action."""
    # One table for every subject: the history of a contractor, a month or a check may show any action.
    return {"opened": _("opened the draft"), "line_added": _("added a line"),
            "line_withdrawn": _("withdrew a line"),
            "proposal_accepted": _("accepted a proposal"), "proposal_overridden": _("overrode a proposal"),
            "submitted": _("submitted"), "acknowledged": _("acknowledged"), "disputed": _("disputed"),
            "amending": _("started an amendment"), "answered": _("answered the dispute"),
            "finalized_without_response": _("made final (no response in time)"),
            "created": _("created"), "changed": _("changed"), "user_linked": _("linked a user"),
            "user_unlinked": _("unlinked a user"), "recorded": _("recorded the check"),
            "finding_added": _("added a finding"), "photo_added": _("added a photo"),
            "rectification_closed": _("closed a rectification"), "contractor_signed": _("signed (caterer)"),
            "contractor_disputed": _("disputed (caterer)"), "drawn": _("drew the slots")}.get(action, action)


def error_text(error: ServiceError) -> str:
    """A service error as one line: message and each field."""
    details = "; ".join(f"{key}: {text}" for key, text in error.fields.items())
    return f"{error.message} ({details})" if details else error.message


@bp.app_template_filter("assessment_points")
def _points_filter(value: Any) -> str:
    return points_text(value)


@bp.app_template_filter("assessment_yuan")
def _yuan_filter(fen: int) -> str:
    return f"{fen / 100:,.2f}"


# Globals (not context variables), so that imported macros see them too.
@bp.app_template_global("assessment_status_label")
def _status_label_global(status: str) -> str:
    return status_label(status)


@bp.app_template_global("assessment_action_label")
def _action_label_global(action: str) -> str:
    return action_label(action)


def year_arg() -> int:
    """The ?year= of the request, else this year."""
    # A bad ?year= only picks the page shown, so it falls back to this year instead of failing.
    try:
        year = int(request.args.get("year", ""))
        if 2000 <= year <= 2100:
            return year
    except ValueError:
        pass
    return local_today(settings().zone).year


@bp.route("/")
@require("assessment.view")
def index() -> Any:
    """A year of monthly assessments per contractor and canteen; assessors open drafts here."""
    user = actor()
    contractors = visible_contractors(db.session, user)
    year = year_arg()
    chosen = None
    if request.args.get("contractor"):
        chosen = next((item for item in contractors if str(item.id) == request.args["contractor"]), None)
        if chosen is None:
            abort(404)
    elif contractors:
        chosen = contractors[0]
    rows: dict[tuple[int, int], Assessment] = {}
    cards = {}
    if chosen is not None:
        for assessment in list_assessments(db.session, user, chosen.id, year):
            rows[(assessment.canteen_id, assessment.month.month)] = assessment
            cards[assessment.id] = score_of(assessment)
    canteens = [link.canteen for link in chosen.canteens if link.canteen in user_canteens()] if chosen else []
    today = local_today(settings().zone)
    # Last month by default: the one whose draft can be completed and submitted now.
    return render_template("assessment/index.html", contractors=contractors, contractor=chosen, year=year,
                           canteens=canteens, rows=rows, cards=cards, months=range(1, 13),
                           can_edit=has_permission(user, "assessment.edit"),
                           default_month=add_months(month_start(today), -1), errors={}, form={})


@bp.route("/open", methods=["POST"])
@require("assessment.edit")
def open_page() -> Any:
    """Open the draft of a contractor's month at a canteen."""
    try:
        assessment = open_assessment(db.session, settings(), actor(), request.form)
        db.session.commit()
    except ServiceError as error:
        db.session.rollback()
        flash(_("No draft was opened: %(error)s", error=error_text(error)), "error")
        return redirect(url_for(".index", contractor=request.form.get("contractor")))
    flash(_("Draft opened."), "success")
    return redirect(url_for(".detail", assessment_id=assessment.id))


def _history_rows(assessment: Assessment) -> list[dict[str, Any]]:
    return [{"entry": entry, "detail": audit.detail_of(entry)}
            for entry in audit.history(db.session, "assessment", assessment.id)]


def render_detail(assessment: Assessment, errors: dict[str, str] | None = None, form: Any = None,
                  status: int = 200) -> Any:
    """The month's sheet page, optionally with the errors of a refused form."""
    user = actor()
    sheet = sheet_for(assessment)
    card = score_of(assessment)
    can_edit = has_permission(user, "assessment.edit")
    editable = can_edit and assessment.status in EDITABLE
    # Proposals matter only while lines can change, and computing them reads a month of ledger.
    proposals = proposals_for(db.session, settings(), assessment) if can_edit and editable else []
    checks = db.session.scalars(select(SpotCheck).where(
        SpotCheck.canteen_id == assessment.canteen_id, SpotCheck.day >= assessment.month,
        SpotCheck.day <= month_end(assessment.month)).order_by(SpotCheck.day)).all()
    lines_by_rule: dict[str, list[AssessmentLine]] = {}
    for line in active_lines(assessment):
        lines_by_rule.setdefault(line.code, []).append(line)
    return render_template(
        "assessment/detail.html", assessment=assessment, sheet=sheet, card=card, lines_by_rule=lines_by_rule,
        withdrawn=[line for line in assessment.lines if not line.active], proposals=proposals, checks=checks,
        can_edit=can_edit, editable=editable,
        can_respond=may_respond(db.session, settings(), user, assessment),
        show_photos=user.role in PHOTO_ROLES, warning=consecutive_below(db.session, assessment),
        history=_history_rows(assessment), resolve_code=lambda code: resolve_code(sheet, code),
        errors=errors or {}, form=form or {}, today=local_today(settings().zone)), status


@bp.route("/<int:assessment_id>")
@require("assessment.view")
def detail(assessment_id: int) -> Any:
    """A month's sheet: items, deductions, total, grade, fee, proposals, workflow and history."""
    try:
        assessment = visible_assessment(db.session, actor(), assessment_id)
    except NotFound:
        abort(404)
    return render_detail(assessment)


# The page is rendered again with the errors rather than redirected, so the form keeps what was typed.
def _form_failed(assessment_id: int, error: ServiceError) -> Any:
    db.session.rollback()
    try:
        assessment = visible_assessment(db.session, actor(), assessment_id)
    except NotFound:
        abort(404)
    flash(_("Nothing was saved: %(error)s", error=error_text(error)), "error")
    return render_detail(assessment, error.fields, request.form, 422 if error.status == 422 else error.status)


@bp.route("/<int:assessment_id>/lines", methods=["POST"])
@require("assessment.edit")
def add_line_page(assessment_id: int) -> Any:
    """Apply a deduction, veto or bonus, with an optional photo as evidence."""
    upload = request.files.get("photo")
    photo = None
    if upload is not None and upload.filename:
        try:
            photo = upload.read()
        finally:
            upload.close()
    root = media_root(current_app.instance_path)
    line = None
    try:
        line = add_line(db.session, settings(), actor(), assessment_id, request.form, photo=photo,
                        media_root=root)
        db.session.commit()
    except ServiceError as error:
        return _form_failed(assessment_id, error)
    except Exception:
        db.session.rollback()
        # The photo file is written before the commit: remove it, or it would be an orphan on disk.
        remove(root, line.photo if line is not None else None)
        raise
    flash(_("Deduction applied."), "success")
    return redirect(url_for(".detail", assessment_id=assessment_id) + "#items")


@bp.route("/<int:assessment_id>/lines/<int:line_id>/withdraw", methods=["POST"])
@require("assessment.edit")
def withdraw_page(assessment_id: int, line_id: int) -> Any:
    """Withdraw a line with a reason."""
    try:
        withdraw_line(db.session, actor(), assessment_id, line_id, request.form.get("reason"))
        db.session.commit()
    except ServiceError as error:
        return _form_failed(assessment_id, error)
    flash(_("Deduction withdrawn; it stays on record."), "success")
    return redirect(url_for(".detail", assessment_id=assessment_id) + "#items")


@bp.route("/<int:assessment_id>/proposals", methods=["POST"])
@require("assessment.edit")
def decide_page(assessment_id: int) -> Any:
    """Accept a proposal from data, or override it with a count and a reason."""
    accept = request.form.get("decision") == "accept"
    try:
        decide_proposal(db.session, settings(), actor(), assessment_id, request.form.get("key"), accept,
                        request.form.get("count"), request.form.get("reason"))
        db.session.commit()
    except ServiceError as error:
        return _form_failed(assessment_id, error)
    flash(_("Proposal accepted.") if accept else _("Proposal overridden."), "success")
    return redirect(url_for(".detail", assessment_id=assessment_id) + "#proposals")


# Every workflow button posts to one route; the table keeps each step's permission next to its call.
WORKFLOW = {
    "submit": ("assessment.edit", lambda s, a, i, text: submit(db.session, s, a, i)),
    "amend": ("assessment.edit", lambda s, a, i, text: amend(db.session, s, a, i, text)),
    "answer": ("assessment.edit", lambda s, a, i, text: answer(db.session, s, a, i, text)),
    "finalize": ("assessment.edit", lambda s, a, i, text: finalize(db.session, s, a, i)),
    "acknowledge": ("assessment.respond",
                    lambda s, a, i, text: respond(db.session, s, a, i, "acknowledge", text)),
    "dispute": ("assessment.respond", lambda s, a, i, text: respond(db.session, s, a, i, "dispute", text)),
}


def done_message(action: str) -> str:
    """What the page says after a workflow step."""
    return {"submit": _("Submitted to the caterer."),
            "amend": _("Amendment started: change the lines, then submit or answer."),
            "answer": _("Answer recorded; the month is final."), "finalize": _("The month is final."),
            "acknowledge": _("Acknowledged; the month is final."),
            "dispute": _("Dispute sent to the assessor.")}[action]


@bp.route("/<int:assessment_id>/action", methods=["POST"])
@require("assessment.view")
def action_page(assessment_id: int) -> Any:
    """A workflow step: submit, amend, answer, finalize (assessors); acknowledge or dispute (the caterer)."""
    action = request.form.get("action", "")
    if action not in WORKFLOW:
        abort(400)
    permission, step = WORKFLOW[action]
    # The route itself only needs assessment.view, so each step's own permission is checked here.
    if not has_permission(actor(), permission):
        abort(403)
    try:
        step(settings(), actor(), assessment_id, request.form.get("text"))
        db.session.commit()
    except NotFound:
        abort(404)
    except ServiceError as error:
        return _form_failed(assessment_id, error)
    flash(done_message(action), "success")
    return redirect(url_for(".detail", assessment_id=assessment_id))


@bp.route("/lines/<int:line_id>/photo")
@require("assessment.view")
def line_photo(line_id: int) -> Any:
    """The photo cited by a deduction: for the assessors and the assessed caterer only."""
    user = actor()
    line = db.session.get(AssessmentLine, line_id)
    # 404 before 403: who may not see the month must not learn that the line or its photo exists.
    if line is None or not line.photo or not may_see_assessment(db.session, user, line.assessment):
        abort(404)
    if user.role not in PHOTO_ROLES:
        abort(403)
    path = resolve(media_root(current_app.instance_path), line.photo)
    if path is None:
        abort(404)
    return send_file(path, mimetype=content_type_of(line.photo), max_age=0)


@bp.route("/template")
@require("assessment.view")
def template_page() -> Any:
    """The sheet in force and its version."""
    version = current_sheet_version(db.session, settings())
    # Showing the sheet may store it as a new version: commit, so the number shown is the number kept.
    db.session.commit()
    return render_template("assessment/template.html", version=version, sheet=sheet_of(version),
                           settings=settings().assessment)
