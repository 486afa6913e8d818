"""Which role may do what, and which canteens a user may touch. The only place roles are named.

No ORM import: the checks take any object shaped like a user (``.role``, ``.canteens``) or a canteen
(``.id``), so the kernel stays below the models.
"""
from __future__ import annotations

from typing import Any, Protocol, Sequence, TypeVar


class HasId(Protocol):
    """Anything with an ``id`` (a canteen row)."""

    @property
    def id(self) -> Any:
        """The primary key."""


class RoleHolder(Protocol):
    """Anything with a ``role`` (a user, or Flask-Login's anonymous user through ``getattr``)."""

    @property
    def role(self) -> str:
        """The role's name."""


class ScopedUser(RoleHolder, Protocol):
    """A user with a role and the canteens their scope rows name (empty: every canteen)."""

    @property
    def canteens(self) -> Sequence[HasId]:
        """The canteens in the user's scope."""


C = TypeVar("C", bound=HasId)

PERMISSIONS: dict[str, frozenset[str]] = {
    "ledger.view": frozenset({"admin", "manager", "assessor", "viewer", "contractor"}),
    "ledger.edit": frozenset({"admin", "manager"}),
    "ledger.import": frozenset({"admin", "manager"}),
    "users.manage": frozenset({"admin"}),
    "tokens.manage": frozenset({"admin"}),
    "camera.upload": frozenset({"admin", "manager"}),
    # Issue 4: the caterer's monthly assessment and spot checks.
    "contractors.manage": frozenset({"admin"}),
    "assessment.view": frozenset({"admin", "assessor", "contractor", "viewer"}),
    "assessment.edit": frozenset({"admin", "assessor"}),
    "assessment.respond": frozenset({"contractor"}),
    "spotcheck.view": frozenset({"admin", "assessor", "contractor"}),
    "spotcheck.edit": frozenset({"admin", "assessor"}),
    # Issue 5: camera-event review and the offender ladder (evidence only for those who need it).
    "camera.view": frozenset({"admin", "reviewer"}),
    "camera.review": frozenset({"admin", "reviewer"}),
    "diners.view": frozenset({"admin", "reviewer", "discipline"}),
    "diners.manage": frozenset({"admin"}),
    "offences.view": frozenset({"admin", "reviewer", "discipline"}),
    "offences.approve": frozenset({"admin", "reviewer", "discipline"}),
    "referrals.view": frozenset({"admin", "reviewer", "discipline"}),
    # Issue 11: whoever decides a ladder step sees the raw evidence of its event (each opening logged); the
    # discipline office has no access to the review queue itself.
    "offences.evidence": frozenset({"admin", "reviewer", "discipline"}),
    "diners.export": frozenset({"admin"}),
    # Issue 6: reports, dashboard and scheduled jobs.
    "reports.view": frozenset({"admin", "manager", "assessor", "viewer", "discipline", "contractor"}),
    "jobs.view": frozenset({"admin"}),
    # Issue 10: closing a month of ledger takes two people. The manager who keeps the ledger signs it as
    # preparer (填表人); the reviewer (复核人) must not keep it: the assessor, who checks it against the spot
    # checks' re-weighing anyway, or an admin. Reopening a closed month is the reviewer's side too.
    "ledger.prepare": frozenset({"admin", "manager"}),
    "ledger.review": frozenset({"admin", "assessor"}),
    "ledger.reopen": frozenset({"admin", "assessor"}),
    # The audit page (who changed what, when) and the history checks: admins and the discipline office;
    # a failed check is shown on the dashboard to admins, who can act on it.
    "audit.view": frozenset({"admin", "discipline"}),
    "audit.alerts": frozenset({"admin"}),
}

# Roles whose canteen scope rows limit them; other roles see every canteen.
SCOPED_ROLES = frozenset({"manager", "contractor", "viewer", "reviewer"})


def has_permission(user: Any, permission: str) -> bool:
    """True when the user's role grants the permission."""
    # Flask-Login's anonymous user has no role; refuse it before ``.role`` is read.
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    return user.role in PERMISSIONS.get(permission, frozenset())


def can_access_canteen(user: ScopedUser, canteen: HasId) -> bool:
    """True when the canteen is within the user's scope (no scope rows means every canteen)."""
    # Scope rows limit only SCOPED_ROLES, so rows left over from an earlier role never hide canteens.
    if user.role == "admin" or user.role not in SCOPED_ROLES or not user.canteens:
        return True
    return any(item.id == canteen.id for item in user.canteens)


def visible_canteens(user: ScopedUser, canteens: list[C]) -> list[C]:
    """The canteens of ``canteens`` that the user may see."""
    return [canteen for canteen in canteens if can_access_canteen(user, canteen)]
