"""The public board: no login, active approved exposures only, the blurred snapshot only, configurable."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from flask import Flask

from canteen.offences.appeals import file_appeal
from canteen.offences.escalations import approve
from tests.offences.conftest import confirm, evidence, settings_with


def recent(days: float) -> datetime:
    return datetime.now(timezone.utc) - timedelta(days=days)


@pytest.fixture
def board(ctx, settings, people, add_diner, add_event):
    """王芳 approved and on the board, 李四 awaiting approval, 赵六 approved long ago (expired)."""
    add_diner("1001", "王芳", "财务科")
    add_diner("1002", "李四", "人事科")
    add_diner("1003", "赵六", "档案室")
    ids = {}
    for card, (first, second, approved) in {"1001": (5, 2, 1), "1002": (5, 2, None),
                                            "1003": (60, 40, 39)}.items():
        confirm(ctx, settings, people["reviewer"], add_event(recent(first)), card, now=recent(first - 0.1))
        step = confirm(ctx, settings, people["reviewer"], add_event(recent(second)), card,
                       now=recent(second - 0.1))
        if approved:
            approve(ctx, settings, people["discipline"], step.id, now=recent(approved))
        ctx.commit()
        ids[card] = step.id
    return ids


def test_board_is_public_and_shows_only_active_approved_exposures(client, board):
    response = client.get("/exposure")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "王芳" in page and "财务科" in page
    assert "李四" not in page, "awaiting approval"
    assert "赵六" not in page, "expired"
    assert 'http-equiv="refresh"' in page
    assert 'lang="zh-CN"' in page, "Chinese by default"
    assert "1001" not in page, "no card numbers by default"
    assert f"/exposure/snapshot/{board['1001']}.jpg" in page
    assert "/review/media/" not in page and "clip" not in page


def test_only_the_blurred_snapshot_of_an_entry_on_the_board_is_served(client, board):
    image = client.get(f"/exposure/snapshot/{board['1001']}.jpg")
    assert image.status_code == 200 and image.mimetype == "image/jpeg"
    assert image.data == evidence()["snapshot_public"] and image.data != evidence()["snapshot"]
    assert image.headers["Cache-Control"] == "no-store"
    image.close()
    for other in (board["1002"], board["1003"], 999999):
        assert client.get(f"/exposure/snapshot/{other}.jpg").status_code == 404


def test_an_appeal_takes_the_entry_off_the_board(client, ctx, settings, people, board):
    file_appeal(ctx, settings, people["reviewer"], board["1001"], "申诉")
    ctx.commit()
    assert "王芳" not in client.get("/exposure").get_data(as_text=True)
    assert client.get(f"/exposure/snapshot/{board['1001']}.jpg").status_code == 404


def test_evidence_stays_behind_the_reviewer_login(client, ctx, board):
    from canteen.offences.models import Escalation

    event = ctx.get(Escalation, board["1001"]).offence.event
    for kind in ("snapshot", "clip", "snapshot_public"):
        response = client.get(f"/review/media/{event.uuid}/{kind}")
        assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_the_board_shows_what_is_configured(app: Flask, client, settings, board):
    app.config["SETTINGS"] = settings_with(settings, board={"fields": ["name_masked", "canteen", "count"],
                                                            "refresh_seconds": 30, "locale": "en"})
    page = client.get("/exposure").get_data(as_text=True)
    assert "王*" in page and "王芳" not in page and "财务科" not in page
    assert "Integrated Office Area Canteen" in page and 'lang="en"' in page and 'content="30"' in page
    assert "/exposure/snapshot/" not in page
    assert client.get(f"/exposure/snapshot/{board['1001']}.jpg").status_code == 404
    assert 'lang="zh-CN"' in client.get("/exposure?lang=zh_Hans_CN").get_data(as_text=True)


def test_empty_board(client, ctx):
    page = client.get("/exposure").get_data(as_text=True)
    assert 'id="board-empty"' in page
