"""Users, passwords, API tokens and login throttling, as plain functions over a session."""
from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from canteen.auth.models import ROLES, ApiToken, LoginFailure, User
from canteen.auth.passwords import dummy_hash, hash_password, password_problem, verify_password
from canteen.config import SecuritySettings
from canteen.core.errors import Conflict, FieldErrors, Forbidden, InvalidInput, NotFound
from canteen.db import utcnow
from canteen.reference.services import canteen_by_code

# Lets a non-token be refused without a query, and makes a leaked token recognisable for what it is.
TOKEN_PREFIX = "cw_"


def create_user(session: Session, username: str, role: str, password: str, *,
                canteen_codes: list[str] | None = None, display_name: str = "",
                hash_method: str = "scrypt") -> User:
    """Create a user; raise InvalidInput naming the bad field."""
    username = username.strip()
    fields = {}
    if not username or len(username) > 64:
        fields["username"] = "1 to 64 characters"
    if role not in ROLES:
        fields["role"] = f"one of {', '.join(ROLES)}"
    problem = password_problem(password)
    if problem:
        fields["password"] = problem
    canteens = []
    for code in canteen_codes or []:
        canteen = canteen_by_code(session, code)
        if canteen is None:
            fields["canteen"] = f"unknown canteen {code!r}"
        else:
            canteens.append(canteen)
    if fields:
        raise InvalidInput("invalid user", fields)
    if session.scalar(select(User).where(User.username == username)) is not None:
        raise Conflict("user exists", {"username": f"{username!r} is taken"})
    user = User(username=username, role=role, display_name=display_name,
                password_hash=hash_password(password, hash_method), canteens=canteens)
    session.add(user)
    session.flush()
    return user


def end_sessions(session: Session, user: User) -> None:
    """End every session of the user (all browsers): their cookies name the old session version."""
    # One UPDATE adding 1, so two logouts at once cannot both write the same new version.
    session.execute(update(User).where(User.id == user.id)
                    .values(session_version=User.session_version + 1))
    session.flush()


def _new_password(password: str, field: str, errors: FieldErrors) -> None:
    problem = password_problem(password)
    if problem:
        errors[field] = problem


def change_password(session: Session, user: User, current: str, new: str, repeated: str,
                    hash_method: str = "scrypt") -> None:
    """The user's own password change; the old password is needed and every other session ends."""
    errors = FieldErrors()
    if not verify_password(user.password_hash, current):
        errors["current_password"] = _("this is not your current password")
    _new_password(new, "new_password", errors)
    if "new_password" not in errors and new == current:
        errors["new_password"] = _("must differ from the current password")
    if new != repeated:
        errors["repeat_password"] = _("the two new passwords differ")
    errors.raise_if_any(_("the password was not changed"))
    user.password_hash = hash_password(new, hash_method)
    end_sessions(session, user)


def set_password(session: Session, actor: User, user_id: int, new: str, hash_method: str = "scrypt") -> User:
    """An administrator sets another user's password; that user's sessions end."""
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(_("no such user"), {"user": _("no such user")})
    if user.id == actor.id:
        # Their own goes through the password change, which asks for the current password.
        raise Forbidden(_("change your own password on your account page"), {"user": _("that is you")})
    errors = FieldErrors()
    _new_password(new, "password", errors)
    errors.raise_if_any(_("the password was not changed"))
    user.password_hash = hash_password(new, hash_method)
    end_sessions(session, user)
    return user


def set_active(session: Session, user: User, active: bool) -> None:
    """Deactivate or reactivate a user; a deactivation ends their sessions for good."""
    user.active = active
    if not active:
        # Otherwise reactivating the account would revive every cookie it had before.
        end_sessions(session, user)


def _throttle_key(username: str, address: str) -> str:
    # Per name and address: a guesser elsewhere cannot lock a user out, and "Admin" counts as "admin".
    return f"{username.strip().lower()}|{address}"


def login_locked_for(session: Session, username: str, address: str, settings: SecuritySettings,
                     now: datetime | None = None) -> int:
    """Seconds the user name/address pair must still wait; 0 when it may try."""
    now = now or utcnow()
    window_start = now - timedelta(minutes=settings.login_window_minutes)
    key = _throttle_key(username, address)
    failures = session.execute(
        select(func.count(), func.max(LoginFailure.at))
        .where(LoginFailure.key == key, LoginFailure.at >= window_start)).one()
    count, last = failures
    if count < settings.login_max_failures or last is None:
        return 0
    # Each failure past the limit doubles the wait, so guessing gets slower and slower.
    excess = count - settings.login_max_failures
    # Capped at 64 times the lockout, so a user who forgot the password still waits a bounded time.
    wait = settings.login_lockout_seconds * (2 ** min(excess, 6))
    remaining = (last + timedelta(seconds=wait) - now).total_seconds()
    # Rounded up: "wait 0 seconds" while the lock still holds would invite a failing retry.
    return max(0, int(remaining + 0.999))


def authenticate(session: Session, username: str, password: str, address: str,
                 hash_method: str = "scrypt") -> User | None:
    """The active user with this password, else None; failures are recorded, success clears them."""
    user = session.scalar(select(User).where(User.username == username.strip()))
    if user is None or not user.active:
        # The same work as a real check (same method, same cost), so the answer's time does not tell
        # whether the user exists.
        verify_password(dummy_hash(hash_method), password)
        ok = False
    else:
        ok = verify_password(user.password_hash, password)
    key = _throttle_key(username, address)
    # Unknown names are recorded too, so guessing user names is throttled like guessing passwords.
    if not ok:
        session.add(LoginFailure(key=key))
        session.flush()
        return None
    # A success clears the count, so yesterday's typos do not shorten the next lockout.
    session.execute(delete(LoginFailure).where(LoginFailure.key == key))
    return user


def _hash_token(secret: str) -> str:
    # Unsalted SHA-256 suffices for 32 random bytes (nothing to guess), and it can be looked up directly.
    return hashlib.sha256(secret.encode()).hexdigest()


def create_token(session: Session, username: str, name: str = "") -> tuple[ApiToken, str]:
    """Create an API token for a user; return the row and the secret, which is never stored."""
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise NotFound("unknown user", {"username": f"no user {username!r}"})
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    # The first characters stay readable so the admin page can tell tokens apart.
    token = ApiToken(user=user, name=name or f"token for {username}", prefix=secret[:10],
                     token_hash=_hash_token(secret))
    session.add(token)
    session.flush()
    return token, secret


def user_for_token(session: Session, secret: str) -> User | None:
    """The active user behind a bearer token, or None; marks the token as used."""
    if not secret.startswith(TOKEN_PREFIX):
        return None
    token = session.scalar(select(ApiToken).where(ApiToken.token_hash == _hash_token(secret),
                                                  ApiToken.revoked_at.is_(None)))
    if token is None or not token.user.active:
        return None
    now = utcnow()
    # Only touch the row once a minute, so a busy scale does not write on every request.
    if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=1):
        token.last_used_at = now
    return token.user


def revoke_token(session: Session, token_id: int) -> None:
    """Revoke a token; it stops working at once."""
    token = session.get(ApiToken, token_id)
    if token is None:
        raise NotFound("unknown token")
    token.revoked_at = token.revoked_at or utcnow()
