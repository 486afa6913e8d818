"""The diner registry: create, edit (as revisions with a reason), look up and search diners."""
from __future__ import annotations

import re
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import case, or_, select
from sqlalchemy.orm import Session

from canteen.auth.models import User
from canteen.core.errors import Conflict, FieldErrors, Forbidden, NotFound
from canteen.core.permissions import has_permission
from canteen.core.validation import clean_text
from canteen.diners.models import Diner, DinerRevision

CARD_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,32}$")
SEARCH_LIMIT = 50


def clean_card_no(value: Any, errors: FieldErrors, field: str = "card_no") -> str:
    """A meal-card number: 1 to 32 letters, digits, '-' or '_' (spreadsheets' 1001.0 becomes 1001)."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    # bool is an int in Python: True must not become card number '1'.
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not value.strip():
        errors[field] = _("required")
        return ""
    value = value.strip()
    if not CARD_PATTERN.match(value):
        errors[field] = _("1 to 32 letters, digits, '-' or '_'")
    return value


def parse_active(value: Any, errors: FieldErrors, field: str = "active") -> bool:
    """True or False from a checkbox, JSON or a spreadsheet cell (是/否, yes/no, 1/0, 在用/停用)."""
    if value is None or isinstance(value, bool):
        # A missing value means active: a card registered without a status is in use.
        return True if value is None else value
    text = str(int(value) if isinstance(value, float) and value.is_integer() else value).strip().lower()
    if text in ("", "1", "yes", "y", "true", "on", "active", "是", "在用", "正常", "有效"):
        return True
    if text in ("0", "no", "n", "false", "off", "inactive", "否", "停用", "注销", "无效"):
        return False
    errors[field] = _("expected yes or no (是/否)")
    return True


def check_diner_fields(data: dict[str, Any], errors: FieldErrors) -> dict[str, Any]:
    """Checked name, department and active flag of a diner record."""
    return {"name": clean_text(data.get("name"), "name", 100, errors, required=True),
            "department": clean_text(data.get("department"), "department", 100, errors),
            "active": parse_active(data.get("active"), errors)}


def _require(actor: User, permission: str) -> None:
    if not has_permission(actor, permission):
        raise Forbidden(_("your role may not do this"))


def diner_by_card(session: Session, card_no: str) -> Diner | None:
    """The diner with this meal-card number."""
    return session.scalar(select(Diner).where(Diner.card_no == card_no.strip()))


def get_diner(session: Session, diner_id: int) -> Diner:
    """The diner with this id, else NotFound."""
    diner = session.get(Diner, diner_id)
    if diner is None:
        raise NotFound(_("no such diner"))
    return diner


def add_revision(diner: Diner, actor: User, source: str, reason: str | None = None) -> DinerRevision:
    """Append the diner's current values as a new revision."""
    # Numbers count up per diner; the unique constraint stops two writers taking the same one.
    revision = DinerRevision(number=len(diner.revisions) + 1, name=diner.name, department=diner.department,
                             active=diner.active, source=source, reason=reason, created_by_id=actor.id)
    diner.revisions.append(revision)
    return revision


def create_diner(session: Session, actor: User, data: dict[str, Any], source: str = "web") -> Diner:
    """Register a diner; InvalidInput names bad fields, Conflict a card number already registered."""
    _require(actor, "diners.manage")
    errors = FieldErrors()
    card_no = clean_card_no(data.get("card_no"), errors)
    fields = check_diner_fields(data, errors)
    if errors:
        errors.raise_if_any(_("the diner was not saved"))
    # Checked here for a clear message; the unique index still guards against a race.
    if diner_by_card(session, card_no) is not None:
        raise Conflict(_("this card number is already registered"), {"card_no": _("already registered")})
    diner = Diner(card_no=card_no, **fields)
    session.add(diner)
    add_revision(diner, actor, source)
    session.flush()
    return diner


def update_diner(session: Session, actor: User, diner: Diner, data: dict[str, Any],
                 source: str = "web") -> bool:
    """Change a diner's name, department or active flag with a reason; False when nothing changed."""
    _require(actor, "diners.manage")
    errors = FieldErrors()
    fields = check_diner_fields(data, errors)
    reason = clean_text(data.get("reason"), "reason", 500, errors, required=True)
    if errors:
        errors.raise_if_any(_("the diner was not saved"))
    # No change, no revision: the history records real edits only.
    if all(getattr(diner, key) == value for key, value in fields.items()):
        return False
    for key, value in fields.items():
        setattr(diner, key, value)
    add_revision(diner, actor, source, reason)
    session.flush()
    return True


def search_diners(session: Session, query: str, limit: int = SEARCH_LIMIT,
                  active_only: bool = False) -> list[Diner]:
    """Diners whose card number starts with ``query`` or whose name or department contains it."""
    statement = select(Diner)
    query = (query or "").strip()
    if query:
        # The user's % and _ are literal characters, not wildcards.
        escaped = query.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        statement = statement.where(or_(Diner.card_no.like(escaped + "%", escape="\\"),
                                        Diner.name.like("%" + escaped + "%", escape="\\"),
                                        Diner.department.like("%" + escaped + "%", escape="\\")))
    if active_only:
        statement = statement.where(Diner.active.is_(True))
    # Exact card matches first, then by name.
    exact = case((Diner.card_no == query, 0), else_=1)
    return list(session.scalars(statement.order_by(exact, Diner.name, Diner.card_no).limit(limit)))


def diner_as_dict(diner: Diner) -> dict[str, Any]:
    """The JSON shape of a diner."""
    return {"card_no": diner.card_no, "name": diner.name, "department": diner.department,
            "active": diner.active}
