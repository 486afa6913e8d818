"""Import of historical ledgers from Excel or CSV: every row is checked, then all are stored or none."""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Callable, Container, Sequence

from flask_babel import gettext as _
from openpyxl.utils.datetime import from_excel
from sqlalchemy import select
from sqlalchemy.orm import Session

from canteen.auth.models import User
from canteen.config import AppConfig
from canteen.core.errors import FieldErrors, Forbidden, ServiceError
from canteen.core.permissions import has_permission
from canteen.core.tabular import (ImportFailed, Problem, SheetRow, UnreadableFile, capped, cell_text,
                                  problems_of, read_rows)
from canteen.core.validation import clean_text, parse_weight_g
from canteen.ledger.diners import parse_count, set_diner_count
from canteen.ledger.entries import record_entry
from canteen.ledger.models import DinerCount, WasteEntry
from canteen.reference.models import Canteen, Meal, Stream
from canteen.reference.validation import check_day_allowed, resolve_canteen, resolve_meal, resolve_stream

# Every row is checked in memory before anything is stored, so the file size must be bounded.
MAX_ROWS = 50_000
HEADER_SEARCH_ROWS = 10  # a title or notes may sit above the header row
HEADERS = {
    "canteen": ("canteen", "餐厅"), "date": ("date", "日期"), "meal": ("meal", "餐次"),
    "stream": ("stream", "类别"), "weight": ("weight", "重量"), "unit": ("unit", "单位"),
    "dish": ("dish", "菜品"), "note": ("note", "备注"), "diners": ("diners", "就餐人数"),
}
_HEADER_FIELDS = {name: field for field, names in HEADERS.items() for name in names}
_DATE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?"
                   r"(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$")
_EXCEL_SERIAL_MAX = 2_958_465  # 9999-12-31


@dataclass(frozen=True)
class ImportResult:
    """How many rows became entries and diner counts, and how many were already imported."""

    entries: int
    diner_counts: int
    skipped: int


@dataclass(frozen=True)
class _EntryRow:
    row: int
    data: dict[str, Any]


@dataclass(frozen=True)
class _CountRow:
    row: int
    canteen: Canteen
    day: date
    meal: Meal
    count: int
    already_there: bool


def _file_problem(message: str, field: str = "file") -> ImportFailed:
    return ImportFailed([Problem(0, field, message)])


def _header_key(value: Any) -> str:
    # A stray byte-order mark, capitals or doubled spaces must not hide a known header.
    return " ".join(cell_text(value).replace("\ufeff", "").lower().split())


def _header_label(field: str) -> str:
    english, chinese = HEADERS[field]
    return f"{english} ({chinese})"


def _find_header(rows: list[SheetRow]) -> tuple[int, dict[str, int]]:
    """The index of the header row in ``rows`` and each known field's column."""
    if not rows:
        raise _file_problem(_("the file is empty"))
    for index, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        columns: dict[str, int] = {}
        twice: list[str] = []
        for position, value in enumerate(row.values):
            field = _HEADER_FIELDS.get(_header_key(value))
            if field is not None:
                if field in columns:
                    twice.append(field)
                columns.setdefault(field, position)
        # The first row naming all three is the header; rows above it are titles or notes.
        if not {"canteen", "date", "meal"} <= columns.keys():
            continue
        # A column given twice would leave open which of its values counts.
        if twice:
            raise ImportFailed([Problem(row.number, "header",
                                        _("the column %(name)s appears more than once",
                                          name=_header_label(field)))
                                for field in twice])
        missing = [field for field in ("stream", "weight") if field not in columns]
        # A weighing needs both columns; a file of diner counts alone needs neither.
        if len(missing) == 1 or (missing and "diners" not in columns):
            raise _file_problem(_("missing column(s): %(names)s (a file of diner counts needs diners (就餐人数))",
                                  names=", ".join(_header_label(field) for field in missing)), "header")
        return index, columns
    # No header found: report what the first row lacks, since that is most likely the intended header.
    found = {_HEADER_FIELDS.get(_header_key(value)) for value in rows[0].values}
    missing = [field for field in ("canteen", "date", "meal") if field not in found]
    raise _file_problem(_("missing column(s): %(names)s; the header row needs canteen, date and meal",
                          names=", ".join(_header_label(field) for field in missing)), "header")


def parse_import_day(value: Any, errors: FieldErrors, field: str = "date") -> date | None:
    """A date from an Excel date cell or serial number, or text like 2021-07-01, 2021/7/1, 2021年7月1日."""
    # datetime first: it is a subclass of date, and its time of day must be dropped.
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if 1 <= value <= _EXCEL_SERIAL_MAX:
            return from_excel(value).date()
    else:
        match = _DATE.match(cell_text(value))
        if match:
            try:
                return date(*(int(part) for part in match.groups()))
            except ValueError:
                # Well-formed but impossible (2021-02-30): reported like any other bad date.
                pass
    errors[field] = _("expected a date such as 2021-07-01 or 2021/7/1")
    return None


