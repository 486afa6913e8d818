"""Spot-check pages: the month's draw and records, the record form, a record, rectifications."""
from __future__ import annotations

import json
from datetime import date
from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from canteen.assessment import audit
from canteen.assessment.access import own_contractor
from canteen.assessment.media import media_root, remove, resolve
from canteen.assessment.sheet import current_sheet_version, sheet_of
from canteen.auth.models import User
from canteen.config import AppConfig
from canteen.core.errors import NotFound, ServiceError
from canteen.core.guard import require
from canteen.core.permissions import has_permission
from canteen.core.timeutil import local_today, month_end, month_start, parse_month
from canteen.core.validation import as_id
from canteen.extensions import db
from canteen.reference.models import Canteen
from canteen.reference.scope import user_canteens
from canteen.assessment.spotchecks.draw import draw_month, seed_visible, slot_visible, verify_draw
from canteen.assessment.spotchecks.models import (CHECK_KINDS, SpotCheck, SpotCheckDraw, SpotCheckFinding,
                                                  SpotCheckPhoto, SpotCheckSlot)
from canteen.assessment.spotchecks.services import (add_finding, add_photo, is_overdue, list_checks,
                                                    record_check, rectifications, respond_to_check,
                                                    reweigh_comparison, visible_check)

bp = Blueprint("spotchecks", __name__, url_prefix="/spot-checks")


# Empty finding rows on the record form; more findings can be added to the record afterwards.
FINDING_ROWS = 3


def _settings() -> AppConfig:
    return current_app.config["SETTINGS"]


def _actor() -> User:
    return current_user._get_current_object()


def _error_text(error: ServiceError) -> str:
    details = "; ".join(f"{key}: {text}" for key, text in error.fields.items())
    return f"{error.message} ({details})" if details else error.message


def _canteens() -> list[Canteen]:
    """The canteens the user may pick: in scope, and for a caterer only those it serves."""
    canteens = user_canteens()
    contractor = own_contractor(db.session, _actor())
    # A caterer's scope is its contract, not the canteen list of its account.
    if _actor().role == "contractor":
        served = {link.canteen_id for link in contractor.canteens} if contractor else set()
        canteens = [canteen for canteen in canteens if canteen.id in served]
    return canteens


def _canteen_arg(canteens: list[Canteen]) -> Canteen | None:
    code = request.values.get("canteen")
    if not code:
        return canteens[0] if canteens else None
    canteen = next((item for item in canteens if item.code == code), None)
    if canteen is None:
        abort(404)
    return canteen


def _month_arg() -> date:
    # A missing or malformed ?month= shows the current month rather than an error page.
    try:
        return parse_month(request.values.get("month", ""))
    except ValueError:
        return month_start(local_today(_settings().zone))


@bp.route("/")
@require("spotcheck.view")
def index() -> Any:
    """A canteen-month: its recorded draw (future slots hidden from the caterer) and its check records."""
    canteens = _canteens()
    canteen = _canteen_arg(canteens)
    month = _month_arg()
    draw, slots, checks = None, [], []
    if canteen is not None:
        draw = db.session.scalar(select(SpotCheckDraw).where(SpotCheckDraw.canteen_id == canteen.id,
                                                             SpotCheckDraw.month == month))
        checks = list_checks(db.session, _actor(), canteen, month, month_end(month))
        by_slot = {check.slot_id: check for check in checks if check.slot_id}
        if draw is not None:
            slots = [(slot, by_slot.get(slot.id)) for slot in draw.slots
                     if slot_visible(_actor(), slot, _settings(), slot.id in by_slot)]
    flagged = {check.id: any(row.beyond for row in reweigh_comparison(db.session, _settings(), check))
               for check in checks}
    return render_template(
        "spotchecks/index.html", canteens=canteens, canteen=canteen, month=month, draw=draw, slots=slots,
        checks=checks, flagged=flagged, can_edit=has_permission(_actor(), "spotcheck.edit"),
        show_seed=draw is not None and seed_visible(_actor(), draw, _settings()),
        # The seed is replayed on every view, so a stored slot that was changed shows at once.
        verified=draw is not None and verify_draw(_settings(), draw),
        # The caterer is told how many slots are hidden, not which.
        hidden=len(draw.slots) - len(slots) if draw is not None else 0,
        meals={meal.code: meal for meal in _settings().meals})


@bp.route("/draw", methods=["POST"])
@require("spotcheck.edit")
def draw_page() -> Any:
    """Draw the month's check slots (the seed is recorded)."""
    try:
        draw_month(db.session, _settings(), _actor(), {"canteen": request.form.get("canteen"),
                                                       "month": request.form.get("month"),
                                                       "seed": request.form.get("seed")})
        db.session.commit()
        flash(_("Slots drawn."), "success")
    except ServiceError as error:
        db.session.rollback()
        flash(_("Nothing was drawn: %(error)s", error=_error_text(error)), "error")
    return redirect(url_for(".index", canteen=request.form.get("canteen"), month=request.form.get("month")))


