"""Users, passwords, API tokens and login throttling, as plain functions over a session."""
from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from canteen.auth.models import ROLES, ApiToken, LoginFailure, User
from canteen.config import SecuritySettings
from canteen.core.errors import Conflict, InvalidInput, NotFound
from canteen.db import utcnow
from canteen.reference.services import canteen_by_code

# Lets a non-token be refused without a query, and makes a leaked token recognisable for what it is.
TOKEN_PREFIX = "cw_"
# A hash computed once so that unknown user names cost as much as wrong passwords.
_DUMMY_HASH = generate_password_hash("not-a-real-password", method="pbkdf2:sha256:1000")


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
    if len(password) < 8:
        fields["password"] = "at least 8 characters"
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
                password_hash=generate_password_hash(password, method=hash_method), canteens=canteens)
    session.add(user)
    session.flush()
    return user


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


def authenticate(session: Session, username: str, password: str, address: str) -> User | None:
    """The active user with this password, else None; failures are recorded, success clears them."""
    user = session.scalar(select(User).where(User.username == username.strip()))
    if user is None or not user.active:
        check_password_hash(_DUMMY_HASH, password)
        ok = False
    else:
        ok = check_password_hash(user.password_hash, password)
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
