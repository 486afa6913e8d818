"""Contractors and their contracts, managed by an admin; contractor-role users are linked to one."""
from __future__ import annotations

from datetime import date
from typing import Any, Mapping

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from canteen.assessment import audit
from canteen.assessment.models import Contractor, ContractorCanteen, ContractorUser
from canteen.auth.models import User
from canteen.core.errors import Conflict, FieldErrors, Forbidden, NotFound
from canteen.core.permissions import can_access_canteen, has_permission
from canteen.core.validation import as_id, clean_text, parse_day, parse_decimal
from canteen.reference.services import canteen_by_code

# 100 million yuan a month: far above any canteen contract, so only a slipped digit reaches it.
MAX_FEE_FEN = 100_000_000 * 100


def parse_fee_fen(value: Any, errors: FieldErrors, field: str) -> int | None:
    """A fee in yuan with at most two decimals, as whole fen."""
    if isinstance(value, bool) or value is None or (isinstance(value, str) and not value.strip()):
        errors[field] = _("a monthly fee is required")
        return None
    # Thousands separators are accepted, as in a fee copied from a contract (186,000.00).
    text = value.strip().replace(",", "") if isinstance(value, str) else value
    # Bounded before any arithmetic, so 1e30 is a field error like a typo, never a decimal overflow.
    amount = parse_decimal(text, errors, field, minimum=0, maximum=MAX_FEE_FEN // 100, places=2)
    if amount is None:
        return None
    # Money is kept in whole fen, so sums and pro-rata fees never meet float rounding.
    return int(amount * 100)


def _require_manage(actor: User) -> None:
    if not has_permission(actor, "contractors.manage"):
        raise Forbidden(_("your role may not manage contractors"))


def _snapshot(contractor: Contractor) -> dict[str, Any]:
    return {"name": contractor.name, "contract_no": contractor.contract_no,
            "starts_on": contractor.starts_on.isoformat(), "ends_on": contractor.ends_on.isoformat(),
            "active": contractor.active,
            "canteens": {link.canteen.code: link.monthly_fee_fen for link in contractor.canteens}}


def save_contractor(session: Session, actor: User, data: Mapping[str, Any],
                    contractor_id: int | None = None) -> Contractor:
    """Create a contractor, or change one (a change needs a reason); the audit keeps old and new values."""
    _require_manage(actor)
    contractor = None
    if contractor_id is not None:
        contractor = session.get(Contractor, contractor_id)
        if contractor is None:
            raise NotFound(_("no such contractor"))
    errors = FieldErrors()
    name = clean_text(data.get("name"), "name", 200, errors, required=True)
    contract_no = clean_text(data.get("contract_no"), "contract_no", 64, errors, required=True)
    starts_on = parse_day(data.get("starts_on"), errors, "starts_on")
    ends_on = parse_day(data.get("ends_on"), errors, "ends_on")
    if starts_on and ends_on and ends_on < starts_on:
        errors["ends_on"] = _("before the contract starts")
    reason = clean_text(data.get("reason"), "reason", 500, errors, required=contractor is not None)
    links: dict[int, int] = {}
    canteens = data.get("canteens")
    if not isinstance(canteens, list) or not canteens:
        errors["canteens"] = _("choose at least one canteen")
    else:
        for index, served in enumerate(canteens):
            code = served.get("canteen") if isinstance(served, Mapping) else None
            canteen = canteen_by_code(session, code) if isinstance(code, str) else None
            if canteen is None:
                errors[f"canteens.{index}.canteen"] = _("unknown canteen")
                continue
            fee = parse_fee_fen(served.get("monthly_fee"), errors, f"canteens.{index}.monthly_fee")
            if canteen.id in links:
                errors[f"canteens.{index}.canteen"] = _("listed twice")
            elif fee is not None:
                links[canteen.id] = fee
    active = data.get("active", True)
    if not isinstance(active, bool):
        errors["active"] = _("true or false")
    errors.raise_if_any(_("invalid contractor"))
    # raise_if_any refused a missing date, so both are known from here on.
    assert starts_on is not None and ends_on is not None
    # Both columns are unique in the database; checking first answers 409 naming the field that clashes.
    for column, value, field in ((Contractor.name, name, "name"),
                                 (Contractor.contract_no, contract_no, "contract_no")):
        clash = session.scalar(select(Contractor).where(column == value))
        if clash is not None and clash is not contractor:
            raise Conflict(_("another contractor has this %(field)s", field=field),
                           {field: _("already used")})
    # Old and new values go to the audit trail: a contract change affects every fee computed afterwards.
    before = _snapshot(contractor) if contractor is not None else None
    if contractor is None:
        contractor = Contractor()
        session.add(contractor)
    contractor.name, contractor.contract_no = name, contract_no
    contractor.starts_on, contractor.ends_on, contractor.active = starts_on, ends_on, active
    current = {link.canteen_id: link for link in contractor.canteens}
    # A canteen no longer served loses its fee row; months already opened keep the fee they copied.
    for canteen_id in set(current) - set(links):
        contractor.canteens.remove(current[canteen_id])
    for canteen_id, fee in links.items():
        if canteen_id in current:
            current[canteen_id].monthly_fee_fen = fee
        else:
            contractor.canteens.append(ContractorCanteen(canteen_id=canteen_id, monthly_fee_fen=fee))
    session.flush()
    session.refresh(contractor)
    after = _snapshot(contractor)
    if before is None:
        audit.record(session, "contractor", contractor.id, "created", actor, values=after)
    elif before != after:
        changed = {key: {"from": before[key], "to": after[key]} for key in after if before[key] != after[key]}
        audit.record(session, "contractor", contractor.id, "changed", actor, changes=changed, reason=reason)
    return contractor


def link_user(session: Session, actor: User, contractor_id: int, username: Any) -> ContractorUser:
    """Let a contractor-role user speak for this contractor."""
    _require_manage(actor)
    contractor = session.get(Contractor, contractor_id)
    if contractor is None:
        raise NotFound(_("no such contractor"))
    user = (session.scalar(select(User).where(User.username == username)) if isinstance(username, str)
            else None)
    errors = FieldErrors()
    if user is None:
        errors["username"] = _("no such user")
    elif user.role != "contractor":
        errors["username"] = _("only users with the caterer role can be linked")
    errors.raise_if_any()
    assert user is not None
    # A user speaks for one company only (user_id is the key): moving it means unlinking it first.
    existing = session.get(ContractorUser, user.id)
    if existing is not None:
        if existing.contractor_id == contractor.id:
            return existing
        raise Conflict(_("this user already speaks for another contractor"),
                       {"username": _("linked elsewhere")})
    link = ContractorUser(user_id=user.id, contractor_id=contractor.id)
    session.add(link)
    session.flush()
    audit.record(session, "contractor", contractor.id, "user_linked", actor, username=user.username)
    return link


def unlink_user(session: Session, actor: User, contractor_id: int, user_id: int) -> None:
    """End a user's link to a contractor (kept in the audit trail)."""
    _require_manage(actor)
    link = session.get(ContractorUser, user_id)
    if link is None or link.contractor_id != contractor_id:
        raise NotFound(_("no such link"))
    username = link.user.username
    session.delete(link)
    session.flush()
    audit.record(session, "contractor", contractor_id, "user_unlinked", actor, username=username)


def linked_contractor_id(session: Session, user: User) -> int | None:
    """The contractor a contractor-role user speaks for, if linked."""
    link = session.get(ContractorUser, user.id)
    return link.contractor_id if link is not None else None


def linked_users(session: Session, contractor_id: int) -> list[User]:
    """The users linked to a contractor."""
    links = session.scalars(select(ContractorUser).where(ContractorUser.contractor_id == contractor_id))
    return sorted((link.user for link in links), key=lambda user: user.username)


def visible_contractors(session: Session, actor: User) -> list[Contractor]:
    """Contractors the actor may see: a caterer only its own, others all (with a served canteen in scope)."""
    if not has_permission(actor, "assessment.view"):
        return []
    query = select(Contractor).order_by(Contractor.name)
    if actor.role == "contractor":
        own = linked_contractor_id(session, actor)
        if own is None:
            return []
        query = query.where(Contractor.id == own)
    contractors = session.scalars(query).all()
    # A contractor serving no canteen yet falls in no canteen scope, so every viewer sees it.
    return [contractor for contractor in contractors
            if not contractor.canteens
            or any(can_access_canteen(actor, link.canteen) for link in contractor.canteens)]


def get_visible_contractor(session: Session, actor: User, contractor_id: Any) -> Contractor:
    """A contractor the actor may see, else NotFound."""
    # A float, a string of 5000 digits or an id beyond the database's range is as unknown as a typo.
    wanted = as_id(contractor_id)
    if wanted is None:
        raise NotFound(_("no such contractor"), {"contractor": _("unknown contractor")})
    contractor = next((item for item in visible_contractors(session, actor) if item.id == wanted), None)
    if contractor is None:
        raise NotFound(_("no such contractor"), {"contractor": _("unknown contractor")})
    return contractor


def serves(contractor: Contractor, canteen_id: int, day: date) -> bool:
    """True when the contractor served the canteen on ``day`` (within its contract)."""
    return (contractor.starts_on <= day <= contractor.ends_on
            and any(link.canteen_id == canteen_id for link in contractor.canteens))


def contractor_as_dict(contractor: Contractor) -> dict[str, Any]:
    """The JSON shape of a contractor (GET /api/v1/contractors)."""
    return {"id": contractor.id, "name": contractor.name, "contract_no": contractor.contract_no,
            "starts_on": contractor.starts_on.isoformat(), "ends_on": contractor.ends_on.isoformat(),
            "active": contractor.active, "monthly_fee": contractor.monthly_fee_fen / 100,
            "canteens": [{"canteen": link.canteen.code, "monthly_fee": link.monthly_fee_fen / 100}
                         for link in contractor.canteens]}
