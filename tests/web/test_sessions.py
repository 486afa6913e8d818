"""Sessions end on the server: a copied cookie is useless after logout, a password change or a deactivation;
the session cookie's flags (Secure by configuration or HTTPS, HttpOnly, SameSite) and trusted proxies."""
from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from canteen import create_app
from canteen.auth.models import User
from canteen.auth.web import client_address
from canteen.config import AppConfig
from canteen.extensions import db

PASSWORD = "tray-return-2021"
NEW_PASSWORD = "leftover-rice-7"


def log_in(client: FlaskClient, user: User, password: str = PASSWORD) -> None:
    """Log in through the form."""
    response = client.post("/login", data={"username": user.username, "password": password})
    assert response.status_code == 302, response.data


def copy_of(app: Flask, client: FlaskClient) -> FlaskClient:
    """A second client holding a copy of the first one's session cookie (a stolen or copied cookie)."""
    cookie = client.get_cookie("session")
    assert cookie is not None
    thief = app.test_client()
    thief.set_cookie("session", cookie.value)
    return thief


def logged_in(client: FlaskClient) -> bool:
    """True when the client's session still opens a page that needs a login."""
    return client.get("/canteens").status_code == 200


def test_a_copied_cookie_stops_working_at_logout(app: Flask, make_user: Callable[..., User]) -> None:
    user = make_user("manager", username="wang")
    owner = app.test_client()
    log_in(owner, user)
    thief = copy_of(app, owner)
    assert logged_in(thief)

    assert owner.post("/logout").status_code == 302
    assert not logged_in(owner)
    # The copy still holds the old, validly signed cookie; the server no longer accepts the session in it.
    response = thief.get("/canteens")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    # Logging in again starts a new session that works.
    log_in(owner, user)
    assert logged_in(owner)
    assert not logged_in(thief)


def test_a_password_change_ends_the_other_sessions_and_keeps_this_one(
        app: Flask, make_user: Callable[..., User]) -> None:
    user = make_user("reviewer", username="li")
    here, elsewhere = app.test_client(), app.test_client()
    log_in(here, user)
    log_in(elsewhere, user)
    copied = copy_of(app, here)

    response = here.post("/account/password", data={"current_password": PASSWORD,
                                                    "new_password": NEW_PASSWORD,
                                                    "repeat_password": NEW_PASSWORD})
    assert response.status_code == 302
    assert logged_in(here)
    assert not logged_in(elsewhere)
    assert not logged_in(copied)
    # The old password is gone, the new one works.
    assert app.test_client().post("/login", data={"username": "li", "password": PASSWORD}).status_code == 401
    log_in(app.test_client(), user, NEW_PASSWORD)


@pytest.mark.parametrize("form,field,words", [
    ({"current_password": "wrong-password-1", "new_password": NEW_PASSWORD, "repeat_password": NEW_PASSWORD},
     "current_password", b"this is not your current password"),
    ({"current_password": PASSWORD, "new_password": "short", "repeat_password": "short"},
     "new_password", b"at least 10 characters"),
    ({"current_password": PASSWORD, "new_password": "Password123", "repeat_password": "Password123"},
     "new_password", b"one of the most common passwords"),
    ({"current_password": PASSWORD, "new_password": NEW_PASSWORD, "repeat_password": NEW_PASSWORD + "x"},
     "repeat_password", b"the two new passwords differ"),
    ({"current_password": PASSWORD, "new_password": PASSWORD, "repeat_password": PASSWORD},
     "new_password", b"must differ from the current password"),
])
def test_a_refused_password_change_names_the_field_and_changes_nothing(
        app: Flask, make_user: Callable[..., User], form: dict[str, str], field: str, words: bytes) -> None:
    user = make_user("viewer", username="zhao")
    client, other = app.test_client(), app.test_client()
    client.post("/language/en", data={"next": "/login"})
    log_in(client, user)
    log_in(other, user)
    response = client.post("/account/password", data=form)
    assert response.status_code == 422
    assert f'id="error-{field}"'.encode() in response.data
    assert words in response.data
    # Nothing changed: both sessions go on and the old password still works.
    assert logged_in(client) and logged_in(other)
    log_in(app.test_client(), user)


