"""Reviewing camera events: the queue, a first decision, and corrections kept as new revisions."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Any, cast

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from canteen.auth.models import User
from canteen.camera_events.models import DECISIONS, EVENT_STATUSES, CameraEvent, EventReview
from canteen.camera_events.services import visible_canteen_ids
from canteen.config import AppConfig
from canteen.core.errors import Conflict, FieldErrors, Forbidden, NotFound
from canteen.core.permissions import can_access_canteen, has_permission
from canteen.core.validation import clean_text
from canteen.db import utcnow
from canteen.diners.models import Diner
from canteen.diners.services import diner_by_card
from canteen.offences.ladder import decider_ids, end_offence, record_offence
from canteen.offences.models import Appeal, Escalation, Offence
from canteen.reference.models import Canteen

QUEUE_LIMIT = 200
# Triage by the detector's verdict: visits that left a lasting change in the bin (a deposit, or something
# taken away), visits that left none, or both.
CHANGE_FILTERS = ("all", "changed", "unchanged")


@dataclass(frozen=True)
class QueueFilter:
    """What the reviewer narrowed the queue to."""

    status: str = "pending"
    canteen: str | None = None
    camera: str | None = None
    day: date | None = None
    change: str = "all"


def parse_filter(args: Any, errors: FieldErrors) -> QueueFilter:
    """Read status, canteen, camera, day and the lasting-change filter from query arguments."""
    status = (args.get("status") or "pending").strip()
    if status not in EVENT_STATUSES:
        errors["status"] = _("one of %(values)s", values=", ".join(EVENT_STATUSES))
    change = (args.get("change") or "all").strip()
    if change not in CHANGE_FILTERS:
        errors["change"] = _("one of %(values)s", values=", ".join(CHANGE_FILTERS))
    day = None
    if args.get("day"):
        try:
            day = date.fromisoformat(args["day"].strip())
        except ValueError:
            errors["day"] = _("expected a date as YYYY-MM-DD")
    canteen = (args.get("canteen") or "").strip() or None
    camera = (args.get("camera") or "").strip() or None
    return QueueFilter(status, canteen, camera, day, change)


def list_events(session: Session, settings: AppConfig, actor: User, wanted: QueueFilter,
                limit: int = QUEUE_LIMIT) -> list[CameraEvent]:
    """Events in the actor's scope matching the filter: lasting changes first, then by confidence, newest."""
    if not has_permission(actor, "camera.view"):
        raise Forbidden(_("your role may not see camera events"))
    visible = visible_canteen_ids(session, actor)
    statement = select(CameraEvent).join(Canteen).where(CameraEvent.status == wanted.status,
                                                        CameraEvent.canteen_id.in_(visible))
    if wanted.canteen:
        statement = statement.where(Canteen.code == wanted.canteen)
    if wanted.camera:
        statement = statement.where(CameraEvent.camera == wanted.camera)
    if wanted.day:
        # A day is the canteens' local day, from local midnight to the next.
        start = datetime.combine(wanted.day, time(0), tzinfo=settings.zone).astimezone(timezone.utc)
        statement = statement.where(CameraEvent.started_at >= start,
                                    CameraEvent.started_at < start + timedelta(days=1))
    if wanted.change != "all":
        statement = statement.where(CameraEvent.scene_changed == (wanted.change == "changed"))
    # Most visits at a tray return leave nothing behind: those that did are what a reviewer looks for first.
    triaged = statement.order_by(CameraEvent.scene_changed.desc(), CameraEvent.confidence.desc(),
                                 CameraEvent.started_at.desc(), CameraEvent.id.desc())
    return list(session.scalars(triaged.limit(limit)))


def get_event(session: Session, actor: User, event_uuid: Any, lock: bool = False) -> CameraEvent:
    """The event with this UUID in the actor's scope, else NotFound."""
    if not has_permission(actor, "camera.view"):
        raise Forbidden(_("your role may not see camera events"))
    # Stored UUIDs are lower case (the upload normalises them), whatever the link or client sends.
    statement = select(CameraEvent).where(CameraEvent.uuid == str(event_uuid or "").strip().lower())
    event = session.scalar(statement.with_for_update() if lock else statement)
    if event is None or not can_access_canteen(actor, event.canteen):
        raise NotFound(_("no such camera event"), {"id": _("no such event")})
    return event


def reviews_of(session: Session, event: CameraEvent) -> list[EventReview]:
    """The event's decisions, first one first."""
    return list(session.scalars(select(EventReview).where(EventReview.event_id == event.id)
                                .order_by(EventReview.number)))


def current_offence(session: Session, event: CameraEvent) -> Offence | None:
    """The event's offence that is not withdrawn (it may be annulled), if any."""
    # A withdrawn offence belongs to an earlier decision; an annulled one still blocks confirming the same
    # diner again.
    return session.scalar(select(Offence).where(Offence.event_id == event.id, Offence.withdrawn_at.is_(None))
                          .order_by(Offence.id.desc()).limit(1))


def _check_decision(session: Session, data: dict[str, Any],
                    errors: FieldErrors) -> tuple[str, Diner | None, str]:
    decision = data.get("decision")
    if decision not in DECISIONS:
        errors["decision"] = _("one of %(values)s", values=", ".join(DECISIONS))
    card_no = data.get("card_no")
    card_no = card_no.strip() if isinstance(card_no, str) else card_no
    diner = None
    if decision == "confirmed":
        if not card_no:
            errors["card_no"] = _("a confirmed dump needs the diner's card number")
        elif not isinstance(card_no, str):
            errors["card_no"] = _("must be text")
        else:
            diner = diner_by_card(session, card_no)
            if diner is None:
                errors["card_no"] = _("unknown diner")
    # Only a confirmed dump may name someone: a dismissed or unidentified event is tied to nobody.
    elif card_no and decision in DECISIONS:
        errors["card_no"] = _("only a confirmed dump names a diner")
    note = clean_text(data.get("note"), "note", 500, errors)
    # A decision outside DECISIONS is in errors, and every caller raises before using it.
    return cast(str, decision), diner, note


