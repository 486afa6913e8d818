"""Administration pages: users, their roles and canteen scope, API tokens."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from canteen.auth.models import ROLES, ApiToken, User
from canteen.auth.services import create_token, create_user, revoke_token, set_active, set_password
from canteen.core.errors import ServiceError
from canteen.core.guard import require
from canteen.core.validation import as_id
from canteen.extensions import db
from canteen.reference.models import Canteen

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.route("/users", methods=["GET", "POST"])
@require("users.manage")
def users() -> Any:
    """List users and create one."""
    errors: dict[str, str] = {}
    status = 200
    if request.method == "POST":
        try:
            create_user(db.session, request.form.get("username", ""), request.form.get("role", ""),
                        request.form.get("password", ""), canteen_codes=request.form.getlist("canteen"),
                        display_name=request.form.get("display_name", ""),
                        hash_method=current_app.config["PASSWORD_HASH_METHOD"])
            db.session.commit()
            flash(_("User created."), "success")
            return redirect(url_for(".users"))
        except ServiceError as error:
            # Nothing of a refused user may stay in the session for a later commit.
            db.session.rollback()
            errors, status = error.fields, 422
            flash(_("Nothing was saved. Correct the marked fields."), "error")
    return _users_page(errors, status)


def _users_page(errors: dict[str, str], status: int) -> Any:
    # The submitted form is handed back so that a refused user's fields need not be typed again.
    return render_template("admin/users.html",
                           users=db.session.scalars(select(User).order_by(User.username)).all(),
                           canteens=db.session.scalars(select(Canteen).order_by(Canteen.id)).all(),
                           roles=ROLES, errors=errors, form=request.form), status


@bp.route("/users/<int:user_id>/active", methods=["POST"])
@require("users.manage")
def toggle_active(user_id: int) -> Any:
    """Deactivate or reactivate a user (nobody can deactivate themselves)."""
    user = db.session.get(User, user_id)
    # An admin deactivating themselves could leave nobody able to manage users.
    if user is not None and user.id != current_user.id:
        set_active(db.session, user, not user.active)
        db.session.commit()
    return redirect(url_for(".users"))


@bp.route("/users/password", methods=["POST"])
@require("users.manage")
def reset_password() -> Any:
    """Set another user's password (say, a forgotten one); that user's sessions end."""
    errors: dict[str, str] = {}
    try:
        # A missing or malformed id (or one beyond the database's range) names no user and fails as unknown.
        user = set_password(db.session, current_user, as_id(request.form.get("user")) or 0,
                            request.form.get("password", ""), current_app.config["PASSWORD_HASH_METHOD"])
        db.session.commit()
        flash(_("The password of %(name)s was set; they must log in again.", name=user.name), "success")
        return redirect(url_for(".users"))
    except ServiceError as error:
        db.session.rollback()
        errors = {f"reset_{field}": message for field, message in error.fields.items()}
        flash(_("The password was not changed. Correct the marked fields."), "error")
    return _users_page(errors, 422)


@bp.route("/tokens", methods=["GET", "POST"])
@require("tokens.manage")
def tokens() -> Any:
    """API tokens: create one (shown once) or revoke one."""
    secret = None
    if request.method == "POST":
        try:
            if request.form.get("action") == "revoke":
                # A missing or tampered id becomes 0, which names no token and fails as unknown.
                revoke_token(db.session, as_id(request.form.get("id")) or 0)
                flash(_("Token revoked."), "success")
            else:
                # The secret is shown on this page only; the database keeps just its hash.
                _token, secret = create_token(db.session, request.form.get("username", ""),
                                              request.form.get("name", ""))
            db.session.commit()
        except ServiceError as error:
            db.session.rollback()
            flash(error.message, "error")
    rows = db.session.scalars(select(ApiToken).order_by(ApiToken.id.desc())).all()
    # Only active users are offered a token: an inactive user's token would not authenticate.
    return render_template("admin/tokens.html", tokens=rows, secret=secret,
                           users=db.session.scalars(select(User).where(User.active.is_(True))
                                                    .order_by(User.username)).all())
