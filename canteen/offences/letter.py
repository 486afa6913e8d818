"""The referral letter (PDF) to the discipline inspection body or civilization office."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from flask import render_template
from sqlalchemy import select
from sqlalchemy.orm import Session

from canteen.camera_events.storage import file_name
from canteen.config import AppConfig
from canteen.db import utcnow
from canteen.offences.ladder import standing_offences
from canteen.offences.models import Escalation, Offence
from canteen.offences.window import in_window, local_day
from canteen.camera_events.models import EventReview

# Named explicitly: a PDF font without Chinese glyphs would print the letter as empty boxes.
FONT_FAMILY = "Noto Sans CJK SC"


@dataclass(frozen=True)
class EvidenceFile:
    """A stored evidence file and its fingerprint, so the recipient can verify what they are shown."""

    event_uuid: str
    name: str
    size: int
    sha256: str


@dataclass(frozen=True)
class LetterOffence:
    """An offence that led to the referral, with the decisions taken on it."""

    offence: Offence
    confirmation: EventReview
    escalations: list[Escalation]


def _evidence(media_root: Path, offence: Offence) -> list[EvidenceFile]:
    event = offence.event
    files = []
    for kind in event.media:
        # A public copy the worker marked unusable is a black placeholder that proves nothing: not listed.
        if kind == "snapshot_public" and not event.public_image:
            continue
        path = media_root / event.media_dir / file_name(kind)
        if event.media_deleted_at is None and path.is_file():
            content = path.read_bytes()
            digest = hashlib.sha256(content).hexdigest()
            files.append(EvidenceFile(event.uuid, file_name(kind), len(content), digest))
    return files


def letter_offences(session: Session, settings: AppConfig, referral: Escalation) -> list[LetterOffence]:
    """The standing offences in the window that ends on the referral's offence, up to and including it."""
    anchor = referral.offence
    day = local_day(anchor.occurred_at, settings.zone)
    items = []
    for offence in standing_offences(session, referral.diner):
        # Later offences are left out: the letter states what led to this referral, not what came after it.
        if (offence.occurred_at, offence.id) > (anchor.occurred_at, anchor.id):
            continue
        if not in_window(settings.offences, settings.zone, offence.occurred_at, day):
            continue
        escalations = list(session.scalars(select(Escalation).where(Escalation.offence_id == offence.id)
                                           .order_by(Escalation.id)))
        items.append(LetterOffence(offence, offence.review, escalations))
    return items


def render_letter_html(session: Session, settings: AppConfig, referral: Escalation, media_root: Path,
                       now: datetime | None = None) -> str:
    """The letter as HTML (needs an app context; the caller chooses the language)."""
    now = now or utcnow()
    offences = letter_offences(session, settings, referral)
    evidence = [item for entry in offences for item in _evidence(Path(media_root), entry.offence)]
    return render_template("offences/letter.html", referral=referral, diner=referral.diner, offences=offences,
                           evidence=evidence, settings=settings, body=settings.offences.referral,
                           today=local_day(now, settings.zone), zone=settings.zone, font_family=FONT_FAMILY)


def referral_letter_pdf(session: Session, settings: AppConfig, referral: Escalation, media_root: Path,
                        now: datetime | None = None) -> bytes:
    """The letter as a PDF printed by WeasyPrint."""
    # Imported here: only the letter needs WeasyPrint, a large library with native dependencies.
    from weasyprint import HTML

    html = render_letter_html(session, settings, referral, media_root, now)
    return HTML(string=html).write_pdf()
