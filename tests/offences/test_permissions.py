"""Every role on every page and endpoint of review and the ladder: who gets in, who gets 403, nothing stored.

The contractor sees nothing of diners, a viewer only the public board, evidence only the reviewing roles.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from canteen.auth.models import ROLES
from canteen.core.permissions import PERMISSIONS
from canteen.offences.escalations import approve
from tests.offences.conftest import confirm

PUBLIC = "public"


def recent(days: float) -> datetime:
    return datetime.now(timezone.utc) - timedelta(days=days)


@pytest.fixture
def world(ctx, settings, people, add_diner, add_event):
    """A pending event, a warning, and an approved referral with its exposure; ids for the URLs."""
    add_diner("1001", "张三")
    add_diner("1003", "李娜")
    pending = add_event(recent(0.1))
    warned_event = add_event(recent(2))
    warning = confirm(ctx, settings, people["reviewer"], warned_event, "1001", now=recent(1.9))
    steps = [confirm(ctx, settings, people["reviewer"], add_event(recent(days)), "1003",
                     now=recent(days - 0.1))
             for days in (9, 6, 3)]
    for step in steps[1:]:
        approve(ctx, settings, people["discipline"], step.id, now=recent(2))
    ctx.commit()
    from canteen.diners.services import diner_by_card

    return {"pending": pending.uuid, "event": warned_event.uuid, "warning": warning.id,
            "exposure": steps[1].id, "referral": steps[2].id, "diner": diner_by_card(ctx, "1001").id}


def pages(ids: dict) -> dict[str, tuple[str, str]]:
    """endpoint -> (URL, permission or PUBLIC)."""
    return {
        "review.queue": ("/review/?canteen=zonghe", "camera.view"),
        "review.event_page": (f"/review/events/{ids['event']}", "camera.view"),
        "review.media": (f"/review/media/{ids['event']}/snapshot", "camera.view"),
        "review.media_clip": (f"/review/media/{ids['event']}/clip", "camera.view"),
        "review.diner_search": ("/review/diner-search?q=1001", "camera.review"),
        "review.cameras": ("/review/cameras", "camera.view"),
        "diners.index": ("/diners/?q=1", "diners.view"),
        "diners.new": ("/diners/new", "diners.manage"),
        "diners.edit": (f"/diners/{ids['diner']}/edit", "diners.manage"),
        "diners.import_page": ("/diners/import", "diners.manage"),
        "offences.approvals": ("/offences/approvals", "offences.approve"),
        "offences.warnings": ("/offences/warnings", "offences.view"),
        "offences.exposures": ("/offences/exposures?status=approved", "offences.view"),
        "offences.referrals": ("/offences/referrals", "referrals.view"),
        "offences.escalation_page": (f"/offences/escalations/{ids['referral']}", "offences.view"),
        "offences.letter_pdf": (f"/offences/escalations/{ids['referral']}/letter.pdf", "referrals.view"),
        "offences.evidence_file": (f"/offences/escalations/{ids['exposure']}/evidence/snapshot",
                                   "offences.evidence"),
        "offences.diner_page": ("/offences/diners/1003", "offences.view"),
        "offences.export_json": ("/offences/diners/1003/export.json", "diners.export"),
        "offences.export_zip": ("/offences/diners/1003/export.zip", "diners.export"),
        "offences.retention_log": ("/offences/retention", "diners.export"),
        "exposure.board": ("/exposure", PUBLIC),
        "exposure.snapshot": (f"/exposure/snapshot/{ids['exposure']}.jpg", PUBLIC),
    }


def posts(ids: dict) -> dict[str, tuple[str, str]]:
    """Form actions -> (URL, permission)."""
    escalation = f"/offences/escalations/{ids['warning']}"
    return {
        "review.decide": (f"/review/events/{ids['pending']}/decide", "camera.review"),
        "review.correct": (f"/review/events/{ids['event']}/correct", "camera.review"),
        "review.dismiss_unchanged_page": ("/review/dismiss-unchanged", "camera.review"),
        "diners.new": ("/diners/new", "diners.manage"),
        "diners.edit": (f"/diners/{ids['diner']}/edit", "diners.manage"),
        "diners.import_page": ("/diners/import", "diners.manage"),
        "offences.approve_page": (f"/offences/escalations/{ids['referral']}/approve", "offences.approve"),
        "offences.reject_page": (f"/offences/escalations/{ids['referral']}/reject", "offences.approve"),
        "offences.warning_page": (f"{escalation}/warning", "camera.review"),
        "offences.letter_sent_page": (f"/offences/escalations/{ids['referral']}/letter-sent",
                                      "offences.approve"),
        "offences.appeal_page": (f"{escalation}/appeal", "camera.review"),
        "offences.decide_appeal_page": ("/offences/appeals/1/decide", "offences.approve"),
    }


def api_calls(ids: dict) -> list[tuple[str, str, dict | None, str]]:
    """(method, path, body, permission) for every endpoint of this feature."""
    return [
        ("post", "/diners", {"card_no": "", "name": ""}, "diners.manage"),
        ("get", "/diners?q=1", None, "diners.view"),
        ("get", "/camera-events?status=pending", None, "camera.view"),
        ("post", f"/camera-events/{ids['pending']}/review", {"decision": "bogus"}, "camera.review"),
        ("post", f"/camera-events/{ids['event']}/corrections", {"decision": "bogus"}, "camera.review"),
        ("get", "/diners/1003/offences", None, "offences.view"),
        ("post", f"/escalations/{ids['referral']}/approve", {"note": "x" * 501}, "offences.approve"),
        ("post", f"/escalations/{ids['referral']}/reject", {}, "offences.approve"),
        ("post", f"/escalations/{ids['warning']}/warning-given", {"given_at": "soon"}, "camera.review"),
        ("post", f"/escalations/{ids['referral']}/letter-sent", {"sent_on": "soon"}, "offences.approve"),
        ("post", f"/escalations/{ids['warning']}/appeals", {}, "camera.review"),
        ("post", "/appeals/999/decision", {"outcome": "bogus"}, "offences.approve"),
    ]


def allowed(role: str, permission: str) -> bool:
    return permission == PUBLIC or role in PERMISSIONS[permission]


def test_the_matrix_covers_every_page_of_the_feature(app, world):
    prefixes = ("review.", "diners.", "offences.", "exposure.")
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules() if rule.endpoint.startswith(prefixes)}
    get_endpoints = {rule.endpoint for rule in app.url_map.iter_rules()
                     if rule.endpoint.startswith(prefixes) and "GET" in rule.methods}
    assert get_endpoints == {name for name in pages(world) if name != "review.media_clip"}
    assert endpoints - get_endpoints == {name for name in posts(world)} - get_endpoints


@pytest.mark.parametrize("role", ROLES)
def test_pages_per_role(client, login, make_user, world, role, counts):
    login(make_user(role))
    before = counts()
    for endpoint, (url, permission) in pages(world).items():
        response = client.get(url)
        expected = 200 if allowed(role, permission) else 403
        assert response.status_code == expected, (role, endpoint, response.status_code)
        response.close()
    for endpoint, (url, permission) in posts(world).items():
        response = client.post(url, data={})
        if allowed(role, permission):
            assert response.status_code not in (403, 500), (role, endpoint, response.status_code)
        else:
            assert response.status_code == 403, (role, endpoint, response.status_code)
    writers = PERMISSIONS["camera.review"] | PERMISSIONS["offences.approve"] | PERMISSIONS["diners.manage"]
    if role not in writers:
        assert counts() == before


def test_anonymous_visitors_see_only_the_board(client, world):
    for endpoint, (url, permission) in pages(world).items():
        response = client.get(url)
        if permission == PUBLIC:
            assert response.status_code == 200, endpoint
        else:
            assert response.status_code == 302 and "/login" in response.headers["Location"], endpoint
        response.close()
    for endpoint, (url, _permission) in posts(world).items():
        assert client.post(url, data={}).status_code in (302, 400), endpoint


@pytest.mark.parametrize("role", ROLES)
def test_api_per_role(api_as, world, role, counts):
    api = api_as(role)
    before = counts()
    for method, path, body, permission in api_calls(world):
        response = api.get(path) if method == "get" else api.post(path, json=body)
        if allowed(role, permission):
            assert response.status_code != 403, (role, method, path, response.get_json())
            assert response.status_code < 500
        else:
            assert response.status_code == 403, (role, method, path, response.status_code)
    assert counts() == before, "every call above is refused or invalid: nothing may be stored"


def test_api_needs_a_token(client, world):
    for method, path, body, _permission in api_calls(world):
        response = getattr(client, method)(f"/api/v1{path}", json=body)
        assert response.status_code == 401, path


def test_canteen_scope_limits_reviewers(client, login, make_user, world):
    login(make_user("reviewer", canteens=["badajie"]))
    assert client.get(f"/review/events/{world['event']}").status_code == 404
    assert client.get(f"/review/media/{world['event']}/snapshot").status_code == 404
    assert client.get(f"/offences/escalations/{world['warning']}").status_code == 404
    assert world["event"] not in client.get("/review/?status=confirmed").get_data(as_text=True)
