"""Logging in and out, safe redirects, login throttling, CSRF on every form, login-only pages, password
storage."""
from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from urllib.parse import urlencode

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash
from werkzeug.test import TestResponse

from canteen.auth.models import ApiToken, LoginFailure, User
from canteen.auth.services import create_user, login_locked_for
from canteen.config import AppConfig
from canteen.core.guard import public_pages
from canteen.core.timeutil import local_today
from canteen.db import utcnow
from canteen.extensions import db
from canteen.ledger.models import DinerCount, Disposal, WasteEntry
from tests.support import FAST_HASH
from tests.web.helpers import csrf_token_from

PASSWORD = "tray-return-2021"


def log_in(client: FlaskClient, username: str, password: str = PASSWORD,
           next_url: str | None = None) -> TestResponse:
    """POST the login form (CSRF is off in the default test app)."""
    url = "/login" if next_url is None else "/login?" + urlencode({"next": next_url})
    return client.post(url, data={"username": username, "password": password})


def in_english(client: FlaskClient) -> None:
    """Choose English before logging in, so that messages can be compared with their msgids."""
    client.post("/language/en", data={"next": "/login"})


def failures(app: Flask) -> int:
    """How many failed logins are on record."""
    with app.app_context():
        return len(db.session.scalars(select(LoginFailure)).all())


# --- logging in and out ------------------------------------------------------------------------------------

def test_login_lands_on_start_page_and_logout_ends_session(client: FlaskClient,
                                                           make_user: Callable[..., User]) -> None:
    user = make_user("manager", username="wang")
    page = client.get("/login")
    assert page.status_code == 200
    assert b'name="password"' in page.data

    response = log_in(client, "wang")
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    start = client.get("/", follow_redirects=True)
    assert start.status_code == 200 and start.request.path == "/dashboard"
    assert user.username.encode() in start.data

    response = client.post("/logout")
    assert response.status_code == 302
    assert response.headers["Location"] == "/login"
    after = client.get("/")
    assert after.status_code == 302
    assert after.headers["Location"].startswith("/login")


@pytest.mark.parametrize("username,password", [("wang", "wrong-password"), ("nobody", PASSWORD)])
def test_wrong_credentials_answer_401_and_log_nobody_in(client: FlaskClient, make_user: Callable[..., User],
                                                        username: str, password: str) -> None:
    make_user("manager", username="wang")
    in_english(client)
    response = log_in(client, username, password)
    assert response.status_code == 401
    assert b"Wrong user name or password." in response.data
    assert b'name="password"' in response.data
    assert client.get("/").status_code == 302


def test_deactivated_user_cannot_log_in(app: Flask, client: FlaskClient,
                                        make_user: Callable[..., User]) -> None:
    user = make_user("manager", username="gone")
    with app.app_context():
        db.session.get(User, user.id).active = False
        db.session.commit()
    assert log_in(client, "gone").status_code == 401


def test_login_form_without_fields_is_a_bad_request(client: FlaskClient) -> None:
    response = client.post("/login", data={"username": "", "password": ""})
    assert response.status_code == 400
    assert b'name="username"' in response.data


# --- the next parameter ------------------------------------------------------------------------------------

def test_next_returns_to_the_page_that_asked_for_login(client: FlaskClient,
                                                       make_user: Callable[..., User]) -> None:
    make_user("manager", username="wang")
    asked = client.get("/ledger/month?canteen=zonghe")
    assert asked.status_code == 302
    login_url = asked.headers["Location"]
    assert login_url.startswith("/login?next=")
    response = client.post(login_url, data={"username": "wang", "password": PASSWORD})
    assert response.status_code == 302
    assert response.headers["Location"] == "/ledger/month?canteen=zonghe"


@pytest.mark.parametrize("target", [
    "http://evil.example/",
    "https://evil.example/ledger/month",
    "//evil.example",
    "///evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "/\\/evil.example",
    "/\t/evil.example",
    "/\n/evil.example",
    " //evil.example",
    "javascript:alert(1)",
    "evil.example",
    "http:/evil.example",
])
def test_next_never_leaves_the_site(client: FlaskClient, make_user: Callable[..., User], target: str) -> None:
    make_user("manager", username="wang")
    response = log_in(client, "wang", next_url=target)
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def test_language_switch_redirect_stays_on_site(client: FlaskClient) -> None:
    response = client.post("/language/en", data={"next": "//evil.example/"})
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    response = client.post("/language/en", data={"next": "/login"})
    assert response.headers["Location"] == "/login"


