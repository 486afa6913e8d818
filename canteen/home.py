"""The start page, the canteen list, the API reference page, the HTML error pages and template helpers."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, current_app, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.exceptions import HTTPException

from canteen.api.base import API_PREFIX, error_response, http_error_response
from canteen.api.openapi import openapi_document
from canteen.core.menu import add_menu_entry, init_menu
from canteen.core.permissions import has_permission
from canteen.core.timeutil import local_today
from canteen.reference.scope import user_canteens

bp = Blueprint("home", __name__)


def role_label(role: str) -> str:
    """The translated name of a role."""
    labels = {"admin": _("Administrator"), "manager": _("Canteen manager"), "assessor": _("Assessor"),
              "reviewer": _("Reviewer"), "contractor": _("Caterer"), "discipline": _("Discipline office"),
              "viewer": _("Viewer")}
    return labels.get(role, role)


@bp.route("/")
def index() -> Any:
    """The first page after login is the dashboard."""
    return redirect(url_for("reporting.dashboard"))


@bp.route("/canteens")
def canteens_page() -> Any:
    """Each canteen the user may see, with today's and this month's links."""
    today = local_today(current_app.config["SETTINGS"].zone)
    return render_template("home.html", canteens=user_canteens(), today=today)


@bp.route("/api-docs")
def api_docs() -> Any:
    """The API reference, rendered from the OpenAPI document."""
    return render_template("api_docs.html", spec=openapi_document())


def register_error_pages(app: Flask) -> None:
    """Friendly HTML pages for errors outside the API; the API keeps its JSON errors."""
    def render(error: Any) -> Any:
        code = getattr(error, "code", 500) or 500
        # Registered after the API's own 404 handler, so this one must answer API paths in JSON too.
        if request.path.startswith(API_PREFIX):
            message = (_("no such endpoint") if code == 404
                       else getattr(error, "description", "") or _("Error"))
            if isinstance(error, HTTPException):
                return http_error_response(error, message)
            return error_response(code, message)
        # Built per request so that each visitor gets their own language.
        titles = {400: _("Bad request"), 403: _("Not allowed"), 404: _("Not found"),
                  429: _("Too many requests")}
        messages = {403: _("Your role may not open this page."), 404: _("There is no such page."),
                    400: _("The request could not be understood."),
                    429: _("Too many attempts. Wait a moment, then try again.")}
        # A refused field (e.g. a NUL byte in a form) is named, so the person knows what to change.
        message = error.description if getattr(error, "fields", None) else messages.get(code, "")
        return render_template("error.html", code=code, title=titles.get(code, _("Error")),
                               message=message), code

    for code in (400, 403, 404, 429):
        app.register_error_handler(code, render)


def register_template_helpers(app: Flask) -> None:
    """Functions every template may call."""
    app.jinja_env.globals.update(role_label=role_label, has_permission=has_permission)
    app.jinja_env.filters["dict_get"] = lambda mapping, key: mapping.get(key, 0)


def init_app(app: Flask) -> None:
    """Register the start pages, the menu (its first and last entries), error pages and template helpers."""
    app.register_blueprint(bp)
    init_menu(app)
    add_menu_entry(app, lambda: _("Start"), "home.index", None, 0)
    add_menu_entry(app, lambda: _("API"), "home.api_docs", None, 95)
    register_error_pages(app)
    register_template_helpers(app)