def _add_review(session: Session, event: CameraEvent, number: int, decision: str, diner: Diner | None,
                note: str, reason: str | None, actor: User, now: datetime) -> EventReview:
    review = EventReview(event_id=event.id, number=number, decision=decision,
                         diner_id=diner.id if diner else None, note=note, reason=reason,
                         created_by_id=actor.id, created_at=now)
    try:
        with session.begin_nested():
            session.add(review)
    except IntegrityError:
        # Someone else reviewed the same event at the same moment and was first.
        raise Conflict(_("this event was reviewed by someone else just now"),
                       {"id": _("already reviewed")}) from None
    # The event's status mirrors its newest decision, so the queue can filter on it.
    event.status = decision
    return review


def review_event(session: Session, settings: AppConfig, actor: User, event_uuid: Any, data: dict[str, Any],
                 now: datetime | None = None) -> EventReview:
    """Record the first decision on a pending event; a confirmed dump counts against the named diner."""
    now = now or utcnow()
    if not has_permission(actor, "camera.review"):
        raise Forbidden(_("your role may not review camera events"))
    event = get_event(session, actor, event_uuid, lock=True)
    errors = FieldErrors()
    decision, diner, note = _check_decision(session, data, errors)
    if data.get("reason"):
        errors["reason"] = _("a first decision needs no reason; corrections do")
    if errors:
        errors.raise_if_any(_("the decision was not stored"))
    if event.status != "pending" or reviews_of(session, event):
        raise Conflict(_("this event is already reviewed; correct the decision instead"),
                       {"id": _("already reviewed")})
    review = _add_review(session, event, 1, decision, diner, note, None, actor, now)
    if diner is not None:
        record_offence(session, settings, event, diner, review, actor, now)
    session.flush()
    return review


def check_four_eyes(session: Session, actor: User, event: CameraEvent, decision: str) -> None:
    """Refuse a 'confirmed' decision by someone who approved or rejected a step of this event.

    Four eyes after the fact: the confirmer and the approver must stay two people, so an approver who later
    confirmed the event themselves would undo the rule (the approver's check is in offences.escalations).
    """
    if decision == "confirmed" and actor.id in decider_ids(session, event.id):
        raise Forbidden(_("you decided on a ladder step of this event, so a second person must confirm it"),
                        {"decision": _("needs a second person")})


def correct_review(session: Session, settings: AppConfig, actor: User, event_uuid: Any, data: dict[str, Any],
                   now: datetime | None = None) -> EventReview:
    """Change a decision as a new revision with a reason; the ladder is recounted for everyone concerned."""
    now = now or utcnow()
    if not has_permission(actor, "camera.review"):
        raise Forbidden(_("your role may not review camera events"))
    event = get_event(session, actor, event_uuid, lock=True)
    errors = FieldErrors()
    decision, diner, note = _check_decision(session, data, errors)
    reason = clean_text(data.get("reason"), "reason", 500, errors, required=True)
    if errors:
        errors.raise_if_any(_("the correction was not stored"))
    check_four_eyes(session, actor, event, decision)
    previous = reviews_of(session, event)
    if not previous:
        raise Conflict(_("this event has no decision yet; review it first"), {"id": _("not reviewed")})
    latest = previous[-1]
    same_diner = latest.diner_id == (diner.id if diner else None)
    # A correction that changes nothing would only add a line to the diner's record.
    if latest.decision == decision and same_diner and latest.note == note:
        raise Conflict(_("the correction changes nothing"), {"decision": _("same as the current decision")})
    offence = current_offence(session, event)
    if offence is not None:
        # An appeal is decided on the decision it contests; that decision must not change underneath it.
        open_appeal = session.scalar(select(Appeal).join(Escalation).where(
            Escalation.offence_id == offence.id, Appeal.status == "open").limit(1))
        if open_appeal is not None:
            raise Conflict(_("an appeal about this event is open; decide the appeal first"),
                           {"id": _("appeal open")})
        # An annulment on appeal is final for this diner and this event.
        if offence.annulled_at is not None and diner is not None and diner.id == offence.diner_id:
            raise Conflict(_("this offence was annulled on appeal and cannot be confirmed again"),
                           {"card_no": _("annulled on appeal")})
    # Flushed below so the new revision has the id a withdrawn offence points to.
    review = _add_review(session, event, latest.number + 1, decision, diner, note, reason, actor, now)
    session.flush()
    # The same diner named again (say, only the note changed): their offence stands and nothing is recounted.
    same_offender = offence is not None and diner is not None and diner.id == offence.diner_id
    if offence is not None and not same_offender:
        end_offence(session, settings, offence, "withdrawn", actor, reason, now, review)
    if diner is not None and not same_offender:
        record_offence(session, settings, event, diner, review, actor, now)
    session.flush()
    return review


def review_as_dict(review: EventReview) -> dict[str, Any]:
    """The JSON shape of a decision (``by`` is null for the system's own decisions)."""
    return {"number": review.number, "decision": review.decision,
            "card_no": review.diner.card_no if review.diner else None, "note": review.note,
            "reason": review.reason, "by": review.created_by.username if review.created_by else None,
            "at": review.created_at.isoformat().replace("+00:00", "Z")}
