"""Ladder pages: approvals, warning/exposure/referral lists, one step with its actions, a diner's history."""
from __future__ import annotations

from io import BytesIO
from typing import Any

from flask import (Blueprint, abort, current_app, flash, jsonify, redirect, render_template, request,
                   send_file, url_for)
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from canteen.camera_events.access import access_summary
from canteen.camera_events.models import CameraEvent
from canteen.camera_events.serve import available_kinds, serve_evidence
from canteen.camera_events.services import visible_canteen_ids
from canteen.camera_events.storage import media_root
from canteen.config import AppConfig
from canteen.core.errors import NotFound, ServiceError
from canteen.core.guard import require
from canteen.core.permissions import has_permission
from canteen.db import utcnow
from canteen.diners.services import diner_by_card
from canteen.extensions import db
from canteen.offences.appeals import decide_appeal, file_appeal
from canteen.offences.escalations import (approve, get_escalation, record_letter_sent, record_warning, reject,
                                          status_words)
from canteen.offences.export import record_as_dict, record_zip
from canteen.offences.history import diner_record
from canteen.offences.ladder import confirmer_ids, on_board
from canteen.offences.letter import letter_offences, referral_letter_pdf
from canteen.offences.models import Escalation, Offence, RetentionLog

bp = Blueprint("offences", __name__, url_prefix="/offences")
LIST_LIMIT = 500


def _settings() -> AppConfig:
    return current_app.config["SETTINGS"]


def _actor() -> Any:
    return current_user._get_current_object()


def step_label(step: str | None) -> str:
    """The translated name of a ladder step."""
    return {"warning": _("Verbal warning"), "exposure": _("Public exposure"),
            "referral": _("Referral to the discipline body"), None: _("None"),
            "none": _("None")}.get(step, step or "")


def escalation_status_label(status: str) -> str:
    """The translated name of an escalation status."""
    return status_words(status)


def action_label(action: str) -> str:
    """The translated name of a line in an escalation's history."""
    return {"created": _("started"), "approved": _("approved"), "rejected": _("rejected"),
            "given": _("warning given"), "appealed": _("appeal entered"),
            "appeal_upheld": _("appeal: step upheld"),
            "appeal_annulled": _("appeal: offence annulled"), "superseded": _("superseded by a recount"),
            "withdrawn": _("withdrawn (decision corrected)"), "annulled": _("annulled on appeal"),
            "letter_sent": _("letter sent"), "left_board": _("left the board")}.get(action, action)


def appeal_status_label(status: str) -> str:
    """The translated name of an appeal's state."""
    return {"open": _("awaiting decision"), "upheld": _("step upheld"),
            "annulled": _("offence annulled")}.get(status, status)


@bp.app_template_global("action_label")
def _action_label_global(action: str) -> str:
    return action_label(action)


@bp.app_template_global("appeal_status_label")
def _appeal_label_global(status: str) -> str:
    return appeal_status_label(status)


@bp.app_template_global("step_label")
def _step_label_global(step: str | None) -> str:
    return step_label(step)


@bp.app_template_global("escalation_status_label")
def _status_label_global(status: str) -> str:
    return escalation_status_label(status)


def _escalations(step: str | None = None, statuses: tuple[str, ...] | None = None) -> list[Escalation]:
    # Only the user's canteens: a reviewer of one canteen must not see another's offences.
    statement = (select(Escalation).join(Offence, Offence.id == Escalation.offence_id)
                 .join(CameraEvent, CameraEvent.id == Offence.event_id)
                 .where(CameraEvent.canteen_id.in_(visible_canteen_ids(db.session, _actor()))))
    if step:
        statement = statement.where(Escalation.step == step)
    if statuses:
        statement = statement.where(Escalation.status.in_(statuses))
    return list(db.session.scalars(statement.order_by(Escalation.created_at.desc(), Escalation.id.desc())
                                   .limit(LIST_LIMIT)))


def _list_page(kind: str, title: str) -> Any:
    status = request.args.get("status") or None
    items = _escalations(kind, (status,) if status else None)
    return render_template("offences/list.html", kind=kind, title=title, items=items, status=status,
                           now=utcnow(), on_board=on_board)


@bp.route("/approvals")
@require("offences.approve")
def approvals() -> Any:
    """Steps beyond a warning that await a second person."""
    items = _escalations(statuses=("pending_approval",))
    # Marked so the page can say why this user may not decide them: they confirmed the event.
    mine = {item.id for item in items if _actor().id in confirmer_ids(db.session, item.offence.event_id)}
    return render_template("offences/approvals.html", items=items, mine=mine,
                           may_approve=_actor().role in _settings().offences.approver_roles)


