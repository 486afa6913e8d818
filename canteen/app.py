"""The application factory: configuration, extensions and languages, then every feature's ``init_app``.

Each feature module registers its own page blueprint(s), API routes (and their OpenAPI paths), CLI commands
and menu entries; nothing is registered by importing a module for its side effects.
"""
from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any, Mapping

from flask import Flask, g, request, session
from flask_babel import get_locale

import canteen.commands as service_commands
import canteen.home as home
from canteen.admin import feature as admin
from canteen.api import feature as api
from canteen.assessment import feature as assessment
from canteen.assessment.spotchecks import feature as spotchecks
from canteen.audit import feature as audit
from canteen.auth import feature as auth
from canteen.camera_events import feature as camera_events
from canteen.config import AppConfig, load_config
from canteen.core import inputguard
from canteen.core.locales import LOCALES, select_locale
from canteen.demo import cli as demo
from canteen.diners import feature as diners
from canteen.exposure import feature as exposure
from canteen.extensions import babel, csrf, db, login_manager
from canteen.ledger import feature as ledger
from canteen.offences import feature as offences
from canteen.reporting import feature as reporting
from canteen.review import feature as review
from canteen.security import init_security


# Order matters twice: auth installs the login guard first, and home's error pages come after the API's
# JSON error handlers, replacing its 404 handler with one that answers API paths in JSON and pages in HTML.
# The menu is sorted by each entry's own order, not by this tuple.
FEATURES = (service_commands, auth, api, home, ledger, admin, reporting, assessment, spotchecks, diners,
            review, offences, exposure, camera_events, audit, demo)


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Create and configure an app; ``config`` holds Flask config keys (tests pass SETTINGS, DATABASE_URL)."""
    overrides = dict(config or {})
    # An empty CANTEEN_INSTANCE counts as unset, leaving Flask to choose its default instance folder.
    app = Flask("canteen", instance_path=(overrides.pop("INSTANCE_PATH", None)
                                          or os.environ.get("CANTEEN_INSTANCE") or None),
                instance_relative_config=True)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    register_config(app, overrides)
    init_security(app, app.config["SETTINGS"].security)
    register_extensions(app)
    register_i18n(app)
    # Before the features: the bounded id converter applies only to routes added after it.
    inputguard.install(app)
    for feature in FEATURES:
        feature.init_app(app)
    register_language_choice(app)
    return app


def _secret_key(app: Flask) -> str:
    if os.environ.get("CANTEEN_SECRET_KEY"):
        return os.environ["CANTEEN_SECRET_KEY"]
    # Generated once and kept in the instance folder, so sessions survive restarts.
    path = Path(app.instance_path) / "secret_key"
    if not path.exists():
        # O_EXCL: two processes starting together cannot both write a key; 0o600: only the service reads it.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_hex(32))
    return path.read_text().strip()


def register_config(app: Flask, overrides: dict[str, Any]) -> None:
    """Load and validate config.yaml once; database URL and secrets from the environment."""
    settings = overrides.pop("SETTINGS", None)
    if not isinstance(settings, AppConfig):
        settings = load_config(overrides.pop("CONFIG_PATH", None))
    default_db = "sqlite:///" + str(Path(app.instance_path) / "canteen.db")
    app.config.update(
        SETTINGS=settings,
        DATABASE_URL=os.environ.get("CANTEEN_DATABASE_URL") or default_db,
        # Every request is capped at the ledger upload limit; API JSON bodies get a much smaller cap.
        MAX_CONTENT_LENGTH=int(settings.ledger.max_upload_mb * 1024 * 1024),
        MAX_JSON_BYTES=64 * 1024,
        PASSWORD_HASH_METHOD="scrypt",
        # The CSRF token lives as long as the session, not Flask-WTF's hour: a form left open still saves.
        WTF_CSRF_TIME_LIMIT=None,
        BABEL_DEFAULT_LOCALE=settings.default_locale,
        BABEL_DEFAULT_TIMEZONE=settings.timezone,
        JSON_SORT_KEYS=False,
    )
    # The caller's keys (tests) win over the environment and the defaults above.
    app.config.update(overrides)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _secret_key(app)


def register_extensions(app: Flask) -> None:
    """Bind the database, CSRF protection and login manager."""
    db.init_app(app)
    csrf.init_app(app)
    login_manager.init_app(app)


def register_i18n(app: Flask) -> None:
    """Flask-Babel with Chinese by default; templates get helpers for bilingual names."""
    babel.init_app(app, locale_selector=select_locale)

    @app.context_processor
    def _i18n_helpers() -> dict[str, Any]:
        def local_name(item: Any) -> str:
            # Reference rows carry both names; a row without the wanted one falls back to its code.
            english = str(get_locale()).startswith("en")
            return getattr(item, "name_en" if english else "name_zh", "") or getattr(item, "code", "")

        return {"local_name": local_name, "current_locale": str(get_locale()), "LOCALES": LOCALES}


def register_language_choice(app: Flask) -> None:
    """Remember a ``?lang=`` choice in the session (after the login guard, as before the features existed)."""

    @app.before_request
    def _remember_language_choice() -> None:
        if request.args.get("lang") in LOCALES:
            session["lang"] = request.args["lang"]
        g.settings = app.config["SETTINGS"]
