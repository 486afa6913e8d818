"""Diner counts per canteen, day and meal; a changed count is a new revision."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from canteen.auth.models import User
from canteen.config import AppConfig
from canteen.core.errors import Conflict, FieldErrors, Forbidden
from canteen.core.permissions import has_permission
from canteen.core.validation import clean_text, parse_day, parse_int
from canteen.db import stored_unless_duplicate
from canteen.ledger.chained import hold_month, link_diner_revision
from canteen.ledger.models import DinerCount, DinerCountRevision
from canteen.reference.validation import check_day_allowed, resolve_canteen, resolve_meal

MAX_DINERS = 100_000


@dataclass(frozen=True)
class CountResult:
    """The stored count and whether the call created or changed it."""

    diner_count: DinerCount
    created: bool
    changed: bool


def parse_count(value: Any, errors: FieldErrors, field: str = "count") -> int | None:
    """A whole number of diners, 0 to MAX_DINERS."""
    # The kernel's parser refuses JSON true, "²", 1.5 and a 5000-digit string before int() could choke.
    return parse_int(value, errors, field, minimum=0, maximum=MAX_DINERS)


def _count_changed() -> Conflict:
    return Conflict(_("someone else changed this diner count while you were editing; nothing was saved"),
                    {"count": _("changed meanwhile")})


def set_diner_count(session: Session, settings: AppConfig, actor: User, *, canteen: Any, day: Any,
                    meal: Any, count: Any, reason: Any = None, source: str = "web",
                    require_reason: bool = False, expected_revision: int | None = None) -> CountResult:
    """Set a meal's diner count; changing a stored count appends a revision with the reason.

    ``expected_revision``: the revision the caller's form showed (0: no count yet); another is a Conflict.
    """
    if not has_permission(actor, "ledger.edit"):
        raise Forbidden(_("your role may not change the ledger"))
    errors = FieldErrors()
    canteen_row = resolve_canteen(session, canteen, actor, errors)
    parsed_day = parse_day(day, errors)
    if canteen_row is not None and parsed_day is not None:
        check_day_allowed(parsed_day, canteen_row, settings, errors)
    meal_row = resolve_meal(session, meal, canteen_row, settings, errors)
    parsed = parse_count(count, errors)
    reason_text = clean_text(reason, "reason", 500, errors)
    errors.raise_if_any(_("the diner count was not saved"))
    # Each None above has left a field error, and raise_if_any has raised it.
    assert canteen_row and parsed_day and meal_row and parsed is not None

    # A count sent again unchanged is no change, even in a closed month; a real one is refused when chained.
    hold_month(session, canteen_row.id, parsed_day, refuse_closed=False)
    row = session.scalar(select(DinerCount).where(DinerCount.canteen_id == canteen_row.id,
                                                  DinerCount.day == parsed_day,
                                                  DinerCount.meal_id == meal_row.id))
    if expected_revision is not None and expected_revision != (len(row.revisions) if row else 0):
        raise _count_changed()
    if row is None:
        created = DinerCount(canteen_id=canteen_row.id, day=parsed_day, meal=meal_row, count=parsed,
                             created_by_id=actor.id)
        created.revisions.append(DinerCountRevision(number=1, count=parsed, source=source, created_by=actor))
        # (canteen, day, meal) is unique: of two first counts sent at once, one is stored, the other told.
        if not stored_unless_duplicate(session, lambda: session.add(created)):
            raise _count_changed()
        link_diner_revision(session, created.revisions[-1])
        return CountResult(created, True, True)
    # The same count sent again (a re-posted form, a retry) adds no revision.
    if row.count == parsed:
        return CountResult(row, False, False)
    if require_reason and not reason_text:
        FieldErrors(reason=_("say why the stored count changes")).raise_if_any(
            _("the diner count was not saved"))
    number = len(row.revisions) + 1

    def change() -> None:
        assert row is not None  # a missing row was created and returned above
        # A change without a reason (the API may omit it) still says where it came from.
        row.revisions.append(DinerCountRevision(number=number, count=parsed, source=source,
                                                reason=reason_text or _("updated through the API"),
                                                created_by=actor))
        row.count = parsed

    # (count, number) is unique: two changes from the same revision cannot both become the next one.
    if not stored_unless_duplicate(session, change):
        raise _count_changed()
    link_diner_revision(session, row.revisions[-1])
    return CountResult(row, False, True)


def diner_count_as_dict(row: DinerCount, canteen_code: str) -> dict[str, Any]:
    """The JSON shape of a diner count."""
    return {"canteen": canteen_code, "date": row.day.isoformat(), "meal": row.meal.code, "count": row.count,
            "revision": len(row.revisions)}
