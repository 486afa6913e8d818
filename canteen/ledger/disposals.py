"""Hand-overs to licensed haulers or the composter, to reconcile the ledger with what left the site."""
from __future__ import annotations

from datetime import date
from typing import Any, Mapping

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from canteen.auth.models import User
from canteen.config import AppConfig
from canteen.core.errors import FieldErrors, Forbidden, NotFound
from canteen.core.permissions import can_access_canteen, has_permission
from canteen.core.validation import clean_text, parse_day, parse_weight_g
from canteen.db import utcnow
from canteen.ledger.models import Disposal
from canteen.reference.models import Canteen
from canteen.reference.validation import check_day_allowed, resolve_canteen

RECEIVER_KINDS = ("hauler", "composter")
WASTE_TYPES = ("food", "grease")


def record_disposal(session: Session, settings: AppConfig, actor: User,
                    data: Mapping[str, Any]) -> Disposal:
    """Store a hand-over with its manifest number and weight."""
    if not has_permission(actor, "ledger.edit"):
        raise Forbidden(_("your role may not change the ledger"))
    errors = FieldErrors()
    canteen = resolve_canteen(session, data.get("canteen"), actor, errors)
    day = parse_day(data.get("date"), errors)
    if canteen is not None and day is not None:
        check_day_allowed(day, canteen, settings, errors)
    kind = data.get("receiver_kind")
    if kind not in RECEIVER_KINDS:
        errors["receiver_kind"] = _("hauler or composter")
    waste_type = data.get("waste_type") or "food"
    if waste_type not in WASTE_TYPES:
        errors["waste_type"] = _("food or grease")
    receiver = clean_text(data.get("receiver"), "receiver", 100, errors, required=True)
    # A licensed hauler hands over a manifest (联单); the on-site composter has none.
    manifest_no = clean_text(data.get("manifest_no"), "manifest_no", 64, errors,
                             required=kind == "hauler")
    weight_g = parse_weight_g(data.get("weight"), data.get("unit", "kg"), settings, errors)
    note = clean_text(data.get("note"), "note", 500, errors)
    errors.raise_if_any(_("the disposal was not saved"))
    # Each None above has left a field error, and raise_if_any has raised it.
    assert canteen and day and weight_g
    disposal = Disposal(canteen_id=canteen.id, day=day, receiver_kind=kind, receiver=receiver,
                        manifest_no=manifest_no, waste_type=waste_type, weight_g=weight_g, note=note,
                        created_by_id=actor.id)
    session.add(disposal)
    session.flush()
    return disposal


def void_disposal(session: Session, actor: User, disposal_id: int, reason: Any) -> Disposal:
    """Void a hand-over record with a reason; it stays visible, struck out."""
    if not has_permission(actor, "ledger.edit"):
        raise Forbidden(_("your role may not change the ledger"))
    disposal = session.get(Disposal, disposal_id)
    if disposal is None:
        raise NotFound(_("no such disposal"))
    canteen = session.get(Canteen, disposal.canteen_id)
    # Out of scope answers like a missing record, so ids reveal nothing about other canteens.
    if canteen is None or not can_access_canteen(actor, canteen):
        raise NotFound(_("no such disposal"))
    errors = FieldErrors()
    reason_text = clean_text(reason, "reason", 500, errors, required=True)
    if disposal.voided:
        errors["reason"] = _("already void")
    errors.raise_if_any(_("the disposal was not voided"))
    disposal.voided, disposal.void_reason, disposal.voided_by_id, disposal.voided_at = (
        True, reason_text, actor.id, utcnow())
    session.flush()
    return disposal


def list_disposals(session: Session, canteen_id: int, start: date, end: date) -> list[Disposal]:
    """Hand-overs of a canteen between two dates, void ones included."""
    return list(session.scalars(select(Disposal).where(
        Disposal.canteen_id == canteen_id, Disposal.day >= start, Disposal.day <= end)
        .order_by(Disposal.day, Disposal.id)))
