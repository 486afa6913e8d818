"""The audit page: who did what, when, in words (no keys, ids or codes), filtered and paged; admins and the
discipline office only."""
from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, timezone

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from canteen.audit.journal import JournalFilter, journal
from canteen.audit.models import ChainCheck
from canteen.audit.verify import run_check
from canteen.config import AppConfig
from canteen.ledger.entries import correct_entry
from canteen.ledger.signoff import close_month, prepare_month, reopen_month
from tests.audit.conftest import CANTEEN, MONTH, People


def _rows(page: str) -> list[list[str]]:
    body = page.split('<tbody>', 1)[1].split('</tbody>', 1)[0]
    rows = []
    for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.S):
        cells = [re.sub(r"<[^>]+>", "", cell).strip()
                 for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
        rows.append([re.sub(r"\s+", " ", cell) for cell in cells])
    return rows


@pytest.fixture
def history(ctx: Session, settings: AppConfig, people: People, weigh: Callable,
            count_diners: Callable) -> None:
    """A weighing and its correction, a diner count, a close and a reopening of July, and a clean check."""
    entry = weigh("2021-07-05", "lunch", "plate", "12.5")
    correct_entry(ctx, settings, people["manager"], entry.id, weight="10", unit="kg",
                  reason="scale not zeroed")
    count_diners("2021-07-05", "lunch", 300)
    prepare_month(ctx, settings, people["manager"], CANTEEN, MONTH)
    close_month(ctx, settings, people["assessor"], CANTEEN, MONTH)
    reopen_month(ctx, settings, people["assessor"], CANTEEN, MONTH, "late diner counts")
    ctx.commit()
    run_check(ctx, "nightly")
    ctx.commit()


def test_the_journal_says_who_did_what_when_in_words(history: None, client: FlaskClient, people: People,
                                                     login: Callable) -> None:
    login(people["discipline"])
    page = client.get("/audit/?lang=en").get_data(as_text=True)
    rows = _rows(page)
    # Newest first; the check ran last.
    assert rows[0][1:3] == ["the nightly check", "checked every history chain: no break found"]
    july = "Integrated Office Area Canteen · 2021-07"
    where = f"{july} · 2021-07-05 · Lunch · Plate waste"
    expected = [
        ["assessor", "reopened the monthly ledger", f"{july} · Ledger reopened", "reason: late diner counts"],
        ["assessor", "reviewed and closed the monthly ledger (复核人)",
         f"{july} · Ledger closed by the reviewer"],
        ["manager", "signed the monthly ledger as preparer (填表人)",
         f"{july} · Ledger signed by the preparer", ""],
        ["manager", "entered a diner count", f"{july} · 2021-07-05 · Lunch · diner count", "300 diners"],
        ["manager", "corrected a weighing", where, "10.000 kg · reason: scale not zeroed"],
        ["manager", "recorded a weighing", where, "12.500 kg"],
    ]
    assert len(rows) == 1 + len(expected)
    for row, wanted in zip(rows[1:], expected):
        assert row[1:1 + len(wanted)] == wanted
    assert rows[2][4].startswith("prepared by manager on 20")
    # Local times, to the minute; no ids, codes or hashes anywhere in the table.
    assert all(re.fullmatch(r"20\d\d-\d\d-\d\d \d\d:\d\d", row[0]) for row in rows)
    table = page.split("<tbody>", 1)[1]
    for raw in ("waste_revision", "month_closed", "zonghe", "plate", "ledger:", "nightly<", "None"):
        assert raw not in table


def test_the_journal_filters_and_pages(history: None, ctx: Session, settings: AppConfig, client: FlaskClient,
                                       people: People, login: Callable, weigh: Callable) -> None:
    weigh("2021-08-02", "lunch", "prep", 1)
    login(people["admin"])
    signoffs = _rows(client.get(f"/audit/?kind=signoffs&canteen={CANTEEN}&month={MONTH}&lang=en").get_data(
        as_text=True))
    assert [row[2] for row in signoffs] == ["reopened the monthly ledger",
                                            "reviewed and closed the monthly ledger (复核人)",
                                            "signed the monthly ledger as preparer (填表人)"]
    august = _rows(client.get("/audit/?month=2021-08&lang=en").get_data(as_text=True))
    assert [row[2] for row in august] == ["recorded a weighing"]
    # The check is not about a canteen: a canteen filter leaves it out; the checks filter shows only it.
    checks = _rows(client.get("/audit/?kind=checks&lang=en").get_data(as_text=True))
    assert [row[1] for row in checks] == ["the nightly check"]
    assert "Nothing matches" in client.get("/audit/?canteen=badajie&lang=en").get_data(as_text=True)
    # Unknown filter values are ignored, never a 500; a NUL byte is refused naming the parameter (issue 10).
    assert client.get("/audit/?kind=drop%20table&month=13-2021&page=-4&canteen=zz").status_code == 200
    refused = client.get("/audit/?canteen=%00")
    assert refused.status_code == 400 and "canteen" in refused.get_data(as_text=True)
    lines, total = journal(ctx, settings, JournalFilter(), page=1, per_page=3)
    second, _total = journal(ctx, settings, JournalFilter(), page=2, per_page=3)
    assert total == 8 and len(lines) == 3 and len(second) == 3
    assert [line.at for line in lines + second] == sorted((line.at for line in lines + second), reverse=True)
    assert lines[0].at >= datetime(2021, 1, 1, tzinfo=timezone.utc)


def test_only_admins_and_the_discipline_office_open_the_audit_pages(history: None, ctx: Session,
                                                                    client: FlaskClient, people: People,
                                                                    login: Callable) -> None:
    check = ctx.scalars(select(ChainCheck)).one()
    for role in ("manager", "assessor", "viewer", "reviewer", "contractor"):
        login(people[role])
        assert client.get("/audit/").status_code == 403, role
        assert client.get(f"/audit/checks/{check.id}").status_code == 403, role
        assert 'href="/audit/"' not in client.get("/dashboard").get_data(as_text=True)
        client.post("/logout")
    for role in ("admin", "discipline"):
        login(people[role])
        assert client.get("/audit/").status_code == 200
        assert client.get(f"/audit/checks/{check.id}").status_code == 200
        assert client.get("/audit/checks/999999").status_code == 404
        assert 'href="/audit/"' in client.get("/dashboard").get_data(as_text=True)
        client.post("/logout")
    client.post("/logout")
    assert client.get("/audit/").status_code == 302
