"""Bringing the evidence folders and the event rows back into agreement after a crash.

An upload stages its files, commits its row, then renames the staging folder into place. A crash between
those steps leaves a staging folder (its row committed or not); the code before staging also left event
folders without rows (``<uuid>.incoming`` and finished ones). This finds and repairs all of them, and reports
rows whose folder is missing, which no repair can bring back.
"""
from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from canteen.camera_events.models import CameraEvent
from canteen.camera_events.storage import event_folders, file_name, publish, staged_uuid, staging_folders

# An upload stages, commits and publishes within seconds; anything this old is not in flight any more.
MIN_AGE = timedelta(hours=1)


@dataclass
class Reconciliation:
    """What one run did: folders published or removed, and the rows whose evidence is missing."""

    published: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)


def _old_enough(path: Path, cutoff: datetime) -> bool:
    modified = datetime.fromtimestamp(path.stat().st_mtime, timezone.utc)
    return modified <= cutoff


def _remove(path: Path, report: Reconciliation, root: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)
    report.removed.append(str(path.relative_to(root)))


def _reconcile_staging(session: Session, root: Path, cutoff: datetime, report: Reconciliation) -> None:
    for staging in staging_folders(root):
        if not _old_enough(staging, cutoff):
            continue
        event_uuid = staged_uuid(staging)
        event = (session.scalar(select(CameraEvent).where(CameraEvent.uuid == event_uuid))
                 if event_uuid else None)
        # The row was committed but the rename never happened: the staged files are its evidence.
        if (event is not None and event.media_deleted_at is None and event.media
                and not (root / event.media_dir).exists()):
            publish(root, staging, event.media_dir)
            report.published.append(event.media_dir)
        else:
            _remove(staging, report, root)


def _reconcile_folders(session: Session, root: Path, cutoff: datetime, report: Reconciliation) -> None:
    # Folders are listed before the rows are read: a folder published meanwhile had its row committed first.
    folders = event_folders(root)
    known = set(session.scalars(select(CameraEvent.media_dir)))
    for relative, folder in folders:
        if relative not in known and _old_enough(folder, cutoff):
            _remove(folder, report, root)


def reconcile_evidence(session: Session, root: Path, now: datetime | None = None,
                       min_age: timedelta = MIN_AGE) -> Reconciliation:
    """Publish staged files of committed events, remove folders no row refers to, list rows without files.

    Only folders older than ``min_age`` are touched, so uploads in flight (and demo data being seeded) are
    left alone. Reads only; nothing to commit.
    """
    report = Reconciliation()
    cutoff = (now or datetime.now(timezone.utc)) - min_age
    root = Path(root)
    if root.is_dir():
        _reconcile_staging(session, root, cutoff, report)
        _reconcile_folders(session, root, cutoff, report)
    rows = session.scalars(select(CameraEvent).where(CameraEvent.media_deleted_at.is_(None),
                                                     CameraEvent.media_kinds != "")
                           .order_by(CameraEvent.id))
    report.missing = [row.uuid for row in rows
                      if not all((root / row.media_dir / file_name(kind)).is_file() for kind in row.media)]
    return report
