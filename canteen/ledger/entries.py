"""Record, correct and void waste entries. Nothing is overwritten: each change is a revision."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, Mapping

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from canteen.auth.models import User
from canteen.config import AppConfig
from canteen.core.errors import Conflict, FieldErrors, Forbidden, InvalidInput, NotFound
from canteen.core.permissions import can_access_canteen, has_permission
from canteen.core.validation import clean_text, parse_day, parse_weight_g
from canteen.db import stored_unless_duplicate
from canteen.ledger.chained import hold_month, link_waste_revision
from canteen.ledger.models import SOURCES, WasteEntry, WasteEntryRevision
from canteen.reference.services import dish_by_name
from canteen.reference.validation import check_day_allowed, resolve_canteen, resolve_meal, resolve_stream


@dataclass(frozen=True)
class RecordResult:
    """The stored entry, and whether this call created it (False: a retried client_id)."""

    entry: WasteEntry
    created: bool


def _require_edit(actor: User) -> None:
    if not has_permission(actor, "ledger.edit"):
        raise Forbidden(_("your role may not change the ledger"))


def _retry_of(existing: WasteEntry, canteen: Any, day: date, meal: Any, stream: Any,
              weight_g: int) -> RecordResult:
    """The first entry when a repeated client_id carries the same weighing; Conflict naming what differs."""
    # A retry is compared with what was first recorded: the entry may have been corrected since.
    original = existing.revisions[0]
    differing = [name for name, stored, sent in (
        ("canteen", existing.canteen_id, canteen.id), ("date", existing.day, day),
        ("meal", existing.meal_id, meal.id), ("stream", existing.stream_id, stream.id),
        ("weight", original.weight_g, weight_g)) if stored != sent]
    # The same id for other values is a client bug; storing it would silently lose one weighing.
    if differing:
        fields = {name: _("differs from entry %(id)s stored with this client_id", id=existing.id)
                  for name in differing}
        fields["client_id"] = _("already used for entry %(id)s", id=existing.id)
        raise Conflict(_("client_id was already used for a different entry"), fields)
    return RecordResult(existing, False)


def _by_client_id(session: Session, actor: User, client_id: str) -> WasteEntry | None:
    return session.scalar(select(WasteEntry).where(WasteEntry.created_by_id == actor.id,
                                                   WasteEntry.client_id == client_id))


def live_cell_entries(session: Session, canteen_id: int, day: date, meal_id: int,
                      stream_id: int) -> list[WasteEntry]:
    """The entries of one canteen-day-meal-stream cell that count (not voided), oldest first."""
    return list(session.scalars(select(WasteEntry).where(
        WasteEntry.canteen_id == canteen_id, WasteEntry.day == day, WasteEntry.meal_id == meal_id,
        WasteEntry.stream_id == stream_id, WasteEntry.voided.is_(False)).order_by(WasteEntry.id)))


def _cell_taken() -> Conflict:
    return Conflict(_("someone else entered a value in this cell while you were editing; nothing was saved"),
                    {"weight": _("the cell is no longer empty")})


def record_entry(session: Session, settings: AppConfig, actor: User, data: Mapping[str, Any],
                 source: str = "web", expect_empty: bool = False) -> RecordResult:
    """Validate and store one weighing; a repeated ``client_id`` returns the first entry unchanged.

    ``expect_empty``: the caller showed the cell empty (the daily grid); if it holds an entry now, Conflict.
    """
    _require_edit(actor)
    # A programming error, not bad input: every entry point passes its own source.
    if source not in SOURCES:
        raise ValueError(f"unknown source {source!r}")
    errors = FieldErrors()
    canteen = resolve_canteen(session, data.get("canteen"), actor, errors)
    day = parse_day(data.get("date"), errors)
    if canteen is not None and day is not None:
        check_day_allowed(day, canteen, settings, errors)
    meal = resolve_meal(session, data.get("meal"), canteen, settings, errors)
    stream = resolve_stream(session, data.get("stream"), errors)
    weight_g = parse_weight_g(data.get("weight"), data.get("unit", "kg"), settings, errors)
    dish_name = clean_text(data.get("dish"), "dish", 100, errors)
    note = clean_text(data.get("note"), "note", 500, errors)
    # An empty client_id means none: NULLs never collide in the (user, client_id) constraint.
    client_id = clean_text(data.get("client_id"), "client_id", 64, errors) or None
    errors.raise_if_any(_("the entry was not saved"))
    # Each None above has left a field error, and raise_if_any has raised it.
    assert canteen and day and meal and stream and weight_g

    if client_id is not None:
        existing = _by_client_id(session, actor, client_id)
        if existing is not None:
            return _retry_of(existing, canteen, day, meal, stream, weight_g)
    if expect_empty and live_cell_entries(session, canteen.id, day, meal.id, stream.id):
        raise _cell_taken()

    hold_month(session, canteen.id, day)
    dish = dish_by_name(session, dish_name) if dish_name else None
    entry = WasteEntry(canteen=canteen, day=day, meal=meal, stream=stream, dish=dish, weight_g=weight_g,
                       note=note, source=source, client_id=client_id, created_by=actor)
    entry.revisions.append(WasteEntryRevision(number=1, weight_g=weight_g, dish=dish, note=note,
                                              created_by=actor))
    # The checks above read before writing; two requests can pass them together. The unique constraints
    # decide: (user, client_id) for a retried weighing, one live web entry per cell for the daily grid.
    if stored_unless_duplicate(session, lambda: session.add(entry)):
        link_waste_revision(session, entry.revisions[-1])
        return RecordResult(entry, True)
    existing = _by_client_id(session, actor, client_id) if client_id is not None else None
    if existing is not None:
        # The retry whose twin committed first answers like any retry: 200 with the stored entry.
        return _retry_of(existing, canteen, day, meal, stream, weight_g)
    raise _cell_taken()


def get_entry(session: Session, actor: User, entry_id: int) -> WasteEntry:
    """The entry, if it exists and lies within the actor's scope."""
    entry = session.get(WasteEntry, entry_id)
    # Out of scope answers like a missing entry, so ids reveal nothing about other canteens' ledgers.
    if (entry is None or not has_permission(actor, "ledger.view")
            or not can_access_canteen(actor, entry.canteen)):
        raise NotFound(_("no such entry"))
    return entry


