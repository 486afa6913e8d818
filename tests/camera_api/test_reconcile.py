"""``canteen reconcile-evidence``: what a crash left between staging, commit and rename is put right."""
from __future__ import annotations

import os
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy.orm import Session

from canteen.auth.models import User
from canteen.camera_events.models import CameraEvent
from canteen.camera_events.reconcile import reconcile_evidence
from canteen.camera_events.storage import media_root, stage, store_atomically
from canteen.reference.services import canteen_by_code

FILES = {"snapshot": b"\xff\xd8\xff snapshot", "snapshot_public": b"\xff\xd8\xff blurred"}


def aged(*paths: Path) -> None:
    """Make folders look two hours old (older than any upload in flight)."""
    old = time.time() - 7200
    for path in paths:
        os.utime(path, (old, old))


def add_row(session: Session, user: User, event_uuid: str, kinds: str = "snapshot,snapshot_public") -> str:
    """An event row (its evidence folder is up to the test); its relative folder."""
    at = datetime(2021, 8, 2, 4, 10, tzinfo=timezone.utc)
    canteen = canteen_by_code(session, "zonghe")
    assert canteen is not None
    session.add(CameraEvent(uuid=event_uuid, camera="tray-zonghe", canteen_id=canteen.id, started_at=at,
                            ended_at=at, start_s=1.0, end_s=2.0, peak_activity=0.1, activity_integral=0.1,
                            scene_changed=True, changed_fraction=0.1, confidence=0.9, end_reason="quiet",
                            media_dir=f"2021/08/{event_uuid}", media_kinds=kinds, received_by_id=user.id))
    session.flush()
    return f"2021/08/{event_uuid}"


@pytest.mark.usefixtures("schema_stamped")
def test_reconcile_publishes_removes_and_reports(app: Flask, session: Session, make_user, runner) -> None:
    user = session.get(User, make_user("manager").id)
    root = media_root(app.instance_path)
    # A committed row whose rename never happened, and a staging folder whose row never committed.
    committed = str(uuid.uuid4())
    committed_dir = add_row(session, user, committed)
    staged_committed = stage(root, committed, FILES)
    staged_lost = stage(root, str(uuid.uuid4()), FILES)
    # A finished folder without a row and a leftover of the old '<uuid>.incoming' staging.
    orphan = store_atomically(root, f"2021/08/{uuid.uuid4()}", FILES)
    incoming = root / "2021" / "08" / f"{uuid.uuid4()}.incoming"
    incoming.mkdir()
    # A row whose files are gone, and an upload in flight (young staging folder) that must be left alone.
    missing = str(uuid.uuid4())
    add_row(session, user, missing)
    in_flight = stage(root, str(uuid.uuid4()), FILES)
    session.commit()
    aged(staged_committed, staged_lost, orphan, incoming)

    result = runner.invoke(args=["reconcile-evidence"])
    assert result.exit_code == 0, result.output
    assert sorted(path.name for path in (root / committed_dir).iterdir()) == ["snapshot.jpg",
                                                                              "snapshot_public.jpg"]
    assert (root / committed_dir / "snapshot.jpg").read_bytes() == FILES["snapshot"]
    assert not staged_committed.exists() and not staged_lost.exists()
    assert not orphan.exists() and not incoming.exists()
    assert in_flight.exists()
    assert f"event without its evidence files: {missing}" in result.output
    assert "1 published, 3 removed, 1 event(s) missing files" in result.output
    # A second run finds nothing more to repair.
    again = reconcile_evidence(session, root, datetime.now(timezone.utc) + timedelta(hours=2))
    assert (again.published, again.missing) == ([], [missing])
    assert again.removed == [in_flight.name]


def test_serving_starts_with_a_reconciliation(app: Flask, session: Session, make_user) -> None:
    from canteen.core.startup import run_startup_tasks

    user = session.get(User, make_user("manager").id)
    root = media_root(app.instance_path)
    committed = str(uuid.uuid4())
    relative = add_row(session, user, committed)
    session.commit()
    aged(stage(root, committed, FILES))
    # What `canteen serve` runs before its first request.
    with app.app_context():
        run_startup_tasks(app)
    assert (root / relative / "snapshot_public.jpg").read_bytes() == FILES["snapshot_public"]
