"""Contractor administration pages: contracts, canteens served with their fees, linked caterer users."""
from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from canteen.assessment import audit
from canteen.assessment.contractors import link_user, linked_users, save_contractor, unlink_user
from canteen.assessment.models import Contractor, ContractorUser
from canteen.assessment.web import actor, bp, error_text
from canteen.auth.models import User
from canteen.core.errors import ServiceError
from canteen.core.guard import require
from canteen.core.validation import as_id
from canteen.extensions import db
from canteen.reference.models import Canteen


def _form_data(form: MultiDict[str, str], canteens: list[Canteen]) -> dict[str, Any]:
    """The service's shape from the form: one checkbox and one fee field per canteen."""
    return {"name": form.get("name"), "contract_no": form.get("contract_no"),
            "starts_on": form.get("starts_on"), "ends_on": form.get("ends_on"), "reason": form.get("reason"),
            "active": form.get("active", "1") == "1",
            "canteens": [{"canteen": canteen.code, "monthly_fee": form.get(f"fee-{canteen.code}", "")}
                         for canteen in canteens if form.get(f"serve-{canteen.code}")]}


def _canteens() -> list[Canteen]:
    return list(db.session.scalars(select(Canteen).where(Canteen.active.is_(True)).order_by(Canteen.id)))


def _unlinked_caterers() -> list[User]:
    # Only caterer users not linked yet can be offered: a user speaks for one company.
    linked = select(ContractorUser.user_id)
    return list(db.session.scalars(select(User).where(User.role == "contractor", User.active.is_(True),
                                                      User.id.not_in(linked)).order_by(User.username)))


@bp.route("/contractors", methods=["GET", "POST"])
@require("contractors.manage")
def contractors() -> Any:
    """List the contractors and create one."""
    canteens = _canteens()
    errors: dict[str, str] = {}
    status = 200
    if request.method == "POST":
        try:
            contractor = save_contractor(db.session, actor(), _form_data(request.form, canteens))
            db.session.commit()
            flash(_("Contractor saved."), "success")
            return redirect(url_for(".contractor_page", contractor_id=contractor.id))
        except ServiceError as error:
            db.session.rollback()
            errors, status = error.fields, 422 if error.status == 422 else error.status
            flash(_("Nothing was saved: %(error)s", error=error_text(error)), "error")
    rows = db.session.scalars(select(Contractor).order_by(Contractor.name)).all()
    linked = {row.id: linked_users(db.session, row.id) for row in rows}
    return render_template("assessment/contractors.html", contractors=rows, canteens=canteens, errors=errors,
                           form=request.form, linked=linked), status


@bp.route("/contractors/<int:contractor_id>", methods=["GET", "POST"])
@require("contractors.manage")
def contractor_page(contractor_id: int) -> Any:
    """Change a contract (with a reason) and link or unlink the caterer's users."""
    contractor = db.session.get(Contractor, contractor_id)
    if contractor is None:
        abort(404)
    canteens = _canteens()
    errors: dict[str, str] = {}
    status = 200
    if request.method == "POST":
        action = request.form.get("action", "save")
        try:
            if action == "link":
                link_user(db.session, actor(), contractor.id, request.form.get("username"))
                message = _("User linked.")
            elif action == "unlink":
                # A tampered id names no link (0), which unlink_user refuses as unknown.
                unlink_user(db.session, actor(), contractor.id, as_id(request.form.get("user_id")) or 0)
                message = _("User unlinked.")
            else:
                save_contractor(db.session, actor(), _form_data(request.form, canteens), contractor.id)
                message = _("Contractor saved.")
            db.session.commit()
            flash(message, "success")
            return redirect(url_for(".contractor_page", contractor_id=contractor.id))
        except ServiceError as error:
            db.session.rollback()
            errors, status = error.fields, 422 if error.status == 422 else error.status
            flash(_("Nothing was saved: %(error)s", error=error_text(error)), "error")
        # The rollback expired the loaded row: load it again. It existed above and contractors are never
        # deleted, so it is still there.
        contractor = db.session.get(Contractor, contractor_id)
        assert contractor is not None
    fees = {link.canteen.code: f"{link.monthly_fee_fen / 100:.2f}" for link in contractor.canteens}
    history = [{"entry": entry, "detail": audit.detail_of(entry)}
               for entry in audit.history(db.session, "contractor", contractor.id)]
    return render_template("assessment/contractor.html", contractor=contractor, canteens=canteens, fees=fees,
                           errors=errors, form=request.form if request.method == "POST" else {},
                           users=linked_users(db.session, contractor.id), candidates=_unlinked_caterers(),
                           history=history), status