# --- throttling --------------------------------------------------------------------------------------------

def test_sixth_attempt_is_refused_even_with_the_right_password(app: Flask, client: FlaskClient,
                                                               make_user: Callable[..., User],
                                                               settings: AppConfig) -> None:
    make_user("manager", username="wang")
    in_english(client)
    assert settings.security.login_max_failures == 5
    for _attempt in range(5):
        assert log_in(client, "wang", "wrong-password").status_code == 401
    assert failures(app) == 5

    refused = log_in(client, "wang")
    assert refused.status_code == 429
    assert b"Too many failed attempts" in refused.data
    assert client.get("/").status_code == 302
    # A refused attempt is not checked at all, so it adds no failure either.
    assert failures(app) == 5

    # The lock lasts login_lockout_seconds after the last failure; move the failures into the past.
    with app.app_context():
        for failure in db.session.scalars(select(LoginFailure)):
            failure.at -= timedelta(seconds=settings.security.login_lockout_seconds + 1)
        db.session.commit()
    assert log_in(client, "wang").status_code == 302
    assert failures(app) == 0


def test_success_clears_the_failure_counter(app: Flask, client: FlaskClient,
                                            make_user: Callable[..., User]) -> None:
    make_user("manager", username="wang")
    for _attempt in range(4):
        log_in(client, "wang", "wrong-password")
    assert log_in(client, "wang").status_code == 302
    assert failures(app) == 0
    client.post("/logout")
    # Without the reset these would be failures 5 to 8 and the next try would be locked.
    for _attempt in range(4):
        assert log_in(client, "wang", "wrong-password").status_code == 401
    assert log_in(client, "wang").status_code == 302


def test_failures_outside_the_window_do_not_count(app: Flask, client: FlaskClient,
                                                  make_user: Callable[..., User],
                                                  settings: AppConfig) -> None:
    make_user("manager", username="wang")
    old = utcnow() - timedelta(minutes=settings.security.login_window_minutes + 1)
    with app.app_context():
        db.session.add_all(LoginFailure(key="wang|127.0.0.1", at=old) for _n in range(10))
        db.session.commit()
    assert log_in(client, "wang").status_code == 302


def test_lock_is_per_user_name(app: Flask, client: FlaskClient, make_user: Callable[..., User]) -> None:
    make_user("manager", username="wang")
    make_user("manager", username="li")
    for _attempt in range(5):
        log_in(client, "wang", "wrong-password")
    assert log_in(client, "wang").status_code == 429
    assert log_in(client, "li").status_code == 302


def test_wait_doubles_with_each_failure_past_the_limit(session: Session, settings: AppConfig) -> None:
    security = settings.security
    start = utcnow()
    for _n in range(security.login_max_failures):
        session.add(LoginFailure(key="wang|10.0.0.1", at=start))
    session.commit()
    assert (login_locked_for(session, "wang", "10.0.0.1", security, now=start)
            == security.login_lockout_seconds)
    assert (login_locked_for(session, "WANG ", "10.0.0.1", security, now=start)
            == security.login_lockout_seconds)
    assert login_locked_for(session, "wang", "10.0.0.2", security, now=start) == 0
    later = start + timedelta(seconds=security.login_lockout_seconds)
    assert login_locked_for(session, "wang", "10.0.0.1", security, now=later) == 0

    session.add(LoginFailure(key="wang|10.0.0.1", at=start))
    session.commit()
    assert (login_locked_for(session, "wang", "10.0.0.1", security, now=start)
            == 2 * security.login_lockout_seconds)
    assert (login_locked_for(session, "wang", "10.0.0.1", security, now=later)
            == security.login_lockout_seconds)


# --- CSRF --------------------------------------------------------------------------------------------------

@pytest.fixture
def csrf_app(csrf_app: Flask) -> Flask:
    """The test app with CSRF protection on, as in production, with an admin and a manager."""
    with csrf_app.app_context():
        create_user(db.session, "boss", "admin", PASSWORD, hash_method=FAST_HASH)
        create_user(db.session, "other", "manager", PASSWORD, hash_method=FAST_HASH)
        db.session.commit()
    return csrf_app


