"""The ladder itself: which offences count, which step each one reaches, and keeping escalations in step.

Nothing here trusts a stored count. An offence's place on the ladder (its ordinal) is the number of the
diner's standing offences in the window that ends on its own date, up to and including it; the diner's
count is the number of standing offences in the window that ends today.
"""
from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from canteen.auth.models import User
from canteen.camera_events.models import CameraEvent
from canteen.config import AppConfig
from canteen.db import utcnow
from canteen.diners.models import Diner
from canteen.offences.chained import link_escalation_action
from canteen.offences.models import Escalation, EscalationAction, Offence
from canteen.offences.window import in_window, local_day, window_start
from canteen.camera_events.models import EventReview
from canteen.settings.offences import STEP_KINDS

# A step awaiting approval is not in effect yet: beyond a warning, a second person must approve first.
IN_EFFECT = ("open", "given", "approved")
# Ended steps never reopen: a recount that reaches a step again starts a new escalation.
CLOSED = ("superseded", "withdrawn", "annulled")


def severity(step: str | None) -> int:
    """0 for no step, then 1, 2, 3 for warning, exposure, referral."""
    return 0 if step is None else STEP_KINDS.index(step) + 1


def log_action(escalation: Escalation, action: str, actor: User | None, at: datetime, note: str = "") -> None:
    """Append a line to the escalation's history."""
    line = EscalationAction(action=action, actor_id=actor.id if actor else None, at=at, note=note[:1000])
    escalation.actions.append(line)
    link_escalation_action(line)


def standing_offences(session: Session, diner: Diner) -> list[Offence]:
    """The diner's offences that are neither withdrawn nor annulled, oldest first."""
    # Ties on the same instant are broken by id, so an offence keeps its ordinal from one recount to the next.
    return list(session.scalars(select(Offence).where(
        Offence.diner_id == diner.id, Offence.withdrawn_at.is_(None), Offence.annulled_at.is_(None))
        .order_by(Offence.occurred_at, Offence.id)))


def ordinal_of(settings: AppConfig, offence: Offence, standing: list[Offence]) -> int:
    """How many standing offences count in the window ending on this offence's date, itself included."""
    zone = settings.zone
    # The window ends on the offence's own day: later offences never change the step an earlier one reached.
    day = local_day(offence.occurred_at, zone)
    key = (offence.occurred_at, offence.id)
    return sum(1 for other in standing if (other.occurred_at, other.id) <= key
               and in_window(settings.offences, zone, other.occurred_at, day))


def counted_offences(session: Session, settings: AppConfig, diner: Diner,
                     now: datetime | None = None) -> list[Offence]:
    """The standing offences in the window that ends today: the ones that count now."""
    today = local_day(now or utcnow(), settings.zone)
    return [offence for offence in standing_offences(session, diner)
            if in_window(settings.offences, settings.zone, offence.occurred_at, today)]


def is_live(escalation: Escalation, now: datetime) -> bool:
    """True while a recount may still replace the escalation (not yet settled history)."""
    if escalation.status in ("open", "pending_approval"):
        return True
    if escalation.status != "approved":
        return False
    if escalation.step == "exposure":
        # An exposure that has run its course is history, even if a recount no longer reaches it.
        return escalation.expires_at is not None and now < escalation.expires_at
    if escalation.step == "referral":
        # A letter that has gone out cannot be called back.
        return escalation.letter_sent_on is None
    return False


def on_board(escalation: Escalation, now: datetime) -> bool:
    """True while an approved exposure is shown on the public board."""
    if escalation.step != "exposure" or escalation.status != "approved":
        return False
    if escalation.left_board_at is not None:
        return False
    if escalation.starts_at is None or escalation.expires_at is None:
        return False
    # An open appeal takes the diner off the board at once, not only when it is decided.
    return escalation.starts_at <= now < escalation.expires_at and escalation.open_appeal is None


def open_escalation(session: Session, offence: Offence, step: str, ordinal: int, now: datetime,
                    actor: User | None, note: str = "") -> Escalation:
    """Start the step an offence reached: a warning to give, or a step awaiting a second person's approval."""
    # Only a warning may be given straight away; exposure and referral need a second person's approval (four
    # eyes, see docs/domain.md).
    status = "open" if step == "warning" else "pending_approval"
    escalation = Escalation(diner_id=offence.diner_id, offence=offence, step=step, ordinal=ordinal,
                            status=status, created_at=now)
    session.add(escalation)
    log_action(escalation, "created", actor, now, note)
    return escalation


def close_escalation(escalation: Escalation, status: str, actor: User | None, now: datetime,
                     reason: str) -> None:
    """End an escalation as superseded, withdrawn or annulled, keeping why."""
    escalation.status = status
    escalation.closed_at, escalation.closed_reason = now, reason[:500]
    was_shown = escalation.starts_at is not None and escalation.left_board_at is None
    # An ended exposure must leave the board now; the moment is kept for the record.
    if escalation.step == "exposure" and was_shown:
        escalation.left_board_at = now
    log_action(escalation, status, actor, now, reason)


def _current_escalation(session: Session, offence: Offence) -> Escalation | None:
    return session.scalar(select(Escalation).where(Escalation.offence_id == offence.id,
                                                   Escalation.status.not_in(CLOSED))
                          .order_by(Escalation.id.desc()).limit(1))


