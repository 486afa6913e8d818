"""Flask extensions, created once and bound to each app by ``init_app``."""
from __future__ import annotations

from dataclasses import dataclass

from flask import Flask, current_app
from flask_babel import Babel
from flask_login import LoginManager
from flask_wtf.csrf import CSRFProtect
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, scoped_session, sessionmaker

from canteen.db import make_engine


@dataclass
class _DatabaseState:
    engine: Engine
    sessions: scoped_session[Session]


class Database:
    """One engine and a request-scoped session per app; services receive ``db.session``."""

    def init_app(self, app: Flask) -> None:
        """Create the engine for ``app.config['DATABASE_URL']`` and end each session with the app context."""
        url = app.config["DATABASE_URL"]
        # A PostgreSQL connection the server dropped (restart, idle timeout) is replaced before use; a SQLite
        # file has no connection to lose.
        options = {"pool_pre_ping": True} if not url.startswith("sqlite") else {}
        engine = make_engine(url, **options)
        # Entry points commit before they render, so objects must stay readable after the commit.
        sessions = scoped_session(sessionmaker(bind=engine, expire_on_commit=False))
        # Kept on the app, not on this object, so two apps in one process (the tests) use their own engines.
        app.extensions["canteen_db"] = _DatabaseState(engine, sessions)

        @app.teardown_appcontext
        def _remove_session(_exc: BaseException | None) -> None:
            # Anything not committed by the entry point is rolled back here.
            sessions.remove()

    @property
    def session(self) -> Session:
        """The current app context's session."""
        return current_app.extensions["canteen_db"].sessions()

    @property
    def engine(self) -> Engine:
        """The current app's engine."""
        return current_app.extensions["canteen_db"].engine


db = Database()
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()
