"""Login, logout and language pages; the login requirement for every other page."""
from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import (Blueprint, Flask, abort, current_app, flash, redirect, render_template, request,
                   session, url_for)
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from canteen.auth.models import User
from canteen.auth.passwords import MIN_LENGTH
from canteen.auth.services import authenticate, change_password, end_sessions, login_locked_for
from canteen.core.errors import ServiceError
from canteen.core.guard import allow_anonymous, public_pages
from canteen.core.locales import LOCALES
from canteen.extensions import db, login_manager

bp = Blueprint("auth", __name__)

# Pages anyone may open; features add theirs with canteen.core.guard.allow_anonymous (the API checks its own
# tokens).
PUBLIC_ENDPOINTS = ("auth.login", "auth.set_language", "static")
API_PREFIX = "/api/"


class LoginForm(FlaskForm):
    """User name and password."""

    username = StringField("username", validators=[DataRequired(), Length(max=64)])
    password = PasswordField("password", validators=[DataRequired(), Length(max=256)])


def init_login(app: Flask) -> None:
    """Wire Flask-Login and the global login requirement."""
    login_manager.login_view = "auth.login"
    login_manager.login_message = None

    @login_manager.user_loader
    def _load_user(session_id: str) -> User | None:
        return user_for_session(session_id)

    allow_anonymous(app, endpoints=PUBLIC_ENDPOINTS)
    public = public_pages(app)

    @app.before_request
    def _require_login() -> Any:
        endpoint = request.endpoint or ""
        if endpoint in public["endpoints"] or endpoint.split(".")[0] in public["blueprints"]:
            return None
        # Unknown API paths answer with the API's JSON 404, not with the login page.
        if request.path.startswith(API_PREFIX):
            return None
        if not current_user.is_authenticated:
            return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
        return None


def user_for_session(session_id: str) -> User | None:
    """The user a session cookie's ``"id:version"`` names, if that session has not ended."""
    user_id, _sep, version = session_id.partition(":")
    if not (user_id.isdigit() and version.isdigit()) or len(user_id) > 18:
        return None
    user = db.session.get(User, int(user_id))
    # A user deactivated while logged in is logged out on the next request; a cookie of a session that
    # ended (logout, password change) names an older version and logs nobody in, even when copied.
    if user is None or not user.active or user.session_version != int(version):
        return None
    return user


def safe_next(target: str | None) -> str | None:
    """``target`` if it is a path on this site, else None (no open redirects)."""
    if not target:
        return None
    # Browsers drop tabs and newlines inside URLs, so "/\t/evil.example" would become "//evil.example".
    if any(char.isspace() or not char.isprintable() for char in target):
        return None
    parts = urlsplit(target)
    # "//host" is a full URL to another site, and browsers read a backslash as a slash.
    if (parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//")
            or "\\" in target):
        return None
    return target


def client_address() -> str:
    """The caller's address (the WSGI server's view, or the trusted proxies' X-Forwarded-For)."""
    return request.remote_addr or "unknown"


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    """Show the login form and log the user in."""
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        settings = current_app.config["SETTINGS"]
        username, password = form.username.data, form.password.data
        # DataRequired has passed, so both fields hold text.
        assert username is not None and password is not None
        wait = login_locked_for(db.session, username, client_address(), settings.security)
        if wait:
            flash(_("Too many failed attempts. Try again in %(seconds)s seconds.", seconds=wait), "error")
            status = 429
        else:
            user = authenticate(db.session, username, password, client_address(),
                                current_app.config["PASSWORD_HASH_METHOD"])
            db.session.commit()
            if user is not None:
                login_user(user)
                # The account's saved language now wins; drop the one chosen on the login page.
                session.pop("lang", None) if user.locale else None
                return redirect(safe_next(request.args.get("next")) or url_for("home.index"))
            flash(_("Wrong user name or password."), "error")
            status = 401
    elif request.method == "POST":
        status = 400
    return render_template("auth/login.html", form=form), status


@bp.route("/logout", methods=["POST"])
def logout() -> Any:
    """Log out (POST, so a link on another site cannot do it); the session ends on the server too."""
    if current_user.is_authenticated:
        # The cookie may have been copied: raising the version makes every copy useless, not just this one.
        end_sessions(db.session, current_user)
        db.session.commit()
    logout_user()
    return redirect(url_for("auth.login"))


@bp.route("/account/password", methods=["GET", "POST"])
def password_page() -> Any:
    """Change one's own password; the other sessions of the account end, this one goes on."""
    errors: dict[str, str] = {}
    status = 200
    if request.method == "POST":
        try:
            change_password(db.session, current_user, request.form.get("current_password", ""),
                            request.form.get("new_password", ""), request.form.get("repeat_password", ""),
                            current_app.config["PASSWORD_HASH_METHOD"])
            db.session.commit()
            # The cookie is rewritten with the new session version, so this browser stays logged in.
            login_user(current_user._get_current_object())
            flash(_("Your password was changed. Other browsers logged in as you were logged out."), "success")
            return redirect(url_for("home.index"))
        except ServiceError as error:
            db.session.rollback()
            errors, status = error.fields, 422
            flash(_("The password was not changed. Correct the marked fields."), "error")
    return render_template("auth/password.html", errors=errors, min_length=MIN_LENGTH), status


@bp.route("/language/<code>", methods=["POST"])
def set_language(code: str) -> Any:
    """Switch the interface language and remember it for the user."""
    if code not in LOCALES:
        abort(404)
    session["lang"] = code
    if current_user.is_authenticated:
        # Saved on the account too, so the choice follows the user to another browser.
        current_user.locale = code
        db.session.commit()
    return redirect(safe_next(request.form.get("next")) or url_for("home.index"))
