"""Appeals: a reviewer enters the diner's appeal, which suspends the step; a second person decides it."""
from __future__ import annotations

from datetime import date, datetime
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
from canteen.offences.escalations import get_escalation
from canteen.offences.ladder import confirmer_ids, end_offence, log_action
from canteen.offences.models import Appeal
from canteen.offences.window import local_day

# Only a step that still applies can be suspended; a rejected or ended one has nothing left to appeal.
APPEALABLE = ("open", "given", "pending_approval", "approved")
OUTCOMES = ("upheld", "annulled")


def file_appeal(session: Session, settings: AppConfig, actor: User, escalation_id: Any, statement: Any,
                received_on: Any = None, now: datetime | None = None) -> Appeal:
    """Enter a diner's appeal against a step; the step is suspended until the appeal is decided."""
    now = now or utcnow()
    escalation = get_escalation(session, actor, escalation_id, "camera.review", lock=True)
    errors = FieldErrors()
    statement = clean_text(statement, "statement", 4000, errors, required=True)
    today = local_day(now, settings.zone)
    day = today
    # The diner may have handed the appeal in days before a reviewer enters it (never after today).
    if received_on not in (None, ""):
        try:
            day = (received_on if isinstance(received_on, date)
                   else date.fromisoformat(str(received_on).strip()))
        except ValueError:
            errors["received_on"] = _("expected a date as YYYY-MM-DD")
        else:
            if day > today:
                errors["received_on"] = _("is in the future")
    if errors:
        errors.raise_if_any(_("the appeal was not stored"))
    if escalation.status not in APPEALABLE:
        raise Conflict(_("this step is %(status)s; there is nothing to appeal", status=escalation.status),
                       {"escalation": _("cannot be appealed")})
    if escalation.open_appeal is not None:
        raise Conflict(_("an appeal against this step is already open"),
                       {"escalation": _("appeal already open")})
    appeal = Appeal(statement=statement, received_on=day, entered_by_id=actor.id, entered_at=now)
    escalation.appeals.append(appeal)
    log_action(escalation, "appealed", actor, now, statement[:1000])
    session.flush()
    return appeal


def get_appeal(session: Session, actor: User, appeal_id: Any) -> Appeal:
    """The appeal with this id within the actor's scope, else NotFound."""
    try:
        key = int(appeal_id)
    except (TypeError, ValueError):
        raise NotFound(_("no such appeal")) from None
    # Read afresh; the decision itself is a compare-and-set on the appeal's status (see decide_appeal).
    appeal = session.scalar(select(Appeal).where(Appeal.id == key).with_for_update()
                            .execution_options(populate_existing=True))
    if appeal is None or not can_access_canteen(actor, appeal.escalation.offence.event.canteen):
        raise NotFound(_("no such appeal"))
    return appeal


def decide_appeal(session: Session, settings: AppConfig, actor: User, appeal_id: Any, outcome: Any,
                  reason: Any, now: datetime | None = None) -> Appeal:
    """Uphold the step (it resumes) or annul the offence (it stops counting, its steps end), with a reason."""
    now = now or utcnow()
    if not has_permission(actor, "offences.approve") or actor.role not in settings.offences.approver_roles:
        raise Forbidden(_("your role may not decide appeals"))
    appeal = get_appeal(session, actor, appeal_id)
    errors = FieldErrors()
    if outcome not in OUTCOMES:
        errors["outcome"] = _("one of %(values)s", values=", ".join(OUTCOMES))
    reason = clean_text(reason, "reason", 1000, errors, required=True)
    if errors:
        errors.raise_if_any(_("the appeal was not decided"))
    if appeal.status != "open":
        raise Conflict(_("this appeal is already decided"), {"appeal": _("already decided")})
    escalation = appeal.escalation
    # The person whose confirmation is contested does not judge the appeal against it.
    if actor.id in confirmer_ids(session, escalation.offence.event_id):
        raise Forbidden(_("you confirmed this event; a second person must decide the appeal"),
                        {"appeal": _("needs a second person")})
    # Of two approvers deciding the same appeal at once, exactly one changes it from open.
    decision = {"status": outcome, "decided_by_id": actor.id, "decided_at": now, "reason": reason}
    if not compare_and_set(session, appeal, {"status": "open"}, decision):
        raise Conflict(_("someone else decided this appeal at the same moment"),
                       {"appeal": _("already decided")})
    log_action(escalation, f"appeal_{outcome}", actor, now, reason)
    # An upheld step resumes by itself: it was only suspended while the appeal was open.
    if outcome == "annulled":
        end_offence(session, settings, escalation.offence, "annulled", actor, reason, now)
    session.flush()
    return appeal


def appeal_as_dict(appeal: Appeal) -> dict[str, Any]:
    """The JSON shape of an appeal."""
    iso = lambda value: value.isoformat().replace("+00:00", "Z") if value else None  # noqa: E731
    return {"id": appeal.id, "escalation": appeal.escalation_id, "status": appeal.status,
            "statement": appeal.statement, "received_on": appeal.received_on.isoformat(),
            "entered_by": appeal.entered_by.username, "entered_at": iso(appeal.entered_at),
            "decided_by": appeal.decided_by.username if appeal.decided_by else None,
            "decided_at": iso(appeal.decided_at), "reason": appeal.reason or None}
