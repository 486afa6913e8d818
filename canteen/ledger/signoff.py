"""Closing a canteen's month of ledger: the manager signs as preparer (填表人), a second person reviews and
closes it (复核人); a closed month takes no change until it is reopened with a reason.

Who may review: the assessor or an admin. The reviewer must not be the person who keeps the ledger: the
assessor already checks it against the spot checks' re-weighing and scores the caterer on it, and a manager
(who keeps it) may prepare but never review. Reopening is the reviewer's side too (assessor or admin), so a
manager cannot undo a sign-off alone. Every signature is a link of the month's chain: the close records the
month's hash (the chain head it signed), and the month counts as closed while the close is the newest link.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from canteen.auth.models import User
from canteen.chain.links import Head, append_after
from canteen.chain.models import GENESIS
from canteen.config import AppConfig
from canteen.core.errors import Conflict, FieldErrors, Forbidden
from canteen.core.permissions import has_permission
from canteen.core.timeutil import local_today, month_end, parse_month
from canteen.core.validation import clean_text
from canteen.db import utcnow
from canteen.ledger.chained import SIGNOFF_KINDS, month_head
from canteen.ledger.models import LedgerMonthSignoff
from canteen.reference.models import Canteen
from canteen.reference.validation import resolve_canteen

STATES = ("open", "prepared", "closed")


@dataclass(frozen=True)
class MonthSignoff:
    """A canteen's month as signed: ``open``, ``prepared`` (awaiting the reviewer) or ``closed``."""

    canteen: Canteen
    month: date
    state: str
    head_hash: str
    # The signature the chain's head is (the preparation or the close), else None.
    current: LedgerMonthSignoff | None
    # The month's newest signature of any kind (a reopening, or a preparation the ledger has moved past).
    last: LedgerMonthSignoff | None

    @property
    def stale_preparation(self) -> LedgerMonthSignoff | None:
        """A preparation the ledger changed after: the preparer must sign again."""
        if self.state == "open" and self.last is not None and self.last.action == "prepared":
            return self.last
        return None

    @property
    def last_reopening(self) -> LedgerMonthSignoff | None:
        """The reopening that left the month open, shown with its reason."""
        if self.state == "open" and self.last is not None and self.last.action == "reopened":
            return self.last
        return None


def month_signoff(session: Session, canteen: Canteen, month: date) -> MonthSignoff:
    """The month's sign-off state, read from its chain's head."""
    current = month_head(session, canteen.id, month)
    return _state(session, canteen, month, current)


def _state(session: Session, canteen: Canteen, month: date, current: Head | None) -> MonthSignoff:
    last = session.scalar(select(LedgerMonthSignoff).where(
        LedgerMonthSignoff.canteen_id == canteen.id, LedgerMonthSignoff.month == month)
        .order_by(LedgerMonthSignoff.id.desc()).limit(1))
    state, signature = "open", None
    if current is not None and current.kind in ("month_prepared", "month_closed"):
        state = "prepared" if current.kind == "month_prepared" else "closed"
        signature = session.get(LedgerMonthSignoff, current.record_id)
    return MonthSignoff(canteen, month, state, current.hash if current else GENESIS, signature, last)


def _checked_target(session: Session, actor: User, canteen: Any, month: Any,
                    errors: FieldErrors | None = None) -> tuple[Canteen, date]:
    """The canteen (within the actor's scope) and month named, or one 422 naming every bad field."""
    errors = errors if errors is not None else FieldErrors()
    row = resolve_canteen(session, canteen, actor, errors)
    first = None
    try:
        first = parse_month(month) if isinstance(month, str) else None
    except ValueError:
        pass
    if first is None:
        errors["month"] = _("expected YYYY-MM")
    # A month before the canteen opened has no ledger to sign.
    elif row is not None and month_end(first) < row.opened_on:
        errors["month"] = _("before the canteen opened on %(day)s", day=row.opened_on.isoformat())
    errors.raise_if_any(_("nothing was signed"))
    assert row is not None and first is not None  # raise_if_any raised for either missing
    return row, first


def _require(actor: User, permission: str, message: str) -> None:
    if not has_permission(actor, permission):
        raise Forbidden(message)


def _sign(session: Session, action: str, canteen: Canteen, month: date, actor: User, current: Head | None,
          now: datetime | None, **extra: Any) -> LedgerMonthSignoff:
    row = LedgerMonthSignoff(canteen_id=canteen.id, month=month, action=action, actor_id=actor.id,
                             at=now or utcnow(), head_hash=current.hash if current else GENESIS, **extra)
    session.add(row)
    # Appended right after the head read under the lock: the signature covers exactly that history.
    append_after(session, SIGNOFF_KINDS[action], row, current)
    return row