def reconcile_diner(session: Session, settings: AppConfig, diner: Diner, actor: User | None,
                    now: datetime | None = None, reason: str = "") -> list[Escalation]:
    """Recount the diner's offences and bring open steps in line; return the escalations it started.

    Settled history (a warning given, a rejection, an expired exposure, a referral sent) is never rewritten.
    """
    now = now or utcnow()
    # Flush first: the query must see the offence just added or ended by the caller.
    session.flush()
    standing = standing_offences(session, diner)
    started = []
    for offence in standing:
        ordinal = ordinal_of(settings, offence, standing)
        expected = settings.offences.step_for(ordinal)
        current = _current_escalation(session, offence)
        if current is not None and current.step == expected:
            continue
        if current is not None:
            # Settled history stays as it was, even where the recount now reaches another step.
            if not is_live(current, now):
                continue
            close_escalation(current, "superseded", actor, now,
                             reason or f"recount: offence {ordinal} now reaches {expected}")
        if expected is not None:
            started.append(open_escalation(session, offence, expected, ordinal, now, actor, reason))
    session.flush()
    return started


def confirmer_ids(session: Session, event_id: int) -> set[int]:
    """Everyone who recorded a 'confirmed' decision on the event (they may not approve its steps)."""
    return set(session.scalars(select(EventReview.created_by_id).where(
        EventReview.event_id == event_id, EventReview.decision == "confirmed")))


def decider_ids(session: Session, event_id: int) -> set[int]:
    """Everyone who approved or rejected a ladder step of the event's offences (they may not confirm it)."""
    return set(session.scalars(
        select(EscalationAction.actor_id).join(Escalation, Escalation.id == EscalationAction.escalation_id)
        .join(Offence, Offence.id == Escalation.offence_id)
        .where(Offence.event_id == event_id, EscalationAction.action.in_(("approved", "rejected")),
               EscalationAction.actor_id.is_not(None))))


def record_offence(session: Session, settings: AppConfig, event: CameraEvent, diner: Diner,
                   review: EventReview, actor: User, now: datetime | None = None) -> Offence:
    """Attribute a confirmed event to a diner and start the step it reaches."""
    now = now or utcnow()
    offence = Offence(event_id=event.id, diner_id=diner.id, occurred_at=event.started_at, review=review,
                      created_at=now)
    session.add(offence)
    reconcile_diner(session, settings, diner, actor, now)
    return offence


def end_offence(session: Session, settings: AppConfig, offence: Offence, how: str, actor: User, reason: str,
                now: datetime | None = None, review: EventReview | None = None) -> None:
    """Withdraw (a corrected review) or annul (an appeal) an offence, end its steps and recount the diner."""
    now = now or utcnow()
    if how == "withdrawn":
        offence.withdrawn_at, offence.withdrawn_review_id = now, review.id if review else None
    else:
        offence.annulled_at = now
    # A rejected step stays rejected: the second person's decision is history, not something to withdraw.
    ending = select(Escalation).where(Escalation.offence_id == offence.id,
                                      Escalation.status.not_in(CLOSED + ("rejected",)))
    for escalation in session.scalars(ending):
        close_escalation(escalation, how, actor, now, reason)
    reconcile_diner(session, settings, offence.diner, actor, now, reason)


@dataclass(frozen=True)
class Standing:
    """Where a diner is on the ladder now, all of it recomputed."""

    diner: Diner
    window_from: date
    window_to: date
    counted: list[Offence]
    step: str | None
    pending: Escalation | None

    @property
    def count(self) -> int:
        """How many offences count now."""
        return len(self.counted)


def diner_standing(session: Session, settings: AppConfig, diner: Diner, now: datetime | None = None,
                   canteen_ids: Collection[int] | None = None) -> Standing:
    """The diner's counted offences, the step in effect and any step awaiting a second person.

    With ``canteen_ids``, only what happened in those canteens (what a reader limited to them may see).
    """
    now = now or utcnow()
    today = local_day(now, settings.zone)
    counted = counted_offences(session, settings, diner, now)
    if canteen_ids is not None:
        counted = [offence for offence in counted if offence.event.canteen_id in canteen_ids]
    ids = [offence.id for offence in counted]
    escalations = list(session.scalars(select(Escalation).where(Escalation.offence_id.in_(ids))
                                       .order_by(Escalation.id))) if ids else []
    # A step suspended by an open appeal is not in effect until the appeal is decided.
    in_effect = [item for item in escalations if item.status in IN_EFFECT and item.open_appeal is None]
    step = max((item.step for item in in_effect), key=severity, default=None)
    # With several steps awaiting approval, the most severe one is shown (the newest on a tie).
    pending = [item for item in escalations if item.status == "pending_approval"]
    return Standing(diner, window_start(settings.offences, today), today, counted, step,
                    max(pending, key=lambda item: (severity(item.step), item.id)) if pending else None)


def exposure_end(settings: AppConfig, start: datetime) -> datetime:
    """When an exposure approved at ``start`` leaves the board."""
    return start + timedelta(days=settings.offences.exposure_days)