def _whole_number(value: Any) -> Any:
    """Spreadsheets store 480 as 480.0; a count is still a count."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    # At most 15 digits: float() of a 5000-digit cell would be infinity, which no int() can take.
    if isinstance(value, str) and re.fullmatch(r"\s*[0-9]{1,15}\.0*\s*", value):
        return int(float(value))
    return value


def _code_of(value: Any, items: Sequence[Any]) -> str:
    """The config code that ``value`` names: the code itself, the Chinese or the English name."""
    text = cell_text(value)
    for item in items:
        if text.lower() == item.code or text == item.name_zh or text.lower() == item.name_en.lower():
            return item.code
    # Unmatched text is passed on as it is, so the resolver reports it as unknown.
    return text


class _RowChecker:
    """Checks rows as the actor, resolving each distinct canteen, meal and stream only once."""

    def __init__(self, session: Session, settings: AppConfig, actor: User) -> None:
        self.session, self.settings, self.actor = session, settings, actor
        self._cache: dict[tuple[Any, ...], tuple[Any, dict[str, str]]] = {}
        self._stored_counts: dict[int, dict[tuple[date, int], int]] = {}
        self._file_counts: dict[tuple[int, date, int], tuple[int, int]] = {}

    def _memo(self, key: tuple[Any, ...], errors: FieldErrors, resolve: Callable[[FieldErrors], Any]) -> Any:
        if key not in self._cache:
            found = FieldErrors()
            try:
                value = resolve(found)
            except Forbidden as error:
                # A canteen out of scope is one more row problem; the file's other problems are still listed.
                value, found = None, FieldErrors(error.fields or {key[0]: error.message})
            self._cache[key] = (value, dict(found))
        value, found_errors = self._cache[key]
        errors.update(found_errors)
        return value

    def _required(self, values: dict[str, Any], field: str, errors: FieldErrors) -> str | None:
        text = cell_text(values.get(field))
        if not text:
            errors[field] = _("required")
            return None
        return text

    def _slot(self, values: dict[str, Any],
              errors: FieldErrors) -> tuple[Canteen | None, date | None, Meal | None]:
        canteen = meal = None
        code = self._required(values, "canteen", errors)
        if code is not None:
            code = _code_of(code, self.settings.canteens)
            canteen = self._memo(("canteen", code), errors,
                                 lambda found: resolve_canteen(self.session, code, self.actor, found))
        day = None
        if cell_text(values.get("date")):
            day = parse_import_day(values.get("date"), errors)
        else:
            errors["date"] = _("required")
        if canteen is not None and day is not None:
            check_day_allowed(day, canteen, self.settings, errors)
        meal_code = self._required(values, "meal", errors)
        if meal_code is not None:
            meal_code = _code_of(meal_code, self.settings.meals)
            meal = self._memo(
                ("meal", meal_code, canteen.id if canteen else None), errors,
                lambda found: resolve_meal(self.session, meal_code, canteen, self.settings, found))
        return canteen, day, meal

    def entry(self, number: int, values: dict[str, Any], client_id: str,
              errors: FieldErrors) -> _EntryRow | None:
        """A checked weighing, ready for record_entry."""
        canteen, day, meal = self._slot(values, errors)
        stream_code = _code_of(values.get("stream"), self.settings.streams)
        stream: Stream | None = self._memo(("stream", stream_code), errors,
                                           lambda found: resolve_stream(self.session, stream_code, found))
        unit = _code_of(values.get("unit"), self.settings.units) or "kg"
        weight = values.get("weight")
        # Parsed here only to list its problem; record_entry parses the raw value again when storing.
        parse_weight_g(weight, unit, self.settings, errors)
        dish = clean_text(cell_text(values.get("dish")), "dish", 100, errors)
        note = clean_text(cell_text(values.get("note")), "note", 500, errors)
        if cell_text(values.get("diners")):
            errors["diners"] = _("a row holds either a weighing or a diner count; "
                                 "put the diner count on a row without a stream")
        if errors or not (canteen and day and meal and stream):
            return None
        return _EntryRow(number, {"canteen": canteen.code, "date": day, "meal": meal.code,
                                  "stream": stream.code, "weight": weight, "unit": unit, "dish": dish,
                                  "note": note, "client_id": client_id})

    def count(self, number: int, values: dict[str, Any], errors: FieldErrors) -> _CountRow | None:
        """A checked diner count; a different count already stored (or earlier in the file) is a problem."""
        canteen, day, meal = self._slot(values, errors)
        count = parse_count(_whole_number(values.get("diners")), errors, "diners")
        if cell_text(values.get("weight")):
            errors["weight"] = _("a weight needs a stream")
        if errors or not (canteen and day and meal) or count is None:
            return None
        stored = self._counts_of(canteen).get((day, meal.id))
        earlier = self._file_counts.get((canteen.id, day, meal.id))
        # A stored count changes only with a reason, which a file row cannot give.
        if stored is not None and stored != count:
            errors["diners"] = _("this meal already has %(stored)s diners in the ledger; correct it on the "
                                 "ledger page with a reason", stored=stored)
            return None
        if earlier is not None and earlier[0] != count:
            errors["diners"] = _("row %(row)s gives %(count)s diners for the same meal",
                                 row=earlier[1], count=earlier[0])
            return None
        # An equal count, stored or earlier in the file, is skipped rather than stored twice.
        self._file_counts.setdefault((canteen.id, day, meal.id), (count, number))
        return _CountRow(number, canteen, day, meal, count,
                         already_there=stored is not None or earlier is not None)

    def _counts_of(self, canteen: Canteen) -> dict[tuple[date, int], int]:
        # One query per canteen, not one per row.
        if canteen.id not in self._stored_counts:
            rows = self.session.execute(select(DinerCount.day, DinerCount.meal_id, DinerCount.count)
                                        .where(DinerCount.canteen_id == canteen.id))
            self._stored_counts[canteen.id] = {(day, meal_id): count for day, meal_id, count in rows}
        return self._stored_counts[canteen.id]


def _check_rows(checker: _RowChecker, rows: list[SheetRow], columns: dict[str, int],
                prefix: str) -> tuple[list[_EntryRow | _CountRow], list[Problem]]:
    plan: list[_EntryRow | _CountRow] = []
    problems: list[Problem] = []
    for row in rows:
        # Spreadsheets may cut trailing empty cells off a row.
        values = {field: row.values[index] if index < len(row.values) else None
                  for field, index in columns.items()}
        errors = FieldErrors()
        item: _EntryRow | _CountRow | None = None
        if cell_text(values.get("stream")):
            item = checker.entry(row.number, values, f"{prefix}{row.number}", errors)
        elif cell_text(values.get("diners")):
            item = checker.count(row.number, values, errors)
        else:
            errors["stream"] = _("give a stream and a weight, or a diner count")
        if item is not None:
            plan.append(item)
        problems.extend(problems_of(row.number, errors))
    return plan, problems


def _store(session: Session, settings: AppConfig, actor: User, plan: list[_EntryRow | _CountRow],
           imported: Container[str | None]) -> tuple[ImportResult, list[Problem]]:
    entries = counts = skipped = 0
    problems: list[Problem] = []
    for item in plan:
        try:
            if isinstance(item, _EntryRow):
                # Any user's earlier import of this very row counts, not only the actor's own.
                if item.data["client_id"] in imported:
                    skipped += 1
                    continue
                result = record_entry(session, settings, actor, item.data, source="import")
                entries, skipped = entries + result.created, skipped + (not result.created)
            elif item.already_there:
                skipped += 1
            else:
                set_diner_count(session, settings, actor, canteen=item.canteen.code, day=item.day,
                                meal=item.meal.code, count=item.count, source="import")
                counts += 1
        except ServiceError as error:
            # A row that passed the checks can still fail as it is stored; it is reported like the others.
            problems.extend(problems_of(item.row, error.fields) or [Problem(item.row, "", error.message)])
    return ImportResult(entries, counts, skipped), problems


def import_ledger_file(session: Session, settings: AppConfig, actor: User, filename: str,
                       content: bytes) -> ImportResult:
    """Check every row of an .xlsx or .csv ledger as ``actor``, then store all rows (source "import") or none.

    Raises ImportFailed listing every problem; the entry point must then roll back, as after any error.
    """
    if not has_permission(actor, "ledger.import"):
        raise Forbidden(_("your role may not import ledgers"))
    limit_mb = settings.ledger.max_upload_mb
    # Refused before parsing: an oversized file is not worth opening.
    if len(content) > limit_mb * 1024 * 1024:
        raise _file_problem(_("the file is larger than %(mb)s MB", mb=f"{limit_mb:g}"))
    try:
        # Enough rows to find the header and still notice a file with more than MAX_ROWS rows.
        rows = read_rows(filename, content, MAX_ROWS + HEADER_SEARCH_ROWS + 1)
    except UnreadableFile as error:
        raise _file_problem(error.message) from None
    header_index, columns = _find_header(rows)
    data_rows = rows[header_index + 1:]
    if len(data_rows) > MAX_ROWS:
        raise _file_problem(_("more than %(max)s rows; split the file", max=f"{MAX_ROWS:,}"))
    if not data_rows:
        raise _file_problem(_("the file has a header but no rows"))

    # Row ids derive from the file's bytes, so importing the same file again finds its rows already stored.
    prefix = f"imp:{hashlib.sha256(content).hexdigest()[:16]}:"
    plan, problems = _check_rows(_RowChecker(session, settings, actor), data_rows, columns, prefix)
    if problems:
        raise ImportFailed(capped(problems))
    # The rows of this file stored by earlier imports, read in one query.
    imported = set(session.scalars(select(WasteEntry.client_id)
                                   .where(WasteEntry.client_id.startswith(prefix))))
    result, problems = _store(session, settings, actor, plan, imported)
    if problems:
        raise ImportFailed(capped(problems))
    return result
