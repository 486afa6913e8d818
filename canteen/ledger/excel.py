"""The printable monthly ledger (台账) as an Excel workbook."""
from __future__ import annotations

from datetime import datetime
from io import BytesIO
from typing import Any

from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.utils import get_column_letter

from canteen.config import AppConfig
from canteen.ledger.figures import MonthLedger
from canteen.ledger.signoff import MonthSignoff

_THIN = Side(style="thin")
_BOX = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)


def _name(item: object, english: bool) -> str:
    return str(getattr(item, "name_en" if english else "name_zh"))


def ledger_workbook(ledger: MonthLedger, settings: AppConfig, english: bool = False,
                    signoff: MonthSignoff | None = None) -> Workbook:
    """Build the workbook: title, canteen, month, a row per day, totals and the signature lines."""
    meals = {meal.code: meal for meal in settings.meals}
    streams = {stream.code: stream for stream in settings.streams}
    canteen_cfg = settings.canteen(ledger.canteen.code)
    book = Workbook()
    sheet = book.active
    sheet.title = ledger.month.strftime("%Y-%m")

    columns = [(meal, stream) for meal in ledger.meals for stream in ledger.streams]
    # The date, a column per meal and stream, the day's total, a diner count per meal, the missing note.
    width = 1 + len(columns) + 1 + len(ledger.meals) + 1
    title = _("Kitchen-waste ledger")
    canteen_name = _name(canteen_cfg, english) if canteen_cfg else ledger.canteen.code
    sheet.cell(1, 1, f"{canteen_name} {title}").font = Font(size=16, bold=True)
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=width)
    sheet.cell(1, 1).alignment = Alignment(horizontal="center")
    sheet.cell(2, 1, _("Canteen: %(name)s    Month: %(month)s    Unit: kg",
                       name=canteen_name, month=ledger.month.strftime("%Y-%m")))
    sheet.merge_cells(start_row=2, start_column=1, end_row=2, end_column=width)

    header_top, header = 3, 4
    sheet.cell(header_top, 1, _("Date"))
    sheet.merge_cells(start_row=header_top, start_column=1, end_row=header, end_column=1)
    column = 2
    for meal in ledger.meals:
        sheet.cell(header_top, column, _name(meals[meal], english))
        sheet.merge_cells(start_row=header_top, start_column=column, end_row=header_top,
                          end_column=column + len(ledger.streams) - 1)
        for stream in ledger.streams:
            sheet.cell(header, column, _name(streams[stream], english))
            column += 1
    total_column = column
    sheet.cell(header_top, total_column, _("Food waste total"))
    sheet.merge_cells(start_row=header_top, start_column=total_column, end_row=header,
                      end_column=total_column)
    sheet.cell(header_top, total_column + 1, _("Diner count"))
    sheet.merge_cells(start_row=header_top, start_column=total_column + 1, end_row=header_top,
                      end_column=total_column + len(ledger.meals))
    for offset, meal in enumerate(ledger.meals):
        sheet.cell(header, total_column + 1 + offset, _name(meals[meal], english))
    note_column = total_column + len(ledger.meals) + 1
    sheet.cell(header_top, note_column, _("Missing"))
    sheet.merge_cells(start_row=header_top, start_column=note_column, end_row=header, end_column=note_column)

    row_number = header + 1
    for day in ledger.days:
        sheet.cell(row_number, 1, day.day.isoformat())
        for offset, key in enumerate(columns):
            grams = day.cells.get(key)
            sheet.cell(row_number, 2 + offset, None if grams is None else grams / 1000)
        # A day with nothing weighed stays blank: missing is not zero.
        sheet.cell(row_number, total_column, day.food_waste_g / 1000 if day.cells else None)
        for offset, meal in enumerate(ledger.meals):
            sheet.cell(row_number, total_column + 1 + offset, day.diners.get(meal))
        if day.missing_meals:
            sheet.cell(row_number, note_column, _("missing: %(meals)s", meals=", ".join(
                _name(meals[meal], english) for meal in day.missing_meals)))
        row_number += 1

    sheet.cell(row_number, 1, _("Month total")).font = Font(bold=True)
    for offset, key in enumerate(columns):
        sheet.cell(row_number, 2 + offset, ledger.column_g(key) / 1000).font = Font(bold=True)
    sheet.cell(row_number, total_column, ledger.total_g / 1000).font = Font(bold=True)
    for offset, meal in enumerate(ledger.meals):
        sheet.cell(row_number, total_column + 1 + offset, ledger.diners_of(meal))
    last_table_row = row_number

    for row in sheet.iter_rows(min_row=header_top, max_row=last_table_row, max_col=width):
        for cell in row:
            cell.border = _BOX
            if cell.row > header and isinstance(cell.value, float):
                # At least one decimal, at most three: whole grams of a kilogram.
                cell.number_format = "0.0##"
    for row in sheet.iter_rows(min_row=header_top, max_row=header, max_col=width):
        for cell in row:
            cell.font = Font(bold=True)
            cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)

    summary_row = last_table_row + 2
    per_diner = ledger.plate_g_per_diner_meal
    lines = [
        _("Food-waste total: %(kg)s kg; diner-meals: %(diners)s; plate waste per diner-meal: %(g)s g",
          kg=f"{ledger.total_kg:.1f}", diners=ledger.diner_meals,
          g="-" if per_diner is None else f"{per_diner:.1f}"),
    ]
    if not ledger.complete:
        lines.append(_("Incomplete: %(count)s meal(s) without entries.", count=len(ledger.missing)))
    _write_down(sheet, summary_row, lines)
    # The paper ledger is signed by whoever filled it in and whoever checked it.
    _write_down(sheet, summary_row + len(lines) + 1, signature_lines(signoff, settings))

    sheet.column_dimensions["A"].width = 12
    for index in range(2, width + 1):
        sheet.column_dimensions[get_column_letter(index)].width = 9
    sheet.freeze_panes = sheet.cell(header + 1, 2)
    # Printed for signing: one page wide, as many pages long as needed, the headings repeated on each.
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.print_title_rows = f"{header_top}:{header}"
    return book


