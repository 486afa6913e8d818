"""Acting on a step: a second person approves or rejects it; a warning given or a letter sent is recorded."""
from __future__ import annotations

from datetime import date, datetime, timezone
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from canteen.auth.models import User
from canteen.config import AppConfig
from canteen.core.errors import Conflict, FieldErrors, Forbidden, NotFound
from canteen.core.permissions import can_access_canteen, has_permission
from canteen.core.validation import clean_text
from canteen.db import compare_and_set, utcnow
from canteen.offences.ladder import confirmer_ids, exposure_end, log_action
from canteen.offences.models import Escalation
from canteen.offences.window import local_day


def require_permission(actor: User, permission: str) -> None:
    """Raise Forbidden unless the actor's role grants ``permission``."""
    if not has_permission(actor, permission):
        raise Forbidden(_("your role may not do this"))


def get_escalation(session: Session, actor: User, escalation_id: Any, permission: str = "offences.view",
                   lock: bool = False) -> Escalation:
    """The escalation with this id within the actor's canteen scope, else NotFound."""
    require_permission(actor, permission)
    try:
        key = int(escalation_id)
    except (TypeError, ValueError):
        raise NotFound(_("no such escalation")) from None
    statement = select(Escalation).where(Escalation.id == key)
    if lock:
        # Read afresh when acting on it (the page may have loaded it earlier in the request). The lock only
        # narrows the window on PostgreSQL; what makes a decision happen once is the compare-and-set in
        # _decide, which SQLite (where FOR UPDATE is a no-op) needs as well.
        statement = statement.with_for_update().execution_options(populate_existing=True)
    escalation = session.scalar(statement)
    # Out of scope answers 'not found': a reviewer of one canteen must not learn of another's offences.
    if escalation is None or not can_access_canteen(actor, escalation.offence.event.canteen):
        raise NotFound(_("no such escalation"))
    return escalation


def _second_person(session: Session, settings: AppConfig, actor: User, escalation: Escalation) -> None:
    """Four eyes: an approver of the configured roles who did not confirm the event."""
    if not has_permission(actor, "offences.approve") or actor.role not in settings.offences.approver_roles:
        raise Forbidden(_("your role may not approve ladder steps"))
    if actor.id in confirmer_ids(session, escalation.offence.event_id):
        raise Forbidden(_("you confirmed this event; a second person must decide on the step"),
                        {"escalation": _("needs a second person")})


def status_words(status: str) -> str:
    """The translated name of an escalation status."""
    return {"open": _("to be given"), "given": _("given"), "pending_approval": _("awaiting approval"),
            "approved": _("approved"), "rejected": _("rejected"), "superseded": _("superseded by a recount"),
            "withdrawn": _("withdrawn (decision corrected)"), "annulled": _("annulled on appeal"),
            "suspended": _("suspended by an appeal")}.get(status, status)


def _not_awaiting(escalation: Escalation) -> Conflict:
    if escalation.status in ("approved", "rejected"):
        return Conflict(_("Someone else has already decided this step: %(decision)s. Nothing was changed.",
                          decision=status_words(escalation.status)), {"escalation": _("already decided")})
    return Conflict(_("this step is not awaiting approval (it is %(status)s)",
                      status=status_words(escalation.status)), {"escalation": _("already decided")})


def _awaiting_decision(escalation: Escalation) -> None:
    if escalation.status != "pending_approval":
        raise _not_awaiting(escalation)
    if escalation.open_appeal is not None:
        raise Conflict(_("an appeal suspends this step until it is decided"), {"escalation": _("suspended")})


def _decide(session: Session, escalation: Escalation, status: str, actor: User, now: datetime, note: str,
            **more: Any) -> None:
    """Record the decision only if the step still awaits one; of two deciding at once, exactly one wins."""
    won = compare_and_set(session, escalation, {"status": "pending_approval"},
                          {"status": status, "decided_by_id": actor.id, "decided_at": now,
                           "decision_note": note, **more})
    if not won:
        raise _not_awaiting(escalation)


def approve(session: Session, settings: AppConfig, actor: User, escalation_id: Any, note: Any = "",
            now: datetime | None = None) -> Escalation:
    """Approve an exposure or referral as the second person; an exposure goes on the board at once."""
    now = now or utcnow()
    escalation = get_escalation(session, actor, escalation_id, "offences.approve", lock=True)
    errors = FieldErrors()
    note = clean_text(note, "note", 500, errors)
    if errors:
        errors.raise_if_any(_("nothing was approved"))
    _second_person(session, settings, actor, escalation)
    _awaiting_decision(escalation)
    # The period runs from approval, not from the offence, so the diner is shown for the configured days.
    period = ({"starts_at": now, "expires_at": exposure_end(settings, now)}
              if escalation.step == "exposure" else {})
    _decide(session, escalation, "approved", actor, now, note, **period)
    log_action(escalation, "approved", actor, now, note)
    session.flush()
    return escalation


def reject(session: Session, settings: AppConfig, actor: User, escalation_id: Any, reason: Any,
           now: datetime | None = None) -> Escalation:
    """Refuse an exposure or referral as the second person, with a reason; the offence still counts."""
    now = now or utcnow()
    escalation = get_escalation(session, actor, escalation_id, "offences.approve", lock=True)
    errors = FieldErrors()
    reason = clean_text(reason, "reason", 500, errors, required=True)
    if errors:
        errors.raise_if_any(_("nothing was rejected"))
    _second_person(session, settings, actor, escalation)
    _awaiting_decision(escalation)
    _decide(session, escalation, "rejected", actor, now, reason)
    log_action(escalation, "rejected", actor, now, reason)
    session.flush()
    return escalation


