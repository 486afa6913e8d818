"""The interface languages the service speaks, and how a request's language is chosen."""
from __future__ import annotations

from flask import current_app, has_request_context, request, session
from flask_login import current_user

LOCALES = ("zh_Hans_CN", "en")


def select_locale() -> str:
    """The user's chosen language, else the session's, else the configured default (Chinese)."""
    if getattr(current_user, "is_authenticated", False) and current_user.locale in LOCALES:
        return current_user.locale
    # CLI commands and the scheduler have no session or query string to ask.
    if not has_request_context():
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    if session.get("lang") in LOCALES:
        return session["lang"]
    # A ?lang= on this very request counts before it has been remembered in the session.
    if request.args.get("lang") in LOCALES:
        return request.args["lang"]
    return current_app.config["BABEL_DEFAULT_LOCALE"]
