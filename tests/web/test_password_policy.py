"""The password policy (length and the common-password list) wherever a password is set, and a login for
an unknown user that does the same work as one for a real user."""
from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

import canteen.auth.services as auth_services
from canteen.auth.models import User
from canteen.auth.passwords import common_passwords, password_problem
from canteen.auth.services import authenticate, create_user
from canteen.core.errors import InvalidInput
from canteen.demo.seed import demo_password
from canteen.extensions import db
from tests.support import FAST_HASH

REFUSED = ["password", "12345678", "short", "1234567890", "Password123", "QWERTYUIOP", "woaini1314"]


def user_count(app: Flask) -> int:
    """How many users are stored."""
    with app.app_context():
        return int(db.session.scalar(select(func.count()).select_from(User)) or 0)


@pytest.mark.parametrize("password", REFUSED)
def test_weak_passwords_are_refused_naming_the_field(app: Flask, session: Session, password: str) -> None:
    with app.test_request_context("/?lang=en"):
        with pytest.raises(InvalidInput) as raised:
            create_user(session, "cook", "manager", password, hash_method=FAST_HASH)
    assert set(raised.value.fields) == {"password"}
    expected = "at least 10 characters" if len(password) < 10 else "one of the most common passwords"
    assert expected in raised.value.fields["password"]
    assert session.scalar(select(User).where(User.username == "cook")) is None


def test_the_demo_passwords_and_ordinary_long_ones_pass(app: Flask) -> None:
    with app.test_request_context():
        for name in ("admin", "manager", "manager_badajie", "assessor", "reviewer", "contractor",
                     "discipline", "viewer"):
            assert password_problem(demo_password(name)) is None, name
        assert password_problem("leftover-rice-7") is None
    # The bundled list is the real one, not a stub: it holds the classics in any case.
    assert {"123456", "password", "qwerty123", "1q2w3e4r5t"} <= common_passwords()
    assert len(common_passwords()) > 200


def test_create_user_command_refuses_a_common_password(app: Flask) -> None:
    runner = app.test_cli_runner()
    before = user_count(app)
    result = runner.invoke(args=["create-user", "cook", "--role", "manager", "--password-stdin"],
                           input="1234567890\n")
    assert result.exit_code == 1
    assert "password:" in result.output
    assert user_count(app) == before
    result = runner.invoke(args=["create-user", "cook", "--role", "manager", "--password-stdin"],
                           input="12345678\n")
    assert result.exit_code == 1 and "password:" in result.output and "10" in result.output
    result = runner.invoke(args=["create-user", "cook", "--role", "manager", "--password-stdin"],
                           input="leftover-rice-7\n")
    assert result.exit_code == 0, result.output
    assert user_count(app) == before + 1


def test_admin_form_refuses_a_common_password(app: Flask, client: FlaskClient, make_user: Callable[..., User],
                                              login: Callable[[User], FlaskClient]) -> None:
    login(make_user("admin", username="boss"))
    client.post("/language/en", data={"next": "/"})
    before = user_count(app)
    response = client.post("/admin/users", data={"username": "cook", "role": "viewer",
                                                 "password": "password123"})
    assert response.status_code == 422
    assert b"one of the most common passwords" in response.data
    assert user_count(app) == before


# --- the login of an unknown user costs what a real one costs --------------------------------------------

def test_unknown_and_real_users_are_checked_against_hashes_of_the_same_method(
        app: Flask, session: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    real = create_user(session, "wang", "manager", "leftover-rice-7", hash_method="scrypt")
    session.flush()
    checked: list[str] = []
    verify = auth_services.verify_password

    def spy(stored_hash: str, password: str) -> bool:
        checked.append(stored_hash)
        return verify(stored_hash, password)

    monkeypatch.setattr(auth_services, "verify_password", spy)
    with app.test_request_context():
        assert authenticate(session, "wang", "wrong-password-1", "127.0.0.1", "scrypt") is None
        assert authenticate(session, "nobody", "wrong-password-1", "127.0.0.1", "scrypt") is None
        real.active = False
        assert authenticate(session, "wang", "leftover-rice-7", "127.0.0.1", "scrypt") is None

    def method(stored: str) -> str:
        # "scrypt:32768:8:1$salt$hash": the method and its cost parameters come before the salt.
        return stored.split("$")[0]

    assert len(checked) == 3
    assert {method(stored) for stored in checked} == {method(real.password_hash)} == {"scrypt:32768:8:1"}
    # The dummy is made once per process and per method, not per login.
    assert checked[1] == checked[2]