@bp.route("/warnings")
@require("offences.view")
def warnings() -> Any:
    """Verbal warnings: to be given, given, and ended ones."""
    return _list_page("warning", _("Warnings"))


@bp.route("/exposures")
@require("offences.view")
def exposures() -> Any:
    """Public exposures: awaiting approval, on the board, expired or ended."""
    return _list_page("exposure", _("Exposures"))


@bp.route("/referrals")
@require("referrals.view")
def referrals() -> Any:
    """Referrals to the discipline body: awaiting approval, approved, letters sent."""
    return _list_page("referral", _("Referrals"))


def _load(escalation_id: int) -> Escalation:
    try:
        return get_escalation(db.session, _actor(), escalation_id)
    except ServiceError:
        # Any refusal is a 404, so a page does not reveal that a step outside the user's scope exists.
        abort(404)


def _sees_evidence(actor: Any) -> bool:
    """True when the person may open the raw evidence of the steps they can decide (the approvers)."""
    return has_permission(actor, "offences.evidence") and actor.role in _settings().offences.approver_roles


def _render_escalation(escalation: Escalation, errors: dict[str, str] | None = None,
                       status: int = 200) -> Any:
    actor = _actor()
    confirmers = confirmer_ids(db.session, escalation.offence.event_id)
    # The service's four-eyes rule, repeated so the page offers only the buttons that would succeed.
    may_decide = (has_permission(actor, "offences.approve")
                  and actor.role in _settings().offences.approver_roles and actor.id not in confirmers)
    event = escalation.offence.event
    evidence = _sees_evidence(actor)
    return render_template("offences/escalation.html", escalation=escalation, offence=escalation.offence,
                           evidence_kinds=available_kinds(event) if evidence else [],
                           access=access_summary(db.session, event) if evidence else None,
                           event=escalation.offence.event, diner=escalation.diner, errors=errors or {},
                           form=request.form, may_decide=may_decide, confirmed_by_me=actor.id in confirmers,
                           on_board=on_board(escalation, utcnow()),
                           today=utcnow().astimezone(_settings().zone)), status


@bp.route("/escalations/<int:escalation_id>")
@require("offences.view")
def escalation_page(escalation_id: int) -> Any:
    """One step: what triggered it, who decided what, and the actions still open."""
    return _render_escalation(_load(escalation_id))


def _act(escalation_id: int, action: Any, done: str) -> Any:
    escalation = _load(escalation_id)
    try:
        action(escalation)
        db.session.commit()
    except ServiceError as error:
        db.session.rollback()
        if isinstance(error, NotFound):
            abort(404)
        flash(error.message, "error")
        # Loaded again: the rollback expired the object read before it.
        return _render_escalation(_load(escalation_id), error.fields, error.status)
    flash(done, "success")
    # 303 sends the browser to the page with a GET, so a reload does not post the form again.
    return redirect(url_for(".escalation_page", escalation_id=escalation_id), 303)


@bp.route("/escalations/<int:escalation_id>/evidence/<kind>")
@require("offences.evidence")
def evidence_file(escalation_id: int, kind: str) -> Any:
    """An evidence file of the step's event, for the person deciding it (each opening is logged)."""
    if not _sees_evidence(_actor()):
        abort(403)
    escalation = _load(escalation_id)
    return serve_evidence(db.session, _actor(), escalation.offence.event, kind, "approval")


@bp.route("/escalations/<int:escalation_id>/approve", methods=["POST"])
@require("offences.approve")
def approve_page(escalation_id: int) -> Any:
    """Approve as the second person."""
    return _act(escalation_id, lambda item: approve(db.session, _settings(), _actor(), item.id,
                                                    request.form.get("note", "")), _("Approved."))


@bp.route("/escalations/<int:escalation_id>/reject", methods=["POST"])
@require("offences.approve")
def reject_page(escalation_id: int) -> Any:
    """Refuse as the second person, with a reason."""
    return _act(escalation_id, lambda item: reject(db.session, _settings(), _actor(), item.id,
                                                   request.form.get("reason", "")), _("Rejected."))


@bp.route("/escalations/<int:escalation_id>/warning", methods=["POST"])
@require("camera.review")
def warning_page(escalation_id: int) -> Any:
    """Record that the verbal warning was given, by whom and when."""
    return _act(escalation_id, lambda item: record_warning(db.session, _settings(), _actor(), item.id,
                                                           request.form.get("given_at") or None,
                                                           request.form.get("note", "")),
                _("Warning recorded."))


