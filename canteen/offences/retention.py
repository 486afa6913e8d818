"""Retention: old evidence of dismissed events is deleted, expired exposures leave the board.

Every deletion is written to ``retention_log``. Running it again deletes nothing twice, so the scheduler may
retry after a failed commit.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from canteen.camera_events.models import CameraEvent
from canteen.camera_events.storage import remove_media
from canteen.config import AppConfig
from canteen.offences.ladder import log_action
from canteen.offences.models import Escalation, RetentionLog
from canteen.camera_events.models import EventReview


@dataclass(frozen=True)
class RetentionResult:
    """What one run removed."""

    media_deleted: int
    exposures_ended: int


def _dismissed_before(session: Session, cutoff: datetime) -> list[CameraEvent]:
    """Dismissed events with evidence whose dismissal (the newest decision) is older than ``cutoff``."""
    # The newest decision counts: an event first confirmed, then corrected to dismissed, keeps its evidence
    # for the full period after the dismissal.
    newest = (select(EventReview.event_id, func.max(EventReview.created_at).label("decided_at"))
              .group_by(EventReview.event_id).subquery())
    return list(session.scalars(
        select(CameraEvent).join(newest, newest.c.event_id == CameraEvent.id)
        .where(CameraEvent.status == "dismissed", CameraEvent.media_deleted_at.is_(None),
               newest.c.decided_at <= cutoff)
        .order_by(CameraEvent.id)))


def run_retention(session: Session, settings: AppConfig, media_root: Path, now: datetime) -> RetentionResult:
    """Delete dismissed events' media and take expired exposures off the board, logging each; flushes only."""
    cutoff = now - timedelta(days=settings.offences.retention.dismissed_media_days)
    media_deleted = 0
    for event in _dismissed_before(session, cutoff):
        kinds = event.media_kinds
        # Files go before the commit; if the commit fails, the next run finds the same events and removing an
        # absent folder is harmless.
        remove_media(Path(media_root), event.media_dir)
        # media_kinds stays as it was, so the log and the diner's record can say what existed; this timestamp
        # is what marks the files as gone.
        event.media_deleted_at = now
        detail = f"event {event.uuid}: {event.media_dir} ({kinds or 'no files'})"
        session.add(RetentionLog(at=now, kind="dismissed_media", event_id=event.id, detail=detail[:500]))
        media_deleted += 1
    exposures_ended = 0
    # The board already hides expired exposures by their expiry time; this records the moment they left it and
    # writes the log.
    expired = session.scalars(select(Escalation).where(
        Escalation.step == "exposure", Escalation.status == "approved", Escalation.left_board_at.is_(None),
        Escalation.expires_at <= now).order_by(Escalation.id))
    for escalation in expired:
        expires_at = escalation.expires_at
        assert expires_at is not None  # the query selected expires_at <= now
        escalation.left_board_at = now
        log_action(escalation, "left_board", None, now, "expired")
        session.add(RetentionLog(at=now, kind="exposure_expired", escalation_id=escalation.id,
                                 detail=f"exposure of card {escalation.diner.card_no} expired "
                                        f"{expires_at.isoformat()}"[:500]))
        exposures_ended += 1
    session.flush()
    return RetentionResult(media_deleted, exposures_ended)
