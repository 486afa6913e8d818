"""The password policy and password hashing: one rule for the CLI, the admin pages and the password change."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from flask_babel import gettext as _
from werkzeug.security import check_password_hash, generate_password_hash

MIN_LENGTH = 10
MAX_LENGTH = 256
COMMON_PASSWORDS_FILE = Path(__file__).with_name("common-passwords.txt")


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    """The bundled list of the most common passwords, lower case (read once per process)."""
    lines = COMMON_PASSWORDS_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip().lower() for line in lines if line.strip() and not line.startswith("#"))


def password_problem(password: str) -> str | None:
    """What is wrong with a new password, in words, or None when it may be used."""
    if len(password) < MIN_LENGTH:
        return _("at least %(n)s characters", n=MIN_LENGTH)
    if len(password) > MAX_LENGTH:
        return _("at most %(n)s characters", n=MAX_LENGTH)
    # Case does not make a listed password safe: guessers try "Password123" as soon as "password123".
    if password.lower() in common_passwords():
        return _("this is one of the most common passwords; choose another")
    return None


def hash_password(password: str, method: str) -> str:
    """The stored form of a password, hashed with the configured method."""
    return generate_password_hash(password, method=method)


@lru_cache(maxsize=4)
def dummy_hash(method: str) -> str:
    """A hash of no one's password with the same method and parameters as real ones, made once per process."""
    return generate_password_hash("not-a-real-password", method=method)


def verify_password(stored_hash: str, password: str) -> bool:
    """True when ``password`` matches the stored hash."""
    return check_password_hash(stored_hash, password)
