"""Reviewer pages: the queue, one event with its evidence and decision form, evidence files, camera status."""
from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from canteen.camera_events.access import access_summary
from canteen.camera_events.models import CameraEvent
from canteen.camera_events.serve import available_kinds, serve_evidence
from canteen.camera_events.status import camera_rows
from canteen.config import AppConfig
from canteen.core.errors import FieldErrors, NotFound, ServiceError
from canteen.core.guard import require
from canteen.core.permissions import has_permission
from canteen.db import utcnow
from canteen.diners.services import diner_as_dict, search_diners
from canteen.extensions import db
from canteen.offences.models import Escalation
from canteen.reference.scope import user_canteens
from canteen.review.services import (QueueFilter, correct_review, current_offence, get_event, list_events,
                                     parse_filter, review_event, reviews_of)
from canteen.review.triage import confidence_level, dismiss_unchanged, system_close_hours

bp = Blueprint("review", __name__, url_prefix="/review")


def _settings() -> AppConfig:
    return current_app.config["SETTINGS"]


def _actor() -> Any:
    return current_user._get_current_object()


def _filter() -> QueueFilter:
    errors = FieldErrors()
    wanted = parse_filter(request.args, errors)
    if errors:
        # A bad filter in the URL shows the default queue with a message, not an error page.
        flash("; ".join(f"{field}: {text}" for field, text in errors.items()), "error")
        return QueueFilter()
    return wanted


def _filter_args(wanted: QueueFilter) -> dict[str, Any]:
    args = {"canteen": wanted.canteen, "camera": wanted.camera,
            "day": wanted.day.isoformat() if wanted.day else None}
    # The default status and change filter are left out, so the links of the plain queue stay plain.
    if wanted.status != "pending":
        args["status"] = wanted.status
    if wanted.change != "all":
        args["change"] = wanted.change
    return {key: value for key, value in args.items() if value}


def _neighbours(event: CameraEvent, wanted: QueueFilter) -> tuple[CameraEvent | None, CameraEvent | None]:
    """The pending events before (newer) and after (older) this one in the queue's order."""
    # Always the pending queue, whatever status the page filters on: the reviewer moves through what is left
    # to decide.
    queue = [item for item in list_events(db.session, _settings(), _actor(), QueueFilter(
        "pending", wanted.canteen, wanted.camera, wanted.day, wanted.change))]
    ids = [item.id for item in queue]
    if event.id not in ids:
        # An event no longer pending (just decided) leads to the newest one still waiting.
        return None, queue[0] if queue else None
    index = ids.index(event.id)
    return (queue[index - 1] if index > 0 else None), (queue[index + 1] if index + 1 < len(queue) else None)


@bp.route("/")
@require("camera.view")
def queue() -> Any:
    """Events to review (pending by default): lasting changes first, then by confidence, then newest;
    filterable by canteen, camera, day and lasting change."""
    wanted = _filter()
    events = list_events(db.session, _settings(), _actor(), wanted)
    cameras = sorted({camera.id for camera in _settings().cameras} |
                     set(db.session.scalars(select(CameraEvent.camera).distinct())))
    # Visits without a lasting change may be dismissed together; the others need a look each.
    bulk = [event for event in events if event.status == "pending" and not event.scene_changed]
    return render_template("review/queue.html", events=events, wanted=wanted, canteens=user_canteens(),
                           cameras=cameras, query=urlencode(_filter_args(wanted)), zone=_settings().zone,
                           bulk=bulk, can_review=has_permission(current_user, "camera.review"),
                           close_hours=_settings().offences.triage.close_unchanged_after_hours)


@bp.route("/dismiss-unchanged", methods=["POST"])
@require("camera.review")
def dismiss_unchanged_page() -> Any:
    """Dismiss the chosen visits without a lasting change as 'not a dump', one decision each."""
    wanted = _filter()
    try:
        result = dismiss_unchanged(db.session, _settings(), _actor(), request.form.getlist("event"),
                                   request.form.get("note", ""))
        db.session.commit()
    except ServiceError as error:
        db.session.rollback()
        flash(error.message + "".join(f" {text}" for text in error.fields.values()), "error")
        return redirect(url_for(".queue", **_filter_args(wanted)), 303)
    flash(_("%(count)s visit(s) recorded as not a dump.", count=len(result.dismissed)), "success")
    if result.already_decided:
        flash(_("%(count)s visit(s) had been decided by someone else meanwhile and were left as decided.",
                count=len(result.already_decided)), "warning")
    return redirect(url_for(".queue", **_filter_args(wanted)), 303)


def _render_event(event: CameraEvent, errors: dict[str, str] | None = None, form: Any = None,
                  status: int = 200) -> Any:
    wanted = _filter()
    newer, older = _neighbours(event, wanted)
    offence = current_offence(db.session, event)
    escalations = list(db.session.scalars(select(Escalation).where(Escalation.offence_id == offence.id)
                                          .order_by(Escalation.id))) if offence else []
    return render_template("review/event.html", event=event, reviews=reviews_of(db.session, event),
                           access=access_summary(db.session, event), kinds=available_kinds(event),
                           offence=offence, escalations=escalations, newer=newer, older=older,
                           errors=errors or {}, form=form or {}, query=urlencode(_filter_args(wanted)),
                           zone=_settings().zone,
                           can_review=has_permission(current_user, "camera.review")), status