def _stored(app: Flask) -> dict[str, object]:
    with app.app_context():
        boss = db.session.scalar(select(User).where(User.username == "boss"))
        other = db.session.scalar(select(User).where(User.username == "other"))
        entries = db.session.scalars(select(WasteEntry)).all()
        return {
            "entries": [(entry.weight_g, entry.voided, len(entry.revisions)) for entry in entries],
            "diners": len(db.session.scalars(select(DinerCount)).all()),
            "disposals": len(db.session.scalars(select(Disposal)).all()),
            "users": len(db.session.scalars(select(User)).all()),
            "tokens": len(db.session.scalars(select(ApiToken)).all()),
            "boss_locale": boss.locale if boss else None,
            "other_active": other.active if other else None,
            "failures": len(db.session.scalars(select(LoginFailure)).all()),
            "passwords": sorted(db.session.scalars(select(User.password_hash))),
            "session_versions": sorted(db.session.scalars(select(User.session_version))),
        }


def test_csrf_is_enforced_on_every_form(csrf_app: Flask, settings: AppConfig) -> None:
    client = csrf_app.test_client()
    # Without a token even the login form is refused, and no failure is recorded.
    refused = client.post("/login", data={"username": "boss", "password": PASSWORD})
    assert refused.status_code == 400
    assert client.get("/").status_code == 302

    token = csrf_token_from(client.get("/login").data)
    assert client.post("/login", data={"username": "boss", "password": PASSWORD,
                                       "csrf_token": token}).status_code == 302
    day = (local_today(settings.zone) - timedelta(days=2)).isoformat()
    # One entry to correct and void, through the page itself, with its token.
    daily = client.get(f"/ledger/daily?canteen=zonghe&day={day}")
    token = csrf_token_from(daily.data)
    saved = client.post("/ledger/daily", data={"csrf_token": token, "canteen": "zonghe", "day": day,
                                               "unit": "kg", "w-lunch-plate": "12"})
    assert saved.status_code == 302
    with csrf_app.app_context():
        entry_id = db.session.scalar(select(WasteEntry.id))
        other_id = db.session.scalar(select(User.id).where(User.username == "other"))
    before = _stored(csrf_app)
    assert before["entries"] == [(12000, False, 1)]

    forms = {
        "auth.login": ("/login", {"username": "boss", "password": "wrong"}),
        "auth.logout": ("/logout", {}),
        "auth.set_language": ("/language/en", {"next": "/"}),
        "ledger.daily_page": ("/ledger/daily", {"canteen": "zonghe", "day": day, "unit": "kg",
                                                "w-lunch-plate": "15", "w-lunch-prep": "3", "d-lunch": "300",
                                                "reason": "typo"}),
        "ledger.correct_page": (f"/ledger/entries/{entry_id}/correct", {"weight": "13", "unit": "kg",
                                                                        "reason": "typo"}),
        "ledger.void_page": (f"/ledger/entries/{entry_id}/void", {"reason": "duplicate"}),
        "ledger.disposals_page": ("/ledger/disposals?canteen=zonghe", {
            "date": day, "receiver_kind": "hauler", "receiver": "Green Haul", "manifest_no": "M1",
            "waste_type": "food", "weight": "20", "unit": "kg"}),
        "ledger.import_page": ("/ledger/import", {}),
        "admin.users": ("/admin/users", {"username": "intruder", "role": "admin", "password": "password999"}),
        "admin.toggle_active": (f"/admin/users/{other_id}/active", {}),
        "admin.tokens": ("/admin/tokens", {"username": "boss", "name": "stolen"}),
        "admin.reset_password": ("/admin/users/password", {"user": str(other_id),
                                                           "password": "taken-over-2021"}),
        "auth.password_page": ("/account/password", {"current_password": PASSWORD,
                                                     "new_password": "taken-over-2021",
                                                     "repeat_password": "taken-over-2021"}),
    }
    post_endpoints = {rule.endpoint for rule in csrf_app.url_map.iter_rules()
                      if "POST" in (rule.methods or set()) and not rule.rule.startswith("/api/")
                      and rule.endpoint.split(".")[0] in {"auth", "home", "ledger", "admin"}}
    assert post_endpoints == set(forms), "a new form needs a CSRF check here"

    for endpoint, (url, data) in forms.items():
        response = client.post(url, data=data)
        assert response.status_code == 400, endpoint
        assert _stored(csrf_app) == before, endpoint
    # Still logged in: the logout without a token did nothing.
    assert client.get("/canteens").status_code == 200


