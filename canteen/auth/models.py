"""Users, their canteen scope, API tokens and failed-login records."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from canteen.db import Base, UTCDateTime, utcnow
from canteen.reference.models import Canteen

ROLES = ("admin", "manager", "assessor", "reviewer", "contractor", "discipline", "viewer")


class User(Base):
    """A person who logs in; one role, optionally limited to some canteens."""

    __tablename__ = "user_account"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(100), default="")
    role: Mapped[str] = mapped_column(String(16))
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # None: follow the language chosen in the session, else the configured default.
    locale: Mapped[str | None] = mapped_column(String(16), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Part of every session cookie; raised at logout, password change and deactivation, so a copied or
    # stolen cookie of an earlier session no longer logs anyone in (the cookie itself cannot be revoked).
    session_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    # Loaded with the user: every scope check reads it.
    canteens: Mapped[list[Canteen]] = relationship(secondary="user_canteen", lazy="selectin")

    # Flask-Login protocol.
    @property
    def is_authenticated(self) -> bool:
        """Every loaded user is authenticated."""
        return True

    @property
    def is_active(self) -> bool:
        """Deactivated users cannot log in."""
        return self.active

    @property
    def is_anonymous(self) -> bool:
        """Never anonymous."""
        return False

    def get_id(self) -> str:
        """The session identifier: the user's id and the current session version, as ``"id:version"``."""
        return f"{self.id}:{self.session_version}"

    @property
    def name(self) -> str:
        """What to call the user on pages."""
        return self.display_name or self.username


class UserCanteen(Base):
    """Limits a user to a canteen; a user with no rows here sees every canteen."""

    __tablename__ = "user_canteen"

    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True)
    canteen_id: Mapped[int] = mapped_column(ForeignKey("canteen.id"), primary_key=True)


class ApiToken(Base):
    """A bearer token acting as its user; only the SHA-256 of the secret is stored."""

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    prefix: Mapped[str] = mapped_column(String(12))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)

    user: Mapped[User] = relationship(lazy="joined")


class LoginFailure(Base):
    """One failed login, kept to slow down password guessing."""

    __tablename__ = "login_failure"
    # Every login attempt counts one key's failures within the window.
    __table_args__ = (Index("ix_login_failure_key_at", "key", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(200))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
