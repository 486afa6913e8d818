"""The year summary as an Excel workbook: monthly results, deductions by item, the waste trend."""
from __future__ import annotations

from io import BytesIO

from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from canteen.assessment.summary import YearSummary

_THIN = Side(style="thin")
_BOX = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)


def _name(item: object, english: bool) -> str:
    # Canteens, bands and items all carry name_zh and name_en; the workbook follows the page's language.
    return str(getattr(item, "name_en" if english else "name_zh"))


def _table(sheet: Worksheet, top: int, header: list[str], rows: list[list[object]]) -> int:
    """Write a boxed table; return the next free row."""
    for column, text in enumerate(header, start=1):
        cell = sheet.cell(top, column, text)
        cell.font, cell.border = Font(bold=True), _BOX
        cell.alignment = Alignment(horizontal="center", wrap_text=True)
    for offset, row in enumerate(rows, start=1):
        for column, value in enumerate(row, start=1):
            sheet.cell(top + offset, column, value).border = _BOX
    # One blank row between a table and whatever follows it.
    return top + len(rows) + 2


def summary_workbook(summary: YearSummary, english: bool = False) -> Workbook:
    """Build the workbook: one sheet of monthly results, one of deductions by item."""
    book = Workbook()
    sheet = book.active
    sheet.title = _("Monthly results")
    title = _("Annual assessment summary %(year)s", year=summary.year)
    sheet.cell(1, 1, f"{summary.contractor.name} · {title}").font = Font(size=14, bold=True)
    sheet.cell(2, 1, _("Contract %(number)s, %(start)s to %(end)s", number=summary.contractor.contract_no,
                       start=summary.contractor.starts_on.isoformat(),
                       end=summary.contractor.ends_on.isoformat()))
    header = [_("Month"), _("Canteen"), _("Status"), _("Total"), _("Grade"), _("Contract fee (yuan)"),
              _("Fee payable (yuan)"), _("Food waste (kg)"), _("Plate waste per diner-meal (g)"),
              _("Missing meals")]
    rows: list[list[object]] = []
    for month in summary.months:
        # A month with neither a result nor a ledger figure (outside the contract, or to come) is left out.
        if month.card is None and month.waste_kg is None:
            continue
        card = month.card
        rows.append([month.month.strftime("%Y-%m"), _name(month.canteen, english),
                     month.assessment.status if month.assessment else "",
                     float(card.total) if card else None, _name(card.band, english) if card else "",
                     card.base_fee_fen / 100 if card else None, card.fee_fen / 100 if card else None,
                     month.waste_kg, month.plate_g, month.missing_meals])
    next_row = _table(sheet, 4, header, rows)
    sheet.cell(next_row, 1, _("Months assessed")).font = Font(bold=True)
    sheet.cell(next_row, 2, len(summary.assessed))
    sheet.cell(next_row + 1, 1, _("Average total")).font = Font(bold=True)
    sheet.cell(next_row + 1, 2, float(summary.average) if summary.average is not None else None)
    sheet.cell(next_row + 2, 1, _("Fees payable (yuan)")).font = Font(bold=True)
    sheet.cell(next_row + 2, 2, summary.fee_fen / 100)
    for column, width in enumerate([10, 26, 12, 8, 10, 16, 16, 14, 16, 10], start=1):
        sheet.column_dimensions[get_column_letter(column)].width = width

    items = book.create_sheet(_("Deductions by item"))
    months = [f"{number:02d}" for number in range(1, 13)]
    header = [_("Item"), _("Max points")] + months + [_("Year")]
    rows = []
    for item in summary.items:
        per_month = summary.deducted.get(item.code, {})
        # Summed by month number across the canteens; a month not assessed stays an empty cell, not 0.
        by_number: dict[int, float] = {}
        for first_day, points in per_month.items():
            by_number[first_day.month] = by_number.get(first_day.month, 0) + float(points)
        rows.append([_name(item, english), item.max_points]
                    + [by_number.get(number) for number in range(1, 13)]
                    + [float(summary.item_total(item.code))])
    _table(items, 1, header, rows)
    items.column_dimensions["A"].width = 30
    return book


def summary_workbook_bytes(summary: YearSummary, english: bool = False) -> bytes:
    """The workbook as .xlsx bytes."""
    buffer = BytesIO()
    summary_workbook(summary, english).save(buffer)
    return buffer.getvalue()