def _record_data(form: MultiDict[str, str], sheet: Any) -> dict[str, Any]:
    """The service's shape from the record form."""
    settings = _settings()
    unit = form.get("unit", "kg")
    return {
        "canteen": form.get("canteen"), "date": form.get("date"), "meal": form.get("meal"),
        "kind": form.get("kind") or "drawn", "slot": form.get("slot") or None, "summary": form.get("summary"),
        "checklist": {item.code: form[f"cl-{item.code}"] for item in sheet.items
                      if form.get(f"cl-{item.code}")},
        "reweighs": [{"stream": stream.code, "weight": form.get(f"rw-{stream.code}"), "unit": unit}
                     for stream in settings.streams if (form.get(f"rw-{stream.code}") or "").strip()],
        "findings": [{"rule": form.get(f"f{index}-rule"), "count": form.get(f"f{index}-count") or 1,
                      "note": form.get(f"f{index}-note"), "rectify": bool(form.get(f"f{index}-rectify")),
                      "rectify_by": form.get(f"f{index}-rectify_by") or None}
                     for index in range(FINDING_ROWS) if form.get(f"f{index}-rule")],
        # Each ticked "close-<finding id>" box closes that rectification; its note field carries the same id.
        "closes": [{"finding": key[6:], "note": form.get(f"close-note-{key[6:]}", "")}
                   for key in form if key.startswith("close-") and key[6:].isdigit()],
    }


@bp.route("/new", methods=["GET", "POST"])
@require("spotcheck.edit")
def new_page() -> Any:
    """Record a check: a drawn slot, a follow-up of rectifications, or an ad-hoc visit."""
    settings = _settings()
    sheet = sheet_of(current_sheet_version(db.session, settings))
    canteens = _canteens()
    slot = None
    if request.values.get("slot"):
        # A tampered id (text, beyond the database's integer range) is as unknown as a missing slot.
        slot_id = as_id(request.values["slot"])
        slot = db.session.get(SpotCheckSlot, slot_id) if slot_id is not None else None
        # A slot of a canteen outside the user's scope is as unknown as a missing one.
        if slot is None or slot.draw.canteen not in canteens:
            abort(404)
    canteen = slot.draw.canteen if slot else _canteen_arg(canteens)
    if canteen is None:
        abort(404)
    status, errors = 200, {}
    if request.method == "POST":
        try:
            check = record_check(db.session, settings, _actor(), _record_data(request.form, sheet))
            db.session.commit()
            flash(_("Check recorded."), "success")
            return redirect(url_for(".detail", check_id=check.id))
        except ServiceError as error:
            db.session.rollback()
            errors, status = error.fields, 422 if error.status == 422 else error.status
            flash(_("Nothing was saved: %(error)s", error=_error_text(error)), "error")
    open_findings = [finding for finding in rectifications(db.session, settings, _actor(), "open")
                     if finding.check.canteen_id == canteen.id]
    # Without a drawn slot the visit is ad hoc unless the link asks for a follow-up.
    kind = request.values.get("kind") or ("drawn" if slot else "ad_hoc")
    if kind not in CHECK_KINDS:
        abort(404)
    defaults = {"date": slot.day.isoformat() if slot else local_today(settings.zone).isoformat(),
                "meal": slot.meal_code if slot else "lunch"}
    canteen_config = settings.canteen(canteen.code)
    meals = settings.meals_of(canteen_config) if canteen_config else settings.meals
    return render_template("spotchecks/new.html", canteen=canteen, canteens=canteens, slot=slot, kind=kind,
                           sheet=sheet, settings=settings, form=request.form, defaults=defaults,
                           errors=errors, open_findings=open_findings, finding_rows=range(FINDING_ROWS),
                           meals=meals), status


def _detail_context(check: SpotCheck) -> dict[str, Any]:
    settings = _settings()
    # The check's own sheet version: its checklist and findings use that version's codes.
    sheet = sheet_of(check.sheet_version)
    return {"check": check, "sheet": sheet, "checklist": json.loads(check.checklist or "{}"),
            "reweighs": reweigh_comparison(db.session, settings, check),
            "tolerance": settings.assessment.spot_checks.reweigh_tolerance_pct,
            "can_edit": has_permission(_actor(), "spotcheck.edit"),
            "can_respond": (has_permission(_actor(), "assessment.respond")
                            and check.contractor_response is None),
            "overdue": {finding.id: is_overdue(finding, settings) for finding in check.findings},
            "closes": db.session.scalars(select(SpotCheckFinding).where(
                SpotCheckFinding.closed_by_check_id == check.id)).all(),
            "history": [{"entry": entry, "detail": audit.detail_of(entry)}
                        for entry in audit.history(db.session, "spot_check", check.id)],
            "streams": {stream.code: stream for stream in settings.streams},
            "meals": {meal.code: meal for meal in settings.meals}, "errors": {}}