def _closed_conflict(session: Session, current: Head) -> Conflict:
    closed = session.get(LedgerMonthSignoff, current.record_id)
    name = closed.actor.name if closed else "?"
    return Conflict(_("this month is already closed (reviewed by %(name)s)", name=name),
                    {"month": _("month closed")})


def prepare_month(session: Session, settings: AppConfig, actor: User, canteen: Any, month: Any,
                  now: datetime | None = None) -> MonthSignoff:
    """Sign a finished month's ledger as preparer (填表人); the reviewer then closes it."""
    _require(actor, "ledger.prepare", _("your role may not sign the ledger as preparer"))
    row, first = _checked_target(session, actor, canteen, month)
    # Signed once the month is over: until then days are still being weighed.
    if local_today(settings.zone, now) <= month_end(first):
        raise Conflict(_("the month is not over yet"),
                       {"month": _("sign after %(day)s", day=month_end(first).isoformat())})
    current = month_head(session, row.id, first, lock=True)
    if current is not None and current.kind == "month_closed":
        raise _closed_conflict(session, current)
    if current is not None and current.kind == "month_prepared":
        prepared = session.get(LedgerMonthSignoff, current.record_id)
        raise Conflict(_("%(name)s has already signed this month as preparer; it awaits the reviewer",
                         name=prepared.actor.name if prepared else "?"), {"month": _("already prepared")})
    _sign(session, "prepared", row, first, actor, current, now)
    return month_signoff(session, row, first)


def close_month(session: Session, settings: AppConfig, actor: User, canteen: Any, month: Any,
                now: datetime | None = None) -> MonthSignoff:
    """Review and close a prepared month (复核人), recording the month's hash; a second person only."""
    _require(actor, "ledger.review", _("your role may not review and close the ledger"))
    row, first = _checked_target(session, actor, canteen, month)
    current = month_head(session, row.id, first, lock=True)
    if current is not None and current.kind == "month_closed":
        raise _closed_conflict(session, current)
    if current is None or current.kind != "month_prepared":
        state = _state(session, row, first, current)
        stale = state.stale_preparation
        if stale is not None:
            raise Conflict(_("the ledger changed after %(name)s signed it as preparer; they must sign again",
                             name=stale.actor.name), {"month": _("changed since it was prepared")})
        raise Conflict(_("the preparer (填表人) has not signed this month yet"), {"month": _("not prepared")})
    prepared = session.get(LedgerMonthSignoff, current.record_id)
    assert prepared is not None  # the head link names it, and signatures are never deleted
    # Four eyes: the preparer cannot also be the reviewer.
    if prepared.actor_id == actor.id:
        raise Forbidden(_("you signed this month as preparer; a second person must review and close it"),
                        {"reviewer": _("must be another person than the preparer")})
    _sign(session, "closed", row, first, actor, current, now, prepared_by_id=prepared.actor_id,
          prepared_at=prepared.at)
    return month_signoff(session, row, first)


def reopen_month(session: Session, settings: AppConfig, actor: User, canteen: Any, month: Any, reason: Any,
                 now: datetime | None = None) -> MonthSignoff:
    """Reopen a closed month with a reason (kept and chained); it must be prepared and closed again."""
    _require(actor, "ledger.reopen", _("your role may not reopen a closed ledger"))
    errors = FieldErrors()
    text = clean_text(reason, "reason", 500, errors, required=True)
    row, first = _checked_target(session, actor, canteen, month, errors)
    current = month_head(session, row.id, first, lock=True)
    if current is None or current.kind != "month_closed":
        raise Conflict(_("this month is not closed"), {"month": _("not closed")})
    _sign(session, "reopened", row, first, actor, current, now, reason=text)
    return month_signoff(session, row, first)


def signoff_as_dict(signoff: MonthSignoff) -> dict[str, Any]:
    """The JSON shape of a month's sign-off state."""
    def iso(value: datetime | None) -> str | None:
        return value.isoformat().replace("+00:00", "Z") if value else None

    current, last = signoff.current, signoff.last
    closed = current if signoff.state == "closed" else None
    prepared = current if signoff.state == "prepared" else None
    reopened = signoff.last_reopening
    return {
        "canteen": signoff.canteen.code, "month": signoff.month.strftime("%Y-%m"), "state": signoff.state,
        "head_hash": signoff.head_hash,
        "prepared_by": (closed.prepared_by.username if closed and closed.prepared_by
                        else prepared.actor.username if prepared else None),
        "prepared_at": iso(closed.prepared_at if closed else prepared.at if prepared else None),
        "reviewed_by": closed.actor.username if closed else None,
        "closed_at": iso(closed.at) if closed else None,
        "reopened_by": reopened.actor.username if reopened else None,
        "reopened_at": iso(reopened.at) if reopened else None,
        "reopen_reason": reopened.reason if reopened else None,
        "last_action": last.action if last else None,
    }