def _parse_moment(value: Any, settings: AppConfig, errors: FieldErrors, field: str) -> datetime | None:
    """A local date-time (YYYY-MM-DDTHH:MM) or an ISO time with zone, as UTC."""
    if value in (None, ""):
        return None
    try:
        parsed = datetime.fromisoformat(str(value).strip().replace("Z", "+00:00"))
    except ValueError:
        errors[field] = _("expected a time such as 2024-05-06T12:30")
        return None
    if parsed.tzinfo is None:
        # A time without a zone is what a reviewer types in the form: the canteens' local time.
        parsed = parsed.replace(tzinfo=settings.zone)
    return parsed.astimezone(timezone.utc)


def record_warning(session: Session, settings: AppConfig, actor: User, escalation_id: Any,
                   given_at: Any = None, note: Any = "", now: datetime | None = None) -> Escalation:
    """Record who gave a verbal warning and when (Anti-Food Waste Law art. 8: remind and correct)."""
    now = now or utcnow()
    escalation = get_escalation(session, actor, escalation_id, "camera.review", lock=True)
    errors = FieldErrors()
    moment = _parse_moment(given_at, settings, errors, "given_at") or now
    note = clean_text(note, "note", 500, errors)
    if "given_at" not in errors:
        if moment > now:
            errors["given_at"] = _("is in the future")
        elif moment < escalation.offence.occurred_at:
            errors["given_at"] = _("before the offence")
    if errors:
        errors.raise_if_any(_("the warning was not recorded"))
    if escalation.step != "warning" or escalation.status != "open":
        raise Conflict(_("this is not a warning waiting to be given"),
                       {"escalation": _("not an open warning")})
    if escalation.open_appeal is not None:
        raise Conflict(_("an appeal suspends this step until it is decided"), {"escalation": _("suspended")})
    # Compare-and-set: of two reviewers recording the same warning at once, one records it.
    if not compare_and_set(session, escalation, {"status": "open"},
                           {"status": "given", "decided_by_id": actor.id, "decided_at": moment,
                            "decision_note": note}):
        raise Conflict(_("someone else recorded this warning at the same moment"),
                       {"escalation": _("already given")})
    # decided_at is when it was given; the history line keeps when it was recorded.
    log_action(escalation, "given", actor, now, note)
    session.flush()
    return escalation


def record_letter_sent(session: Session, settings: AppConfig, actor: User, escalation_id: Any, sent_on: Any,
                       note: Any = "", now: datetime | None = None) -> Escalation:
    """Record the day the referral letter went to the configured body, and how."""
    now = now or utcnow()
    escalation = get_escalation(session, actor, escalation_id, "offences.approve", lock=True)
    errors = FieldErrors()
    day = None
    if isinstance(sent_on, date):
        day = sent_on
    else:
        try:
            day = date.fromisoformat(str(sent_on or "").strip())
        except ValueError:
            errors["sent_on"] = _("expected a date as YYYY-MM-DD")
    note = clean_text(note, "note", 500, errors)
    if day is not None:
        if day > local_day(now, settings.zone):
            errors["sent_on"] = _("is in the future")
        elif escalation.decided_at is not None and day < local_day(escalation.decided_at, settings.zone):
            errors["sent_on"] = _("before the referral was approved")
    if errors:
        errors.raise_if_any(_("nothing was recorded"))
    if escalation.step != "referral" or escalation.status != "approved":
        raise Conflict(_("only an approved referral can be sent"),
                       {"escalation": _("not an approved referral")})
    if escalation.letter_sent_on is not None:
        raise Conflict(_("the letter is already recorded as sent"), {"sent_on": _("already recorded")})
    if escalation.open_appeal is not None:
        raise Conflict(_("an appeal suspends this step until it is decided"), {"escalation": _("suspended")})
    assert day is not None  # a missing or malformed date raised above
    if not compare_and_set(session, escalation, {"letter_sent_on": None},
                           {"letter_sent_on": day, "letter_sent_by_id": actor.id,
                            "letter_sent_recorded_at": now, "letter_note": note}):
        raise Conflict(_("the letter is already recorded as sent"), {"sent_on": _("already recorded")})
    log_action(escalation, "letter_sent", actor, now, f"{day.isoformat()} {note}".strip())
    session.flush()
    return escalation


def escalation_as_dict(escalation: Escalation) -> dict[str, Any]:
    """The JSON shape of an escalation."""
    iso = lambda value: value.isoformat().replace("+00:00", "Z") if value else None  # noqa: E731
    appeal = escalation.open_appeal
    return {"id": escalation.id, "step": escalation.step, "status": escalation.status,
            "ordinal": escalation.ordinal, "card_no": escalation.diner.card_no,
            "event": escalation.offence.event.uuid, "created_at": iso(escalation.created_at),
            "decided_by": escalation.decided_by.username if escalation.decided_by else None,
            "decided_at": iso(escalation.decided_at), "note": escalation.decision_note,
            "starts_at": iso(escalation.starts_at), "expires_at": iso(escalation.expires_at),
            "letter_sent_on": escalation.letter_sent_on.isoformat() if escalation.letter_sent_on else None,
            "suspended": appeal is not None, "open_appeal": appeal.id if appeal else None,
            "closed_reason": escalation.closed_reason or None}
