"""Diner pages: search the registry, add and edit a diner (with a reason), import the meal-card export."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from canteen.config import AppConfig
from canteen.core.errors import NotFound, ServiceError
from canteen.core.guard import require
from canteen.core.tabular import ImportFailed
from canteen.diners.importer import import_diners_file
from canteen.diners.services import create_diner, get_diner, search_diners, update_diner
from canteen.extensions import db

bp = Blueprint("diners", __name__, url_prefix="/diners")
PAGE_LIMIT = 200


def _settings() -> AppConfig:
    return current_app.config["SETTINGS"]


def _actor() -> Any:
    return current_user._get_current_object()


@bp.route("/")
@require("diners.view")
def index() -> Any:
    """Search diners by card number, name or department."""
    query = request.args.get("q", "")
    diners = search_diners(db.session, query, limit=PAGE_LIMIT)
    return render_template("diners/index.html", diners=diners, query=query, limit=PAGE_LIMIT)


@bp.route("/new", methods=["GET", "POST"])
@require("diners.manage")
def new() -> Any:
    """Register a diner by hand."""
    errors: dict[str, str] = {}
    status = 200
    if request.method == "POST":
        data = {"card_no": request.form.get("card_no"), "name": request.form.get("name"),
                # An unticked checkbox is simply absent from the form.
                "department": request.form.get("department", ""), "active": "active" in request.form}
        try:
            diner = create_diner(db.session, _actor(), data)
            db.session.commit()
        except ServiceError as error:
            db.session.rollback()
            errors, status = error.fields, error.status
            flash(_("Nothing was saved. Correct the marked fields."), "error")
        else:
            flash(_("Diner %(card)s registered.", card=diner.card_no), "success")
            # 303 sends the browser on with a GET, so a reload does not post the form again.
            return redirect(url_for(".index", q=diner.card_no), 303)
    return render_template("diners/form.html", diner=None, errors=errors, form=request.form), status


@bp.route("/<int:diner_id>/edit", methods=["GET", "POST"])
@require("diners.manage")
def edit(diner_id: int) -> Any:
    """Change a diner's name, department or active flag; the old values stay in the revisions."""
    try:
        diner = get_diner(db.session, diner_id)
    except NotFound:
        abort(404)
    errors: dict[str, str] = {}
    status = 200
    if request.method == "POST":
        data = {"name": request.form.get("name"), "department": request.form.get("department", ""),
                "active": "active" in request.form, "reason": request.form.get("reason", "")}
        try:
            changed = update_diner(db.session, _actor(), diner, data)
            db.session.commit()
        except ServiceError as error:
            db.session.rollback()
            errors, status = error.fields, error.status
            flash(_("Nothing was saved. Correct the marked fields."), "error")
            # Loaded again: the rollback expired the object holding the refused values.
            diner = get_diner(db.session, diner_id)
        else:
            flash(_("Saved.") if changed else _("Nothing changed."), "success")
            return redirect(url_for(".edit", diner_id=diner.id), 303)
    return render_template("diners/form.html", diner=diner, errors=errors, form=request.form), status


@bp.route("/import", methods=["GET", "POST"])
@require("diners.manage")
def import_page() -> Any:
    """Import the meal-card system's export: every row is checked; if any is wrong, nothing is imported."""
    problems = []
    status = 200
    if request.method == "POST":
        upload = request.files.get("file")
        if upload is None or not upload.filename:
            flash(_("Choose a file."), "error")
            status = 422
        else:
            try:
                # Read and closed at once, so no spooled temporary file outlives the request.
                content = upload.read()
            finally:
                upload.close()
            try:
                result = import_diners_file(db.session, _settings(), _actor(), upload.filename, content)
                db.session.commit()
            except ImportFailed as failed:
                db.session.rollback()
                problems, status = failed.problems, 422
                flash(_("Nothing was imported: %(count)s problem(s).", count=len(problems)), "error")
            except ServiceError as error:
                db.session.rollback()
                flash(error.message, "error")
                status = error.status
            else:
                flash(_("Imported: %(created)s new, %(updated)s changed, %(unchanged)s unchanged.",
                        created=result.created, updated=result.updated, unchanged=result.unchanged),
                      "success")
                return redirect(url_for(".import_page"), 303)
    return render_template("diners/import.html", problems=problems), status
