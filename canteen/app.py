"""The application factory: configuration first, then one small ``register_*`` step per concern."""
from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any, Mapping

from flask import Flask, g, has_request_context, request, session
from flask_babel import get_locale

from canteen.config import AppConfig, load_config
from canteen.extensions import babel, csrf, db, login_manager

LOCALES = ("zh_Hans_CN", "en")


def build_app(overrides: Mapping[str, Any] | None = None) -> Flask:
    """Create and configure an app; ``overrides`` are Flask config keys (tests pass SETTINGS, DATABASE_URL)."""
    overrides = dict(overrides or {})
    app = Flask("canteen", instance_path=overrides.pop("INSTANCE_PATH", None) or os.environ.get("CANTEEN_INSTANCE")
                or None, instance_relative_config=True)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    register_config(app, overrides)
    register_extensions(app)
    register_i18n(app)
    register_auth(app)
    register_blueprints(app)
    register_cli(app)
    return app


def _secret_key(app: Flask) -> str:
    if os.environ.get("CANTEEN_SECRET_KEY"):
        return os.environ["CANTEEN_SECRET_KEY"]
    # Generated once and kept in the instance folder, so sessions survive restarts.
    path = Path(app.instance_path) / "secret_key"
    if not path.exists():
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
        MAX_CONTENT_LENGTH=int(settings.ledger.max_upload_mb * 1024 * 1024),
        MAX_JSON_BYTES=64 * 1024,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        PASSWORD_HASH_METHOD="scrypt",
        WTF_CSRF_TIME_LIMIT=None,
        BABEL_DEFAULT_LOCALE=settings.default_locale,
        BABEL_DEFAULT_TIMEZONE=settings.timezone,
        JSON_SORT_KEYS=False,
    )
    app.config.update(overrides)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _secret_key(app)


def register_extensions(app: Flask) -> None:
    """Bind the database, CSRF protection and login manager."""
    db.init_app(app)
    csrf.init_app(app)
    login_manager.init_app(app)


def select_locale() -> str:
    """The user's chosen language, else the session's, else the configured default (Chinese)."""
    from flask import current_app
    from flask_login import current_user

    if getattr(current_user, "is_authenticated", False) and current_user.locale in LOCALES:
        return current_user.locale
    if not has_request_context():
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    if session.get("lang") in LOCALES:
        return session["lang"]
    if request.args.get("lang") in LOCALES:
        return request.args["lang"]
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def register_i18n(app: Flask) -> None:
    """Flask-Babel with Chinese by default; templates get helpers for bilingual names."""
    babel.init_app(app, locale_selector=select_locale)

    @app.context_processor
    def _i18n_helpers() -> dict[str, Any]:
        def local_name(item: Any) -> str:
            english = str(get_locale()).startswith("en")
            return getattr(item, "name_en" if english else "name_zh", "") or getattr(item, "code", "")

        return {"local_name": local_name, "current_locale": str(get_locale()), "LOCALES": LOCALES}


def register_auth(app: Flask) -> None:
    """Session login for pages; the API authenticates bearer tokens on its own blueprint."""
    from canteen.auth.web import init_login

    init_login(app)


def register_blueprints(app: Flask) -> None:
    """Pages and the JSON API."""
    from canteen.admin.web import bp as admin_bp
    from canteen.api.blueprint import register_api
    from canteen.assessment.web import bp as assessment_bp
    from canteen.auth.web import bp as auth_bp
    from canteen.home import bp as home_bp
    from canteen.home import register_error_pages, register_template_helpers
    from canteen.ledger.web import bp as ledger_bp
    from canteen.offences.blueprints import register_offence_pages
    from canteen.reporting.web import bp as reporting_bp
    from canteen.spotchecks.web import bp as spotchecks_bp

    for blueprint in (auth_bp, home_bp, ledger_bp, admin_bp, reporting_bp, assessment_bp, spotchecks_bp):
        app.register_blueprint(blueprint)
    register_offence_pages(app)
    register_api(app)
    register_error_pages(app)
    register_template_helpers(app)

    @app.before_request
    def _remember_language_choice() -> None:
        if request.args.get("lang") in LOCALES:
            session["lang"] = request.args["lang"]
        g.settings = app.config["SETTINGS"]


def register_cli(app: Flask) -> None:
    """The ``canteen`` commands that need an app."""
    from canteen.commands import register_commands
    from canteen.offences.cli import register_cli as register_offence_cli
    from reports.cli import register_cli as register_report_cli

    register_commands(app)
    register_offence_cli(app)
    register_report_cli(app)
