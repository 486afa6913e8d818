"""Tabular imports: the rows of an uploaded .xlsx or .csv file, and the all-or-nothing problem list."""
from __future__ import annotations

import csv
import io
import warnings
from collections.abc import Generator
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any

from flask_babel import gettext as _
from openpyxl import load_workbook

EXTENSIONS = (".xlsx", ".csv")
MAX_PROBLEMS = 500  # enough to fix a file; a page listing 50,000 problems helps nobody


class UnreadableFile(Exception):
    """The file's type is not supported or its content cannot be read; ``message`` says which."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class SheetRow:
    """A non-empty row and its number as a spreadsheet program shows it (1-based)."""

    number: int
    values: tuple[Any, ...]


def _is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _xlsx_rows(content: bytes) -> Generator[tuple[Any, ...], None, None]:
    try:
        with warnings.catch_warnings():
            # Warnings about styles or extensions openpyxl cannot keep do not matter for reading values.
            warnings.simplefilter("ignore")
            book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception:  # noqa: BLE001  (zip, XML and openpyxl errors all mean the same to the user)
        raise UnreadableFile(_("the file cannot be read as an Excel workbook (.xlsx)")) from None
    try:
        sheet = book.active or book.worksheets[0]
        # Some programs write a wrong sheet size; without this, read-only mode would drop rows.
        sheet.reset_dimensions()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield from sheet.iter_rows(values_only=True)
    except Exception:  # noqa: BLE001  (a broken sheet shows up only while its rows are parsed)
        raise UnreadableFile(_("the file cannot be read as an Excel workbook (.xlsx)")) from None
    finally:
        book.close()


def decode_text(content: bytes) -> str:
    """CSV text as UTF-8 (with or without BOM), else GB18030 as Chinese Excel writes it."""
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return content.decode("gb18030")
    except UnicodeDecodeError:
        raise UnreadableFile(
            _("the file is neither UTF-8 nor GB18030 text; save it as CSV (UTF-8)")) from None


def _csv_rows(content: bytes) -> Generator[tuple[Any, ...], None, None]:
    text = decode_text(content)
    # Binary files (an .xlsx renamed .csv) may still decode as GB18030; real text never holds NUL bytes.
    if "\x00" in text:
        raise UnreadableFile(_("the file holds binary data, not CSV text"))
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        # The record index, not the line number: a quoted cell may span lines, as spreadsheets show it.
        for record in reader:
            yield tuple(record)
    except csv.Error as exc:
        raise UnreadableFile(_("the file cannot be read as CSV (%(reason)s)", reason=str(exc))) from None


def read_rows(filename: str, content: bytes, limit: int) -> list[SheetRow]:
    """The first ``limit`` non-empty rows of the workbook's active sheet or of the CSV file."""
    extension = PurePath(filename or "").suffix.lower()
    if extension not in EXTENSIONS:
        raise UnreadableFile(_("unsupported file type %(ext)s; use .xlsx or .csv",
                               ext=extension or _("(none)")))
    source = _xlsx_rows(content) if extension == ".xlsx" else _csv_rows(content)
    rows: list[SheetRow] = []
    for number, values in enumerate(source, start=1):
        if all(_is_blank(value) for value in values):
            continue
        rows.append(SheetRow(number, tuple(values)))
        # Stop at the limit: an oversized file is refused without being read whole.
        if len(rows) >= limit:
            break
    # Closing the generator runs its ``finally``, which closes a workbook left half-read.
    source.close()
    return rows


@dataclass(frozen=True)
class Problem:
    """What is wrong with one row (1-based, as a spreadsheet numbers it)."""

    row: int
    field: str
    message: str


class ImportFailed(Exception):
    """At least one row is wrong; nothing was stored."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(f"{len(problems)} problem(s)")
        self.problems = problems


def cell_text(value: Any) -> str:
    """A cell's value as trimmed text (a whole-number float without its '.0')."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def problems_of(row: int, errors: dict[str, str]) -> list[Problem]:
    """One Problem per field error of a row."""
    return [Problem(row, field, message) for field, message in errors.items()]


def capped(problems: list[Problem]) -> list[Problem]:
    """At most MAX_PROBLEMS problems, plus one saying how many more there are."""
    if len(problems) <= MAX_PROBLEMS:
        return problems
    rest = len(problems) - MAX_PROBLEMS
    return problems[:MAX_PROBLEMS] + [Problem(0, "file",
                                              _("%(count)s more problem(s) not shown", count=rest))]