def test_every_form_of_every_feature_refuses_a_missing_csrf_token(csrf_app: Flask) -> None:
    client = csrf_app.test_client()
    token = csrf_token_from(client.get("/login").data)
    client.post("/login", data={"username": "boss", "password": PASSWORD, "csrf_token": token})
    samples = {"IntegerConverter": 1, "PathConverter": "x/y"}
    urls = {}
    with csrf_app.test_request_context():
        for rule in csrf_app.url_map.iter_rules():
            if "POST" in (rule.methods or set()) and not rule.rule.startswith("/api/"):
                values = {name: samples.get(type(converter).__name__, "x")
                          for name, converter in rule._converters.items()}
                urls[rule.endpoint] = csrf_app.url_for(rule.endpoint, **values)
    for endpoint, url in urls.items():
        response = client.post(url, data={})
        assert response.status_code == 400, (endpoint, url, response.status_code)
    assert len(urls) > 20


def test_csrf_token_from_the_page_is_accepted(csrf_app: Flask) -> None:
    client = csrf_app.test_client()
    token = csrf_token_from(client.get("/login").data)
    client.post("/login", data={"username": "boss", "password": PASSWORD, "csrf_token": token})
    page = client.get("/admin/users")
    token = csrf_token_from(page.data)
    response = client.post("/admin/users", data={"csrf_token": token, "username": "newcook", "role": "viewer",
                                                 "password": "password999"})
    assert response.status_code == 302
    assert _stored(csrf_app)["users"] == 3


# --- pages need a login ------------------------------------------------------------------------------------

PUBLIC = {"auth.login", "healthz", "static",
          # The language switch must work on the login page, before anyone is logged in.
          "auth.set_language"}

URL_ARGUMENTS = {"entry_id": 1, "user_id": 1, "code": "en", "filename": "style.css"}


def test_every_page_but_login_and_health_needs_a_login(app: Flask, client: FlaskClient) -> None:
    # Whole blueprints without a login: the public exposure board (the token-only API, under /api/, checks its
    # own tokens).
    public_blueprints = public_pages(app)["blueprints"]
    assert public_blueprints == {"exposure"}
    assert public_pages(app)["endpoints"] == PUBLIC
    checked = 0
    for rule in app.url_map.iter_rules():
        public = rule.endpoint in PUBLIC or rule.endpoint.split(".")[0] in public_blueprints
        if public or rule.rule.startswith("/api/"):
            continue
        url = rule.build({name: URL_ARGUMENTS.get(name, 1) for name in rule.arguments})[1]
        method = "GET" if "GET" in (rule.methods or set()) else "POST"
        response = client.open(url, method=method)
        assert response.status_code == 302, rule.rule
        assert response.headers["Location"].startswith("/login?next="), rule.rule
        checked += 1
    assert checked >= 12


def test_public_pages_answer_without_login(client: FlaskClient) -> None:
    assert client.get("/login").status_code == 200
    assert client.get("/healthz").get_json() == {"status": "ok"}
    with client.get("/static/style.css") as response:  # a file response: close it
        assert response.status_code == 200


# --- passwords ---------------------------------------------------------------------------------------------

def test_passwords_are_stored_hashed(app: Flask, client: FlaskClient, make_user: Callable[..., User],
                                     login: Callable[[User], FlaskClient]) -> None:
    admin = make_user("admin", username="boss")
    login(admin)
    response = client.post("/admin/users", data={"username": "cook", "role": "viewer",
                                                 "password": "secret-pass-1"})
    assert response.status_code == 302
    with app.app_context():
        for user, password in ((db.session.get(User, admin.id), PASSWORD),
                               (db.session.scalar(select(User).where(User.username == "cook")),
                                "secret-pass-1")):
            assert user is not None
            assert password not in user.password_hash
            assert user.password_hash.startswith("pbkdf2:sha256:")
            assert check_password_hash(user.password_hash, password)


def test_default_hash_is_scrypt(session: Session) -> None:
    user = create_user(session, "prod", "viewer", "long-password-1")
    assert user.password_hash.startswith("scrypt:")
    assert check_password_hash(user.password_hash, "long-password-1")