@bp.route("/<int:check_id>")
@require("spotcheck.view")
def detail(check_id: int) -> Any:
    """A check record: checklist, re-weighs against the ledger, findings and rectification, photos."""
    try:
        check = visible_check(db.session, _actor(), check_id)
    except NotFound:
        abort(404)
    return render_template("spotchecks/detail.html", **_detail_context(check))


# Runs one change of a record; a refused change shows the record again with the errors (no redirect).
def _after(check_id: int, call: Any, done: str) -> Any:
    try:
        call()
        db.session.commit()
        flash(done, "success")
    except NotFound:
        db.session.rollback()
        abort(404)
    except ServiceError as error:
        db.session.rollback()
        flash(_("Nothing was saved: %(error)s", error=_error_text(error)), "error")
        try:
            check = visible_check(db.session, _actor(), check_id)
        except NotFound:
            abort(404)
        context = _detail_context(check)
        context["errors"] = error.fields
        return (render_template("spotchecks/detail.html", **context),
                422 if error.status == 422 else error.status)
    return redirect(url_for(".detail", check_id=check_id))


@bp.route("/<int:check_id>/findings", methods=["POST"])
@require("spotcheck.edit")
def finding_page(check_id: int) -> Any:
    """Add a finding to a recorded check."""
    form = request.form
    data = {"rule": form.get("rule"), "count": form.get("count") or 1, "note": form.get("note"),
            "rectify": bool(form.get("rectify")), "rectify_by": form.get("rectify_by") or None}
    return _after(check_id, lambda: add_finding(db.session, _settings(), _actor(), check_id, data),
                  _("Finding added."))


@bp.route("/<int:check_id>/photos", methods=["POST"])
@require("spotcheck.edit")
def photo_upload(check_id: int) -> Any:
    """Attach a photo to a check."""
    upload = request.files.get("photo")
    data = b""
    if upload is not None:
        try:
            data = upload.read()
        finally:
            upload.close()
    root = media_root(current_app.instance_path)
    stored: list[str] = []

    def _store() -> None:
        added = add_photo(db.session, _actor(), check_id, data, root, request.form.get("caption"))
        stored.append(added.filename)

    try:
        return _after(check_id, _store, _("Photo added."))
    # The file is written before the commit: when anything after it fails, remove it so no orphan stays.
    except Exception:
        for name in stored:
            remove(root, name)
        raise


@bp.route("/<int:check_id>/photos/<int:photo_id>")
@require("spotcheck.view")
def photo(check_id: int, photo_id: int) -> Any:
    """A check's photo, for those who may see the check."""
    try:
        visible_check(db.session, _actor(), check_id)
    except NotFound:
        abort(404)
    row = db.session.get(SpotCheckPhoto, photo_id)
    # The photo must belong to the check in the URL, the one whose visibility was just checked.
    path = (resolve(media_root(current_app.instance_path), row.filename) if row and row.check_id == check_id
            else None)
    if path is None or row is None:
        abort(404)
    return send_file(path, mimetype=row.content_type, max_age=0)


@bp.route("/<int:check_id>/respond", methods=["POST"])
@require("assessment.respond")
def respond_page(check_id: int) -> Any:
    """The caterer signs the record or disputes it."""
    return _after(check_id, lambda: respond_to_check(db.session, _actor(), check_id,
                                                     request.form.get("response"),
                                                     request.form.get("comment")),
                  _("Your answer is recorded."))


@bp.route("/rectifications")
@require("spotcheck.view")
def rectifications_page() -> Any:
    """Rectification orders: open, overdue, closed or all."""
    status = request.args.get("status", "open")
    if status not in ("open", "overdue", "closed", "all"):
        abort(404)
    findings = rectifications(db.session, _settings(), _actor(), status)
    sheet = sheet_of(current_sheet_version(db.session, _settings()))
    # current_sheet_version may have stored a new version: keep it rather than number it again later.
    db.session.commit()
    return render_template("spotchecks/rectifications.html", findings=findings, status=status, sheet=sheet,
                           overdue={finding.id: is_overdue(finding, _settings()) for finding in findings},
                           can_edit=has_permission(_actor(), "spotcheck.edit"))