def _entry_changed(entry: WasteEntry) -> Conflict:
    return Conflict(_("someone else changed this entry while you were editing (it is now at revision "
                      "%(number)s); nothing was saved", number=len(entry.revisions)),
                    {"revision": _("changed meanwhile")})


def _check_revision(entry: WasteEntry, expected_revision: int | None) -> None:
    """Conflict when the caller's form was loaded at another revision than the entry's newest."""
    if expected_revision is not None and expected_revision != len(entry.revisions):
        raise _entry_changed(entry)


def correct_entry(session: Session, settings: AppConfig, actor: User, entry_id: int, *, weight: Any,
                  unit: Any, reason: Any, note: Any = None,
                  expected_revision: int | None = None) -> WasteEntry:
    """Append a revision with a new weight (and note); the old value stays in the history.

    ``expected_revision``: the revision the caller's form showed; a correction made since is a Conflict.
    """
    _require_edit(actor)
    entry = get_entry(session, actor, entry_id)
    _check_revision(entry, expected_revision)
    errors = FieldErrors()
    weight_g = parse_weight_g(weight, unit, settings, errors)
    reason_text = clean_text(reason, "reason", 500, errors, required=True)
    note_text = entry.note if note is None else clean_text(note, "note", 500, errors)
    if entry.voided:
        errors["weight"] = _("this entry was voided; enter a new one instead")
    errors.raise_if_any(_("the correction was not saved"))
    assert weight_g is not None
    # A correction that changes nothing would add a revision that only clutters the history.
    if weight_g == entry.weight_g and note_text == entry.note:
        raise InvalidInput(_("nothing changed"), {"weight": _("the same as the current value")})
    hold_month(session, entry.canteen_id, entry.day)
    _append_revision(session, entry, actor, weight_g=weight_g, note=note_text, voided=False,
                     reason=reason_text)
    link_waste_revision(session, entry.revisions[-1])
    return entry


def void_entry(session: Session, actor: User, entry_id: int, reason: Any,
               expected_revision: int | None = None) -> WasteEntry:
    """Void an entry (a revision with a reason); it leaves the totals but not the history."""
    _require_edit(actor)
    entry = get_entry(session, actor, entry_id)
    _check_revision(entry, expected_revision)
    errors = FieldErrors()
    reason_text = clean_text(reason, "reason", 500, errors, required=True)
    if entry.voided:
        errors["reason"] = _("this entry is already void")
    errors.raise_if_any(_("the entry was not voided"))
    hold_month(session, entry.canteen_id, entry.day)
    _append_revision(session, entry, actor, weight_g=entry.weight_g, note=entry.note, voided=True,
                     reason=reason_text)
    link_waste_revision(session, entry.revisions[-1])
    return entry


def _append_revision(session: Session, entry: WasteEntry, actor: User, *, weight_g: int, note: str,
                     voided: bool, reason: str) -> None:
    """Add the next revision and mirror it on the row; Conflict when another one took that number first."""
    number = len(entry.revisions) + 1

    def change() -> None:
        entry.revisions.append(WasteEntryRevision(
            number=number, weight_g=weight_g, dish=entry.dish, note=note, voided=voided, reason=reason,
            created_by=actor))
        # The row mirrors its newest revision, so totals never need to read the history.
        entry.weight_g, entry.note, entry.voided = weight_g, note, voided

    # Two corrections read the same newest revision; (entry, number) is unique, so only one of them can
    # append number n+1 and the other is told, instead of one silently overwriting the other.
    if not stored_unless_duplicate(session, change):
        session.refresh(entry)
        raise _entry_changed(entry)


def list_entries(session: Session, actor: User, canteen_code: str, start: date, end: date,
                 include_void: bool = False, limit: int = 5000) -> list[WasteEntry]:
    """Entries of a canteen between two dates (inclusive), oldest first."""
    errors = FieldErrors()
    canteen = resolve_canteen(session, canteen_code, actor, errors)
    errors.raise_if_any()
    assert canteen is not None
    # The limit keeps one API call from loading years of entries at once.
    query = (select(WasteEntry).where(WasteEntry.canteen_id == canteen.id, WasteEntry.day >= start,
                                      WasteEntry.day <= end)
             .order_by(WasteEntry.day, WasteEntry.meal_id, WasteEntry.stream_id, WasteEntry.id)
             .limit(limit))
    if not include_void:
        query = query.where(WasteEntry.voided.is_(False))
    return list(session.scalars(query))


def entry_as_dict(entry: WasteEntry) -> dict[str, Any]:
    """The JSON shape of an entry."""
    return {
        "id": entry.id,
        "canteen": entry.canteen.code,
        "date": entry.day.isoformat(),
        "meal": entry.meal.code,
        "stream": entry.stream.code,
        "dish": entry.dish.name if entry.dish else None,
        "weight_g": entry.weight_g,
        "weight_kg": entry.weight_g / 1000,
        "note": entry.note,
        "source": entry.source,
        "client_id": entry.client_id,
        "voided": entry.voided,
        "revision": len(entry.revisions),
        "created_by": entry.created_by.username,
        "created_at": entry.created_at.isoformat().replace("+00:00", "Z"),
    }