def _write_down(sheet: Any, first_row: int, lines: list[str]) -> None:
    """Lines of text in column A, one per row from ``first_row``."""
    for offset, text in enumerate(lines):
        sheet.cell(first_row + offset, 1, text)


def signature_lines(signoff: MonthSignoff | None, settings: AppConfig) -> list[str]:
    """The preparer's and reviewer's lines: names and dates once signed in the service, else blanks."""
    blank_prepared = _("Prepared by (填表人): ____________    Date: ________")
    blank_reviewed = _("Reviewed by (复核人): ____________    Date: ________")
    if signoff is None or signoff.current is None:
        return [blank_prepared, blank_reviewed]
    signature = signoff.current

    def day(moment: datetime | None) -> str:
        return moment.astimezone(settings.zone).strftime("%Y-%m-%d") if moment else "________"

    if signoff.state == "prepared":
        return [_("Prepared by (填表人): %(name)s    Date: %(day)s", name=signature.actor.name,
                  day=day(signature.at)), blank_reviewed]
    preparer = signature.prepared_by.name if signature.prepared_by else "?"
    # The chain head printed on the signed paper lets a later reader check the database against it.
    return [_("Prepared by (填表人): %(name)s    Date: %(day)s", name=preparer, day=day(signature.prepared_at)),
            _("Reviewed by (复核人): %(name)s    Date: %(day)s", name=signature.actor.name,
              day=day(signature.at)),
            _("Closed in the service; the month's fingerprint (chain head): %(hash)s",
              hash=signature.head_hash)]


def ledger_workbook_bytes(ledger: MonthLedger, settings: AppConfig, english: bool = False,
                          signoff: MonthSignoff | None = None) -> bytes:
    """The workbook serialised as .xlsx bytes."""
    buffer = BytesIO()
    ledger_workbook(ledger, settings, english, signoff).save(buffer)
    return buffer.getvalue()
