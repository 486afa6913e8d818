"""Import of the meal-card system's export (.xlsx or .csv): every row is checked, then all stored or none."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from canteen.auth.models import User
from canteen.config import AppConfig
from canteen.core.errors import FieldErrors, Forbidden
from canteen.core.permissions import has_permission
from canteen.core.tabular import (ImportFailed, Problem, SheetRow, UnreadableFile, capped, cell_text,
                                  problems_of, read_rows)
from canteen.diners.models import Diner
from canteen.diners.services import add_revision, check_diner_fields, clean_card_no

MAX_ROWS = 100_000
# Exports often start with a title or date line, so the header is looked for in the first rows.
HEADER_SEARCH_ROWS = 10
# Header names as meal-card exports spell them, in English or Chinese.
HEADERS = {
    "card_no": ("card_no", "card", "card number", "卡号", "餐卡号", "饭卡号", "一卡通号"),
    "name": ("name", "姓名"),
    "department": ("department", "部门", "单位", "科室"),
    "active": ("active", "状态", "在用", "是否有效"),
}
_HEADER_FIELDS = {name: field for field, names in HEADERS.items() for name in names}


@dataclass(frozen=True)
class DinerImportResult:
    """How many diners the file added, changed and left as they were."""

    created: int
    updated: int
    unchanged: int


def _header_key(value: Any) -> str:
    # A CSV saved by Excel starts with a byte-order mark, which would hide the first header.
    return " ".join(cell_text(value).replace("\ufeff", "").lower().replace("_", " ").split())


def _find_header(rows: list[SheetRow]) -> tuple[int, dict[str, int]]:
    if not rows:
        raise ImportFailed([Problem(0, "file", _("the file is empty"))])
    keys = {_header_key(name): field for name, field in _HEADER_FIELDS.items()}
    for index, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        columns: dict[str, int] = {}
        for position, value in enumerate(row.values):
            field = keys.get(_header_key(value))
            if field is not None:
                # With two columns for one field it would be a guess which one holds the data.
                if field in columns:
                    raise ImportFailed([Problem(row.number, "header",
                                                _("the column %(name)s appears more than once", name=field))])
                columns[field] = position
        if {"card_no", "name"} <= columns.keys():
            return index, columns
    raise ImportFailed([Problem(0, "header", _("the header row needs the columns card_no (卡号) and name (姓名); "
                                               "department (部门) and active (状态) are optional"))])


def import_diners_file(session: Session, settings: AppConfig, actor: User, filename: str,
                       content: bytes) -> DinerImportResult:
    """Check every row, then add new diners and revise changed ones; ImportFailed lists every problem.

    Nothing is stored when any row is wrong; the entry point must roll back after an ImportFailed.
    """
    if not has_permission(actor, "diners.manage"):
        raise Forbidden(_("your role may not import diners"))
    limit_mb = settings.ledger.max_upload_mb
    # Checked before parsing: a spreadsheet costs memory before any row is read.
    if len(content) > limit_mb * 1024 * 1024:
        raise ImportFailed([Problem(0, "file", _("the file is larger than %(mb)s MB", mb=f"{limit_mb:g}"))])
    try:
        # One row more than allowed is read, to tell a file at the limit from one over it.
        rows = read_rows(filename, content, MAX_ROWS + HEADER_SEARCH_ROWS + 1)
    except UnreadableFile as error:
        raise ImportFailed([Problem(0, "file", error.message)]) from None
    header_index, columns = _find_header(rows)
    data_rows = rows[header_index + 1:]
    if not data_rows:
        raise ImportFailed([Problem(0, "file", _("the file has a header but no rows"))])
    if len(data_rows) > MAX_ROWS:
        raise ImportFailed([Problem(0, "file", _("more than %(max)s rows; split the file",
                                                 max=f"{MAX_ROWS:,}"))])

    problems: list[Problem] = []
    checked: list[tuple[str, dict[str, Any]]] = []
    seen: dict[str, int] = {}
    for row in data_rows:
        # A row shorter than the header has empty cells at its end.
        values = {field: row.values[index] if index < len(row.values) else None
                  for field, index in columns.items()}
        errors = FieldErrors()
        card_no = clean_card_no(values.get("card_no"), errors)
        fields = check_diner_fields({"name": cell_text(values.get("name")),
                                     "department": cell_text(values.get("department")),
                                     "active": values.get("active")}, errors)
        if card_no and "card_no" not in errors:
            # A card twice in one file would make the result depend on the order of the rows.
            if card_no in seen:
                errors["card_no"] = _("the same card number is on row %(row)s", row=seen[card_no])
            else:
                seen[card_no] = row.number
        problems.extend(problems_of(row.number, errors))
        if "active" not in columns:
            # Without the column the file says nothing about it: a deactivated card stays deactivated.
            fields.pop("active")
        if not errors:
            checked.append((card_no, fields))
    if problems:
        raise ImportFailed(capped(problems))

    # One query for all diners rather than one per row.
    existing = {diner.card_no: diner for diner in session.scalars(select(Diner))}
    created = updated = unchanged = 0
    reason = _("imported from %(file)s", file=filename)[:500]
    for card_no, fields in checked:
        diner = existing.get(card_no)
        if diner is None:
            diner = Diner(card_no=card_no, **fields)
            session.add(diner)
            add_revision(diner, actor, "import", reason)
            created += 1
        # No revision for an unchanged diner, so importing the same file again adds nothing to the history.
        elif all(getattr(diner, key) == value for key, value in fields.items()):
            unchanged += 1
        else:
            for key, value in fields.items():
                setattr(diner, key, value)
            add_revision(diner, actor, "import", reason)
            updated += 1
    session.flush()
    return DinerImportResult(created, updated, unchanged)
