"""Every form on the pages, each field given each hostile value, answers without a 5xx.

The forms are read off the rendered pages (their fields, defaults and targets), so a form added later is
covered without touching this test; the rows they act on come from the API fuzz world.
"""
from __future__ import annotations

import io
from html.parser import HTMLParser
from typing import Any, Callable
from urllib.parse import urlsplit

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from canteen.diners.models import Diner
from canteen.extensions import db
from tests.api.fuzz_world import build_world

HOSTILE = ["1e30", "1e308", "inf", "nan", "-0", "1" * 5000, "1" * 5000 + ".5", str(2**31), str(2**63), "\x00",
           "a\x00b", "20210801", "2021-W31-1", "0001-01-01", "9999-12-31", "0001-01", "9999-12",
           "0001-01-01T00:00", "9999-12-31T23:59", "x" * 5000, "", "-1"]


class _Forms(HTMLParser):
    """The forms of a page: action, method, enctype and (name, value, type) of each field."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict[str, Any]] = []
        self._select: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {key: value or "" for key, value in attrs}
        if tag == "form":
            self.forms.append({"action": values.get("action", ""),
                               "method": values.get("method", "get").lower(),
                               "enctype": values.get("enctype", ""), "fields": {}, "files": set()})
        elif not self.forms or "name" not in values:
            if tag == "option" and self._select and self.forms:
                self.forms[-1]["fields"].setdefault(self._select, values.get("value", ""))
            return
        elif tag == "input":
            kind = values.get("type", "text")
            if kind == "file":
                self.forms[-1]["files"].add(values["name"])
            elif kind not in ("submit", "button") or values.get("value"):
                self.forms[-1]["fields"].setdefault(values["name"], values.get("value", ""))
        elif tag == "textarea":
            self.forms[-1]["fields"].setdefault(values["name"], "")
        elif tag == "select":
            self._select = values["name"]
        elif tag == "button" and values.get("value"):
            self.forms[-1]["fields"].setdefault(values["name"], values["value"])

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None


def _pages(world: dict[str, Any]) -> list[str]:
    day = "2021-07-05"
    return ["/login", "/ledger/daily?canteen=zonghe&day=" + day,
            "/ledger/disposals?canteen=zonghe&month=2021-07", "/ledger/import",
            "/ledger/month?canteen=zonghe&month=2021-07",
            f"/ledger/cell?canteen=zonghe&day={day}&meal=lunch&stream=plate", "/admin/users", "/admin/tokens",
            "/spot-checks/?canteen=zonghe&month=2021-07", "/spot-checks/new?canteen=zonghe",
            f"/spot-checks/{world['check_id']}", "/assessment/?year=2021",
            f"/assessment/{world['assessment_id']}", "/assessment/summary", "/assessment/contractors",
            f"/assessment/contractors/{world['contractor']}",
            "/review/", f"/review/events/{world['event']}", f"/offences/escalations/{world['escalation']}",
            "/offences/approvals", "/diners/", "/diners/new", f"/diners/{world['diner_id']}/edit",
            "/diners/import", "/audit/"]


def test_hostile_values_in_every_form_field_answer_without_5xx(
        app: Flask, client: FlaskClient, make_user: Callable[..., Any], make_token: Callable[[Any], str],
        login: Callable[[Any], FlaskClient]) -> None:
    admin = make_user("admin")
    world = build_world(app, admin, make_token(admin)).ids
    with app.app_context():
        world["diner_id"] = db.session.scalar(select(Diner.id).where(Diner.card_no == world["card_no"]))
    failures: list[str] = []
    sent = 0
    for page in _pages(world):
        if page != "/login":
            login(admin)
        html = client.get(page)
        assert html.status_code == 200, (page, html.status_code)
        parser = _Forms()
        parser.feed(html.get_data(as_text=True))
        for form in parser.forms:
            target = form["action"] or page
            if urlsplit(target).path in ("/logout",) or target.startswith("/language"):
                continue
            for field in [name for name in form["fields"] if name != "csrf_token"]:
                for value in HOSTILE:
                    sent += 1
                    data: dict[str, Any] = dict(form["fields"], **{field: value})
                    data.update({name: (io.BytesIO(b"x"), "x.csv") for name in form["files"]})
                    try:
                        if form["method"] == "post":
                            response = client.post(target, data=data, content_type=(
                                "multipart/form-data" if form["files"] else None))
                        else:
                            response = client.get(urlsplit(target).path, query_string=data)
                    # The test app propagates exceptions (TESTING) instead of answering 500: each is a 5xx.
                    except Exception as error:  # noqa: BLE001
                        failures.append(f"{form['method']} {target} {field}={value[:30]!r}: {error!r:.200}")
                        continue
                    if response.status_code >= 500:
                        failures.append(f"{form['method']} {target} {field}={value[:30]!r}: "
                                        f"{response.status_code}")
    print(f"hostile forms: {sent} requests")
    assert sent > 1000
    assert not failures, "\n".join(failures)