def test_an_admin_reset_or_deactivation_ends_the_users_sessions(
        app: Flask, make_user: Callable[..., User]) -> None:
    admin = make_user("admin", username="boss")
    cook = make_user("manager", username="cook")
    boss_client, cook_client = app.test_client(), app.test_client()
    boss_client.post("/language/en", data={"next": "/login"})
    log_in(boss_client, admin)
    log_in(cook_client, cook)

    refused = boss_client.post("/admin/users/password", data={"user": str(cook.id), "password": "12345678"})
    assert refused.status_code == 422 and b"at least 10 characters" in refused.data
    assert logged_in(cook_client)
    response = boss_client.post("/admin/users/password",
                                data={"user": str(cook.id), "password": NEW_PASSWORD})
    assert response.status_code == 302
    assert not logged_in(cook_client)
    log_in(cook_client, cook, NEW_PASSWORD)
    kept = copy_of(app, cook_client)

    # Deactivated and reactivated: the cookies from before do not come back to life.
    assert boss_client.post(f"/admin/users/{cook.id}/active").status_code == 302
    assert boss_client.post(f"/admin/users/{cook.id}/active").status_code == 302
    with app.app_context():
        assert db.session.get(User, cook.id).active
    assert not logged_in(cook_client) and not logged_in(kept)
    # An admin sets their own password only through the password change (it asks for the current one).
    own = boss_client.post("/admin/users/password", data={"user": str(admin.id), "password": NEW_PASSWORD})
    assert own.status_code == 422
    assert logged_in(boss_client)


def test_a_cookie_from_before_session_versions_logs_nobody_in(app: Flask,
                                                              make_user: Callable[..., User]) -> None:
    user = make_user("manager", username="wang")
    client = app.test_client()
    with client.session_transaction() as session:
        # What Flask-Login stored before: the bare user id.
        session["_user_id"] = str(user.id)
        session["_fresh"] = True
    assert not logged_in(client)
    with client.session_transaction() as session:
        session["_user_id"] = f"{user.id}:{user.session_version}"
    assert logged_in(client)


# --- the session cookie's flags ----------------------------------------------------------------------------

@pytest.fixture
def build(tmp_path: Path, settings: AppConfig) -> Iterator[Callable[..., Flask]]:
    """``build(secure_cookies=..., trusted_proxies=...)``: an app with those security settings (no database
    is touched: choosing the language sets the session cookie without a login)."""
    apps: list[Flask] = []

    def factory(**security: object) -> Flask:
        data = settings.security.model_dump() | security
        changed = settings.model_copy(update={"security": type(settings.security).model_validate(data)})
        app = create_app({"TESTING": True, "SECRET_KEY": "test-secret", "SETTINGS": changed,
                          "DATABASE_URL": f"sqlite:///{tmp_path / 'unused.db'}",
                          "INSTANCE_PATH": str(tmp_path / "instance"), "WTF_CSRF_ENABLED": False})
        apps.append(app)
        return app

    yield factory
    for app in apps:
        app.extensions["canteen_db"].engine.dispose()


def session_cookie(app: Flask, base_url: str = "http://127.0.0.1:8000",
                   headers: dict[str, str] | None = None) -> str:
    """The Set-Cookie header of a response that writes the session."""
    response = app.test_client().post("/language/en", data={"next": "/login"}, base_url=base_url,
                                      headers=headers or {})
    assert response.status_code == 302
    return response.headers["Set-Cookie"]


def flags(cookie: str) -> set[str]:
    """The cookie's attributes, lower case, without values."""
    return {part.strip().split("=")[0].lower() for part in cookie.split(";")[1:]}


def test_cookie_is_httponly_lax_and_secure_only_over_https_by_default(build: Callable[..., Flask]) -> None:
    app = build()
    plain = session_cookie(app)
    assert "secure" not in flags(plain)
    assert "httponly" in flags(plain) and "SameSite=Lax" in plain
    assert "secure" in flags(session_cookie(app, "https://canteen.example.org"))
    # Without a trusted proxy, a client's own header does not make plain HTTP count as HTTPS.
    assert "secure" not in flags(session_cookie(app, headers={"X-Forwarded-Proto": "https"}))


def test_a_trusted_proxy_saying_https_makes_the_cookie_secure(build: Callable[..., Flask]) -> None:
    app = build(trusted_proxies=1)
    assert "secure" in flags(session_cookie(app, headers={"X-Forwarded-Proto": "https"}))
    assert "secure" not in flags(session_cookie(app, headers={"X-Forwarded-Proto": "http"}))


def test_secure_cookies_always_or_never(build: Callable[..., Flask]) -> None:
    assert "secure" in flags(session_cookie(build(secure_cookies="always")))
    assert "secure" not in flags(session_cookie(build(secure_cookies="never"), "https://canteen.example.org"))


def test_a_trusted_proxy_gives_the_client_address_for_login_throttling(build: Callable[..., Flask]) -> None:
    seen: dict[str, list[str]] = {"direct": [], "proxied": []}
    for name, app in (("direct", build()), ("proxied", build(trusted_proxies=1))):
        app.before_request(lambda name=name: seen[name].append(client_address()))  # type: ignore[misc]
        app.test_client().get("/login", headers={"X-Forwarded-For": "203.0.113.7"},
                              environ_base={"REMOTE_ADDR": "10.0.0.2"})
    # Failed logins are counted per address: behind the proxy, per client, not all on the proxy's address.
    assert seen == {"direct": ["10.0.0.2"], "proxied": ["203.0.113.7"]}
