"""Triage of the review queue: the detector's verdict in words, bulk dismissal of visits that left no
lasting change, and their closing by the system after a configured time.

Most visits at a tray return leave nothing in the bin. A reviewer may dismiss such visits several at once:
each is still a normal first decision ("not a dump") by that reviewer, written by ``review_event``, so
revisions, four eyes and the ladder treat it like any other. Visits nobody looked at are closed by the system
after ``offences.triage.close_unchanged_after_hours``: a first decision without an author, with the reason;
their evidence then follows the retention of dismissed events, and a dismissed event is never published.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, cast

from flask_babel import gettext as _
from sqlalchemy import CursorResult, false, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from canteen.auth.models import User
from canteen.camera_events.models import CameraEvent, EventReview
from canteen.config import AppConfig
from canteen.core.errors import Conflict, FieldErrors, Forbidden, NotFound
from canteen.core.permissions import has_permission
from canteen.core.validation import clean_text
from canteen.db import utcnow
from canteen.review.services import QUEUE_LIMIT, get_event, review_event

# The detector scores visits without a lasting change below 0.3, lasting changes from 0.5 up (docs/camera.md).
HIGH_CONFIDENCE = 0.75
MEDIUM_CONFIDENCE = 0.5
# Stored in English as the reason of the system's decision; pages put it into the reader's language.
SYSTEM_CLOSE_REASON = "closed by the system: no lasting change, not reviewed within {hours} h"
_SYSTEM_CLOSE = re.compile(r"^closed by the system: no lasting change, not reviewed within (\d+) h$")


def confidence_level(value: float) -> str:
    """The detector's confidence as a level: high, medium or low."""
    if value >= HIGH_CONFIDENCE:
        return "high"
    return "medium" if value >= MEDIUM_CONFIDENCE else "low"


def system_close_hours(review: EventReview) -> int | None:
    """The hours after which the system closed the event, for a system decision; None for a person's."""
    if review.created_by_id is not None or not review.reason:
        return None
    match = _SYSTEM_CLOSE.match(review.reason)
    return int(match.group(1)) if match else None


@dataclass
class BulkResult:
    """What a bulk dismissal did: the visits dismissed, and those someone else had decided meanwhile."""

    dismissed: list[CameraEvent] = field(default_factory=list)
    already_decided: list[CameraEvent] = field(default_factory=list)


def _chosen_events(session: Session, actor: User, event_uuids: Any, errors: FieldErrors) -> list[CameraEvent]:
    """The chosen events, each once; every problem is named under ``events``."""
    if not isinstance(event_uuids, (list, tuple)) or not event_uuids:
        errors["events"] = _("choose at least one visit")
        return []
    if len(event_uuids) > QUEUE_LIMIT:
        errors["events"] = _("at most %(count)s visits at once", count=QUEUE_LIMIT)
        return []
    events: dict[int, CameraEvent] = {}
    for raw in event_uuids:
        try:
            event = get_event(session, actor, raw)
        except NotFound:
            errors["events"] = _("a chosen visit does not exist or is outside your canteens")
            return []
        # Only the detector's "nothing left behind" may be dismissed unseen in a batch; a lasting change is a
        # possible dump that a person must look at.
        if event.scene_changed:
            errors["events"] = _("a visit that left a lasting change must be reviewed on its own")
            return []
        events.setdefault(event.id, event)
    return list(events.values())


def dismiss_unchanged(session: Session, settings: AppConfig, actor: User, event_uuids: Any, note: Any = "",
                      now: datetime | None = None) -> BulkResult:
    """Dismiss several visits without a lasting change as 'not a dump', one normal first decision each.

    All or nothing for bad input (an unknown visit, one with a lasting change); a visit that someone else
    decided in the meantime is left as they decided it and reported.
    """
    now = now or utcnow()
    if not has_permission(actor, "camera.review"):
        raise Forbidden(_("your role may not review camera events"))
    errors = FieldErrors()
    events = _chosen_events(session, actor, event_uuids, errors)
    note = clean_text(note, "note", 500, errors)
    errors.raise_if_any(_("nothing was dismissed"))
    result = BulkResult()
    for event in events:
        if event.status != "pending":
            result.already_decided.append(event)
            continue
        try:
            review_event(session, settings, actor, event.uuid, {"decision": "dismissed", "note": note},
                         now=now)
        except Conflict:
            # Decided by another reviewer between the page and this request; the review service wrote nothing.
            result.already_decided.append(event)
            continue
        result.dismissed.append(event)
    session.flush()
    return result


def _close_one(session: Session, event_id: int, reason: str, now: datetime) -> bool:
    """Close one pending visit as the system; False when someone decided it first."""
    try:
        with session.begin_nested():
            # Compare-and-set on the status (it works on SQLite, where FOR UPDATE does nothing): a reviewer
            # who decided the visit a moment ago keeps their decision.
            changed = session.execute(update(CameraEvent).where(
                CameraEvent.id == event_id, CameraEvent.status == "pending").values(status="dismissed"))
            # An UPDATE answers a CursorResult, whose rowcount says whether this call changed the row.
            if cast(CursorResult[Any], changed).rowcount != 1:
                return False
            session.add(EventReview(event_id=event_id, number=1, decision="dismissed", diner_id=None, note="",
                                    reason=reason, created_by_id=None, created_at=now))
    except IntegrityError:
        # A first decision of a reviewer was stored at the same moment (the unique event and number).
        return False
    return True


def close_unchanged_events(session: Session, settings: AppConfig, now: datetime | None = None) -> int | None:
    """Close pending visits without a lasting change that waited longer than configured (None: disabled)."""
    now = now or utcnow()
    hours = settings.offences.triage.close_unchanged_after_hours
    if hours == 0:
        return None
    # Counted from arrival, not from the visit: an event delivered late from a worker's outbox still waits
    # its full time in the queue.
    cutoff = now - timedelta(hours=hours)
    candidates = session.scalars(select(CameraEvent.id).where(
        CameraEvent.status == "pending", CameraEvent.scene_changed == false(),
        CameraEvent.received_at <= cutoff).order_by(CameraEvent.id)).all()
    reason = SYSTEM_CLOSE_REASON.format(hours=hours)
    closed = sum(1 for event_id in candidates if _close_one(session, event_id, reason, now))
    session.flush()
    return closed
