"""Retention: dismissed evidence deleted after the configured days, expired exposures off the board."""
from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from canteen.camera_events.models import CameraEvent
from canteen.camera_events.storage import media_root
from canteen.offences.escalations import approve
from canteen.offences.models import Escalation, RetentionLog
from canteen.offences.retention import run_retention
from canteen.review.services import review_event
from tests.offences.conftest import confirm, settings_with, utc


def folder(app, event) -> Path:
    return media_root(app.instance_path) / event.media_dir


def test_dismissed_media_is_deleted_after_the_configured_days_and_logged(app, ctx, settings, people,
                                                                         add_diner,
                                                                         add_event):
    add_diner("1001")
    dismissed, kept, confirmed = add_event(utc(2024, 3, 1)), add_event(utc(2024, 3, 1)), add_event(utc(2024,
                                                                                                       3, 1))
    review_event(ctx, settings, people["reviewer"], dismissed.uuid, {"decision": "dismissed"},
                 now=utc(2024, 3, 2))
    review_event(ctx, settings, people["reviewer"], kept.uuid, {"decision": "dismissed"},
                 now=utc(2024, 3, 20))
    confirm(ctx, settings, people["reviewer"], confirmed, "1001", now=utc(2024, 3, 2))
    ctx.commit()
    root = media_root(app.instance_path)

    # 30 days after the dismissal of 2 March, not a moment earlier.
    early = run_retention(ctx, settings, root, utc(2024, 4, 1, 3, 59))
    assert early.media_deleted == 0 and folder(app, dismissed).is_dir()
    result = run_retention(ctx, settings, root, utc(2024, 4, 1, 4, 0))
    ctx.commit()
    assert result.media_deleted == 1
    assert not folder(app, dismissed).exists()
    assert folder(app, kept).is_dir() and folder(app, confirmed).is_dir()
    ctx.expire_all()
    assert ctx.get(CameraEvent, dismissed.id).media_deleted_at == utc(2024, 4, 1, 4, 0)
    log = ctx.scalars(select(RetentionLog)).all()
    assert [(row.kind, row.event_id) for row in log] == [("dismissed_media", dismissed.id)]
    assert dismissed.uuid in log[0].detail

    # Running again deletes nothing twice.
    assert run_retention(ctx, settings, root, utc(2024, 4, 2)).media_deleted == 0


def test_the_days_are_configured(app, ctx, settings, people, add_event):
    event = add_event(utc(2024, 3, 1))
    review_event(ctx, settings, people["reviewer"], event.uuid, {"decision": "dismissed"},
                 now=utc(2024, 3, 2))
    ctx.commit()
    short = settings_with(settings, retention={"dismissed_media_days": 3})
    assert run_retention(ctx, short, media_root(app.instance_path), utc(2024, 3, 5)).media_deleted == 1


def test_a_correction_back_from_dismissed_keeps_the_evidence(app, ctx, settings, people, add_event):
    from canteen.review.services import correct_review

    event = add_event(utc(2024, 3, 1))
    review_event(ctx, settings, people["reviewer"], event.uuid, {"decision": "dismissed"},
                 now=utc(2024, 3, 2))
    correct_review(ctx, settings, people["reviewer2"], event.uuid,
                   {"decision": "unidentified", "reason": "r"},
                   now=utc(2024, 3, 3))
    ctx.commit()
    assert run_retention(ctx, settings, media_root(app.instance_path), utc(2025, 1, 1)).media_deleted == 0
    assert folder(app, event).is_dir()


def test_expired_exposures_leave_the_board_and_are_logged(app, ctx, settings, people, add_diner, add_event):
    add_diner("1001")
    confirm(ctx, settings, people["reviewer"], add_event(utc(2024, 3, 1)), "1001")
    exposure = confirm(ctx, settings, people["reviewer"], add_event(utc(2024, 3, 3)), "1001")
    approve(ctx, settings, people["discipline"], exposure.id, now=utc(2024, 3, 4))
    ctx.commit()
    root = media_root(app.instance_path)
    assert run_retention(ctx, settings, root, utc(2024, 3, 10, 23)).exposures_ended == 0
    assert run_retention(ctx, settings, root, utc(2024, 3, 11)).exposures_ended == 1
    ctx.commit()
    ctx.expire_all()
    ended = ctx.get(Escalation, exposure.id)
    assert ended.left_board_at == utc(2024, 3, 11) and ended.status == "approved"
    assert [action.action for action in ended.actions][-1] == "left_board"
    assert [(row.kind, row.escalation_id) for row in ctx.scalars(select(RetentionLog))] == [
        ("exposure_expired", exposure.id)]
    assert run_retention(ctx, settings, root, utc(2024, 3, 12)).exposures_ended == 0


@pytest.mark.usefixtures("schema_stamped")
def test_cli_retention(app, runner, ctx, settings, people, add_event):
    event = add_event(utc(2024, 3, 1))
    review_event(ctx, settings, people["reviewer"], event.uuid, {"decision": "dismissed"},
                 now=utc(2024, 3, 2))
    ctx.commit()
    result = runner.invoke(args=["retention"])
    assert result.exit_code == 0, result.output
    assert "evidence of 1 dismissed event(s) deleted" in result.output
    assert not folder(app, event).exists()
    ctx.expire_all()
    assert ctx.scalar(select(RetentionLog.kind)) == "dismissed_media"
    assert ctx.get(CameraEvent, event.id).media_deleted_at is not None
    assert utc(2024, 3, 2) + timedelta(days=30) < ctx.get(CameraEvent, event.id).media_deleted_at