@bp.route("/escalations/<int:escalation_id>/letter-sent", methods=["POST"])
@require("offences.approve")
def letter_sent_page(escalation_id: int) -> Any:
    """Record when the referral letter was sent."""
    return _act(escalation_id, lambda item: record_letter_sent(db.session, _settings(), _actor(), item.id,
                                                               request.form.get("sent_on", ""),
                                                               request.form.get("note", "")),
                _("Sending recorded."))


@bp.route("/escalations/<int:escalation_id>/appeal", methods=["POST"])
@require("camera.review")
def appeal_page(escalation_id: int) -> Any:
    """Enter the diner's appeal; the step is suspended."""
    return _act(escalation_id, lambda item: file_appeal(db.session, _settings(), _actor(), item.id,
                                                        request.form.get("statement", ""),
                                                        request.form.get("received_on") or None),
                _("Appeal entered; the step is suspended until it is decided."))


@bp.route("/appeals/<int:appeal_id>/decide", methods=["POST"])
@require("offences.approve")
def decide_appeal_page(appeal_id: int) -> Any:
    """Uphold the step or annul the offence, with a reason."""
    from canteen.offences.models import Appeal

    appeal = db.session.get(Appeal, appeal_id)
    if appeal is None:
        abort(404)

    def _decide(_item: Escalation) -> Any:
        return decide_appeal(db.session, _settings(), _actor(), appeal_id, request.form.get("outcome"),
                             request.form.get("reason", ""))

    # The appeal's step page shows the outcome, or the errors next to the form.
    return _act(appeal.escalation_id, _decide, _("Appeal decided."))


@bp.route("/escalations/<int:escalation_id>/letter.pdf")
@require("referrals.view")
def letter_pdf(escalation_id: int) -> Any:
    """The referral letter as a PDF."""
    escalation = _load(escalation_id)
    # No draft letters: only an approved referral has one to print.
    if escalation.step != "referral" or escalation.status != "approved":
        abort(404)
    # The letter cites every offence that led to the referral, in whichever canteen; a reader limited to some
    # canteens may print it only when all of them are theirs.
    visible = set(visible_canteen_ids(db.session, _actor()))
    if any(item.offence.event.canteen_id not in visible
           for item in letter_offences(db.session, _settings(), escalation)):
        message = _("The letter cites offences in canteens outside your scope; the discipline office can "
                    "print it.")
        return render_template("error.html", code=403, title=_("Not allowed"), message=message), 403
    content = referral_letter_pdf(db.session, _settings(), escalation, media_root(current_app.instance_path))
    return send_file(BytesIO(content), mimetype="application/pdf", as_attachment=True,
                     download_name=f"referral-{escalation.diner.card_no}-{escalation.id}.pdf")


def _diner_or_404(card_no: str) -> Any:
    diner = diner_by_card(db.session, card_no)
    if diner is None:
        abort(404)
    return diner


def _scoped_record(card_no: str) -> Any:
    """The diner's record as far as the user's canteens go (a reviewer of one canteen sees only its part)."""
    return diner_record(db.session, _settings(), _diner_or_404(card_no),
                        canteen_ids=visible_canteen_ids(db.session, _actor()))


@bp.route("/diners/<card_no>")
@require("offences.view")
def diner_page(card_no: str) -> Any:
    """A diner's history: where they stand now, every offence, step, appeal and decision."""
    record = _scoped_record(card_no)
    return render_template("offences/diner.html", record=record, diner=record.diner, standing=record.standing)


@bp.route("/diners/<card_no>/export.json")
@require("diners.export")
def export_json(card_no: str) -> Any:
    """The diner's complete record as JSON (the data subject's right to see it)."""
    record = _scoped_record(card_no)
    response = jsonify(record_as_dict(record, _settings()))
    response.headers["Content-Disposition"] = f'attachment; filename="diner-{card_no}.json"'
    return response


@bp.route("/diners/<card_no>/export.zip")
@require("diners.export")
def export_zip(card_no: str) -> Any:
    """The diner's complete record as a ZIP: Excel, JSON and the evidence still kept."""
    record = _scoped_record(card_no)
    content = record_zip(record, _settings(), media_root(current_app.instance_path))
    return send_file(BytesIO(content), mimetype="application/zip", as_attachment=True,
                     download_name=f"diner-{card_no}.zip")


@bp.route("/retention")
@require("diners.export")
def retention_log() -> Any:
    """Every deletion made by the retention job."""
    rows = db.session.scalars(select(RetentionLog).order_by(RetentionLog.id.desc()).limit(LIST_LIMIT)).all()
    return render_template("offences/retention.html", rows=rows)
