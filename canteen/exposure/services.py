"""What the public board shows: active approved exposures, and at most their public images.

A public image is the camera worker's settled after-view of the bin once the diner had left, with everything
outside the bin pixelated. When the worker could not make one (the bin never became still: ``public_image``
false, the file is a black placeholder), the exposure is still shown, in words only: the step was decided
on the raw evidence by two people, and a missing illustration must not undo it.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from canteen.camera_events.storage import file_name
from canteen.config import AppConfig
from canteen.offences.ladder import counted_offences, on_board
from canteen.offences.models import Escalation

# Only the public copy may be published: no likeness without consent (PIPL art. 25, Civil Code art. 1019).
PUBLIC_KIND = "snapshot_public"


@dataclass(frozen=True)
class BoardEntry:
    """One exposure as the board may show it."""

    escalation_id: int
    name: str
    department: str
    canteen_zh: str
    canteen_en: str
    day: date
    count: int
    has_snapshot: bool

    @property
    def masked_name(self) -> str:
        """The family name followed by asterisks (张**)."""
        return self.name[:1] + "*" * max(1, len(self.name) - 1) if self.name else ""


def active_exposures(session: Session, now: datetime) -> list[Escalation]:
    """Approved exposures between approval and expiry, not suspended by an appeal, newest first."""
    rows = session.scalars(select(Escalation).where(
        Escalation.step == "exposure", Escalation.status == "approved", Escalation.starts_at <= now,
        Escalation.expires_at > now, Escalation.left_board_at.is_(None))
        .order_by(Escalation.starts_at.desc()))
    # The query narrows by time; on_board adds the appeal rule, so the board and the ladder agree.
    return [row for row in rows if on_board(row, now)]


def _has_public_snapshot(escalation: Escalation) -> bool:
    event = escalation.offence.event
    # media still lists kinds after retention deleted the files, so the deletion time is checked too; a
    # public copy the worker marked unusable is never published.
    return event.media_deleted_at is None and event.public_image and PUBLIC_KIND in event.media


def board_entries(session: Session, settings: AppConfig, now: datetime) -> list[BoardEntry]:
    """The entries of the public board."""
    entries = []
    for escalation in active_exposures(session, now):
        diner, event = escalation.diner, escalation.offence.event
        entries.append(BoardEntry(
            escalation.id, diner.name, diner.department, event.canteen.name_zh, event.canteen.name_en,
            escalation.offence.occurred_at.astimezone(settings.zone).date(),
            # The count is the diner's count now, in today's window, not the ordinal when the step started.
            len(counted_offences(session, settings, diner, now)), _has_public_snapshot(escalation)))
    return entries


def public_snapshot_path(session: Session, media_root: Path, escalation_id: int,
                         now: datetime) -> Path | None:
    """The public image of an exposure currently on the board; None for anything else."""
    escalation = session.get(Escalation, escalation_id)
    # Checked per request: an exposure that expired or was suspended since the page loaded serves no image.
    if escalation is None or not on_board(escalation, now) or not _has_public_snapshot(escalation):
        return None
    path = Path(media_root) / escalation.offence.event.media_dir / file_name(PUBLIC_KIND)
    return path if path.is_file() else None
