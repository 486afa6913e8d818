"""The start page, the navigation and the HTML error pages."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, redirect, Flask, current_app, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from canteen.api.openapi import openapi_document
from canteen.auth.permissions import has_permission, visible_canteens
from canteen.extensions import db
from canteen.navigation import NAV_ENTRIES
from canteen.reference.models import Canteen
from canteen.timeutil import local_today

bp = Blueprint("home", __name__)


def role_label(role: str) -> str:
    """The translated name of a role."""
    labels = {"admin": _("Administrator"), "manager": _("Canteen manager"), "assessor": _("Assessor"),
              "reviewer": _("Reviewer"), "contractor": _("Caterer"), "discipline": _("Discipline office"),
              "viewer": _("Viewer")}
    return labels.get(role, role)


def nav_items() -> list[dict[str, Any]]:
    """The menu entries the current user's role may open (features add theirs via register_nav)."""
    items = [(_("Start"), "home.index", None, 0)]
    if has_permission(current_user, "ledger.view"):
        items.append((_("Ledger"), "ledger.month_page", "ledger.view", 10))
    if has_permission(current_user, "ledger.edit"):
        items.append((_("Daily entry"), "ledger.daily_page", "ledger.edit", 11))
    if has_permission(current_user, "ledger.import"):
        items.append((_("Import"), "ledger.import_page", "ledger.import", 12))
    for entry in NAV_ENTRIES:
        if entry.permission is None or has_permission(current_user, entry.permission):
            items.append((entry.label(), entry.endpoint, entry.permission, entry.order))
    if has_permission(current_user, "users.manage"):
        items.append((_("Users"), "admin.users", "users.manage", 90))
    items.append((_("API"), "home.api_docs", None, 95))
    items.sort(key=lambda item: item[3])
    return [{"label": label, "url": url_for(endpoint), "active": request.endpoint == endpoint}
            for label, endpoint, _permission, _order in items]


def user_canteens() -> list[Canteen]:
    """Active canteens within the current user's scope."""
    canteens = list(db.session.scalars(select(Canteen).where(Canteen.active.is_(True)).order_by(Canteen.id)))
    return visible_canteens(current_user, canteens)


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
    from canteen.api.blueprint import bp as api_bp, error_response

    def render(error: Any) -> Any:
        code = getattr(error, "code", 500) or 500
        # Registered after the API's own 404 handler, so this one must answer API paths in JSON too.
        if request.path.startswith(api_bp.url_prefix or "/api/"):
            message = _("no such endpoint") if code == 404 else getattr(error, "description", "") or _("Error")
            return error_response(code, message)
        # Built per request so that each visitor gets their own language.
        titles = {400: _("Bad request"), 403: _("Not allowed"), 404: _("Not found"), 429: _("Too many requests")}
        messages = {403: _("Your role may not open this page."), 404: _("There is no such page."),
                    400: _("The request could not be understood."),
                    429: _("Too many attempts. Wait a moment, then try again.")}
        return render_template("error.html", code=code, title=titles.get(code, _("Error")),
                               message=messages.get(code, "")), code

    for code in (400, 403, 404, 429):
        app.register_error_handler(code, render)


def register_template_helpers(app: Flask) -> None:
    """Functions every template may call."""
    app.jinja_env.globals.update(nav_items=nav_items, role_label=role_label, has_permission=has_permission)
    app.jinja_env.filters["dict_get"] = lambda mapping, key: mapping.get(key, 0)
