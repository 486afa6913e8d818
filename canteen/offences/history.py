"""A diner's complete record: every event that named them, every decision, step and appeal, in time order."""
from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from canteen.camera_events.models import CameraEvent
from canteen.config import AppConfig
from canteen.db import utcnow
from canteen.diners.models import Diner
from canteen.offences.ladder import Standing, diner_standing
from canteen.offences.models import Escalation, Offence
from canteen.camera_events.models import EventReview


def iso(value: datetime | None) -> str | None:
    """An ISO-8601 UTC time with 'Z', or None."""
    return value.isoformat().replace("+00:00", "Z") if value else None


@dataclass
class OffenceRecord:
    """An offence with its event, the event's decisions and the steps it triggered."""

    offence: Offence
    reviews: list[EventReview]
    escalations: list[Escalation]
    counted: bool


@dataclass
class DinerRecord:
    """Everything the service holds about one diner."""

    diner: Diner
    standing: Standing
    offences: list[OffenceRecord]
    events: list[CameraEvent]
    timeline: list[dict[str, Any]] = field(default_factory=list)


def _timeline(diner: Diner, offences: list[OffenceRecord],
              reviews: list[EventReview]) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    for review in reviews:
        # A decision that named someone else belongs to this record, their card number does not.
        named = None
        if review.diner is not None:
            named = review.diner.card_no if review.diner_id == diner.id else "other"
        # No author: the system closed a visit without a lasting change (before a later correction).
        author = review.created_by
        items.append({"at": review.created_at, "type": "review", "action": review.decision,
                      "event": review.event.uuid, "number": review.number,
                      "by": author.username if author else None, "by_name": author.name if author else None,
                      "note": review.note, "reason": review.reason, "card_no": named})
    for record in offences:
        for escalation in record.escalations:
            for action in escalation.actions:
                items.append({"at": action.at, "type": "escalation", "action": action.action,
                              "escalation": escalation.id, "step": escalation.step,
                              "event": record.offence.event.uuid,
                              "by": action.actor.username if action.actor else None,
                              "by_name": action.actor.name if action.actor else None, "note": action.note})
            for appeal in escalation.appeals:
                items.append({"at": appeal.entered_at, "type": "appeal", "action": "filed",
                              "appeal": appeal.id, "escalation": escalation.id, "step": escalation.step,
                              "by": appeal.entered_by.username, "by_name": appeal.entered_by.name,
                              "note": appeal.statement})
                if appeal.decided_at:
                    items.append({"at": appeal.decided_at, "type": "appeal", "action": appeal.status,
                                  "appeal": appeal.id, "escalation": escalation.id, "step": escalation.step,
                                  "by": appeal.decided_by.username if appeal.decided_by else None,
                                  "by_name": appeal.decided_by.name if appeal.decided_by else None,
                                  "note": appeal.reason})
    # Reviews, steps and appeals made at the same moment keep that order.
    order = {"review": 0, "escalation": 1, "appeal": 2}
    items.sort(key=lambda item: (item["at"], order[item["type"]]))
    return items


def diner_record(session: Session, settings: AppConfig, diner: Diner, now: datetime | None = None,
                 canteen_ids: Collection[int] | None = None) -> DinerRecord:
    """A diner's record: standing, offences (counted or not), the events that named them, a timeline.

    With ``canteen_ids`` (a reader limited to some canteens), only the events of those canteens and what
    followed from them: the standing, offences, decisions, steps and appeals of other canteens are left out.
    """
    now = now or utcnow()
    standing = diner_standing(session, settings, diner, now, canteen_ids)
    counted = {offence.id for offence in standing.counted}
    # All offences, withdrawn and annulled ones too; whether each counts now is marked, not filtered.
    offences = list(session.scalars(select(Offence).where(Offence.diner_id == diner.id)
                                    .order_by(Offence.occurred_at, Offence.id)))
    # Every event that ever named the diner, even in a decision corrected since: the record must show
    # everything held about them.
    event_ids = set(session.scalars(select(EventReview.event_id).where(EventReview.diner_id == diner.id)))
    event_ids |= {offence.event_id for offence in offences}
    if canteen_ids is not None:
        event_ids = set(session.scalars(select(CameraEvent.id).where(
            CameraEvent.id.in_(event_ids), CameraEvent.canteen_id.in_(canteen_ids)))) if event_ids else set()
        offences = [offence for offence in offences if offence.event_id in event_ids]
    events = list(session.scalars(select(CameraEvent).where(CameraEvent.id.in_(event_ids))
                                  .order_by(CameraEvent.started_at))) if event_ids else []
    reviews = list(session.scalars(select(EventReview).where(EventReview.event_id.in_(event_ids))
                                   .order_by(EventReview.created_at, EventReview.id))) if event_ids else []
    by_event: dict[int, list[EventReview]] = {}
    for review in reviews:
        by_event.setdefault(review.event_id, []).append(review)
    records = []
    for offence in offences:
        escalations = list(session.scalars(select(Escalation).where(Escalation.offence_id == offence.id)
                                           .order_by(Escalation.id)))
        records.append(OffenceRecord(offence, by_event.get(offence.event_id, []), escalations,
                                     offence.id in counted))
    return DinerRecord(diner, standing, records, events, _timeline(diner, records, reviews))


def offence_as_dict(record: OffenceRecord, settings: AppConfig) -> dict[str, Any]:
    """The JSON shape of an offence."""
    offence, event = record.offence, record.offence.event
    return {"id": offence.id, "event": event.uuid, "occurred_at": iso(offence.occurred_at),
            "date": offence.occurred_at.astimezone(settings.zone).date().isoformat(),
            "canteen": event.canteen.code, "camera": event.camera, "counted": record.counted,
            "withdrawn_at": iso(offence.withdrawn_at), "annulled_at": iso(offence.annulled_at),
            # A confirmation is always a person's: the system only ever dismisses.
            "confirmed_by": offence.review.created_by.username if offence.review.created_by else None,
            "confirmed_at": iso(offence.review.created_at)}


def timeline_as_json(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The timeline with times as ISO strings."""
    return [{**item, "at": iso(item["at"])} for item in items]