@bp.route("/events/<event_uuid>")
@require("camera.view")
def event_page(event_uuid: str) -> Any:
    """One event: snapshot, before/after crops, clip, the decision form or the decisions so far."""
    try:
        event = get_event(db.session, _actor(), event_uuid)
    except NotFound:
        abort(404)
    return _render_event(event)


def _after_decision(event: CameraEvent) -> Any:
    wanted = _filter()
    _newer, older = _neighbours(event, wanted)
    pending = QueueFilter("pending", wanted.canteen, wanted.camera, wanted.day, wanted.change)
    remaining = list_events(db.session, _settings(), _actor(), pending, limit=1)
    # After the oldest pending event, start again from the newest one.
    following = older or (remaining[0] if remaining else None)
    if following is not None:
        return redirect(url_for(".event_page", event_uuid=following.uuid, **_filter_args(wanted)), 303)
    return redirect(url_for(".queue", **_filter_args(wanted)), 303)


def _service_failure(event_uuid: str, error: ServiceError) -> Any:
    db.session.rollback()
    if isinstance(error, NotFound):
        abort(404)
    flash(error.message, "error")
    event = get_event(db.session, _actor(), event_uuid)
    return _render_event(event, error.fields, request.form, error.status)


def _card_if_confirmed() -> str | None:
    """The form's card number; the other buttons share the form, so leftover search text is no error."""
    if request.form.get("decision") != "confirmed":
        return None
    return request.form.get("card_no") or None


@bp.route("/events/<event_uuid>/decide", methods=["POST"])
@require("camera.review")
def decide(event_uuid: str) -> Any:
    """Store the first decision, then open the next pending event."""
    data = {"decision": request.form.get("decision"), "card_no": _card_if_confirmed(),
            "note": request.form.get("note", "")}
    try:
        review = review_event(db.session, _settings(), _actor(), event_uuid, data)
        db.session.commit()
    except ServiceError as error:
        return _service_failure(event_uuid, error)
    flash(_("Decision saved: %(decision)s.", decision=decision_label(review.decision)), "success")
    before = db.session.get(CameraEvent, review.event_id)
    assert before is not None  # the event was just reviewed and committed
    return _after_decision(before)


@bp.route("/events/<event_uuid>/correct", methods=["POST"])
@require("camera.review")
def correct(event_uuid: str) -> Any:
    """Store a correction as a new revision with a reason."""
    data = {"decision": request.form.get("decision"), "card_no": _card_if_confirmed(),
            "note": request.form.get("note", ""), "reason": request.form.get("reason", "")}
    try:
        correct_review(db.session, _settings(), _actor(), event_uuid, data)
        db.session.commit()
    except ServiceError as error:
        return _service_failure(event_uuid, error)
    flash(_("Correction saved."), "success")
    return redirect(url_for(".event_page", event_uuid=event_uuid, **_filter_args(_filter())), 303)


@bp.route("/media/<event_uuid>/<kind>")
@require("camera.view")
def media(event_uuid: str, kind: str) -> Any:
    """An evidence file, only for roles that review (never from the static folder, never cached)."""
    try:
        event = get_event(db.session, _actor(), event_uuid)
    except NotFound:
        abort(404)
    return serve_evidence(db.session, _actor(), event, kind, "review")


@bp.route("/diner-search")
@require("camera.review")
def diner_search() -> Any:
    """Diners matching a card number or name, for the decision form's search box."""
    diners = search_diners(db.session, request.args.get("q", ""), limit=15)
    return jsonify({"diners": [diner_as_dict(diner) for diner in diners]})


@bp.route("/cameras")
@require("camera.view")
def cameras() -> Any:
    """Each camera's last frame time and state; an alert when one has been silent too long."""
    now = utcnow()
    rows = camera_rows(db.session, _settings(), _actor(), now)
    return render_template("review/cameras.html", rows=rows, zone=_settings().zone,
                           limit=_settings().offences.camera_silence_alert_minutes)


def change_label(scene_changed: bool) -> str:
    """The detector's verdict on the bin, in words."""
    return _("Bin changed") if scene_changed else _("Bin unchanged")


def confidence_label(value: float) -> str:
    """The detector's confidence in words (high, medium, low)."""
    return {"high": _("high"), "medium": _("medium"), "low": _("low")}[confidence_level(value)]


def review_author(review: Any) -> str:
    """Who made a decision: the person's name, or the system."""
    return review.created_by.name if review.created_by is not None else _("the system")


def review_reason(review: Any) -> str:
    """A decision's reason in words (the system's own reason in the reader's language)."""
    hours = system_close_hours(review)
    if hours is not None:
        return _("Closed by the system: the visit left no lasting change in the bin and nobody reviewed it "
                 "within %(hours)s hours.", hours=hours)
    return review.reason or ""


@bp.app_context_processor
def _triage_words() -> dict[str, Any]:
    return {"change_label": change_label, "confidence_label": confidence_label,
            "review_author": review_author, "review_reason": review_reason}


def decision_label(decision: str) -> str:
    """The translated name of a decision."""
    return {"confirmed": _("Confirmed dump"), "dismissed": _("Not a dump"),
            "unidentified": _("Dump, nobody identifiable"), "pending": _("Pending")}.get(decision, decision)


@bp.app_template_global()
def review_decision_label(decision: str) -> str:
    """Templates: the translated name of a decision or event status."""
    return decision_label(decision)


@bp.app_template_filter("cam_local")
def cam_local(value: Any, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """Templates: a UTC time shown in the canteens' time zone."""
    return value.astimezone(_settings().zone).strftime(fmt) if value else ""
