"""Who may see which assessment and spot check: roles, canteen scope and the caterer's own company."""
from __future__ import annotations

from typing import TYPE_CHECKING

from flask_babel import gettext as _
from sqlalchemy.orm import Session

from canteen.assessment.contractors import linked_contractor_id, serves
from canteen.assessment.models import Assessment, Contractor
from canteen.auth.models import User
from canteen.core.errors import Forbidden, NotFound
from canteen.core.permissions import can_access_canteen, has_permission

if TYPE_CHECKING:  # pragma: no cover
    from canteen.assessment.spotchecks.models import SpotCheck


def require(actor: User, permission: str) -> None:
    """Raise Forbidden unless the actor's role grants ``permission``."""
    if not has_permission(actor, permission):
        raise Forbidden(_("your role may not do this"))


def may_see_assessment(session: Session, actor: User, assessment: Assessment) -> bool:
    """Viewers see their canteens' months; drafts stay with the assessors; a caterer sees its own."""
    if not has_permission(actor, "assessment.view") or not can_access_canteen(actor, assessment.canteen):
        return False
    # A draft is not yet a result: the caterer and other viewers see a month once it is submitted.
    if assessment.status == "draft" and not has_permission(actor, "assessment.edit"):
        return False
    if actor.role == "contractor":
        return linked_contractor_id(session, actor) == assessment.contractor_id
    return True


def visible_assessment(session: Session, actor: User, assessment_id: object) -> Assessment:
    """The assessment if the actor may see it, else NotFound (no hint that it exists)."""
    try:
        # The id is a str (form, URL) or an int (JSON); whatever int() refuses is caught just below.
        wanted = int(assessment_id)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        raise NotFound(_("no such assessment")) from None
    assessment = session.get(Assessment, wanted)
    if assessment is None or not may_see_assessment(session, actor, assessment):
        raise NotFound(_("no such assessment"))
    return assessment


def own_contractor(session: Session, actor: User) -> Contractor | None:
    """The contractor a caterer speaks for (None for other roles or unlinked users)."""
    if actor.role != "contractor":
        return None
    contractor_id = linked_contractor_id(session, actor)
    return session.get(Contractor, contractor_id) if contractor_id is not None else None


def may_see_check(session: Session, actor: User, check: "SpotCheck") -> bool:
    """Inspectors see every check in scope; a caterer sees checks at its canteens during its contract."""
    if not has_permission(actor, "spotcheck.view") or not can_access_canteen(actor, check.canteen):
        return False
    # Bound to the contract period: a caterer must not read the checks of its predecessor or successor.
    if actor.role == "contractor":
        contractor = own_contractor(session, actor)
        return contractor is not None and serves(contractor, check.canteen_id, check.day)
    return True
