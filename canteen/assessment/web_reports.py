"""The printable month sheet (PDF) and a contractor's year summary (page, Excel, PDF)."""
from __future__ import annotations

import base64
from io import BytesIO
from typing import Any

from flask import abort, render_template, request, send_file
from flask_babel import get_locale
from flask_babel import gettext as _

from canteen.assessment.access import visible_assessment
from canteen.assessment.assessments import active_lines, resolve_code, score_of, sheet_for
from canteen.assessment.chart import trend_png
from canteen.assessment.contractors import visible_contractors
from canteen.assessment.excel import summary_workbook_bytes
from canteen.assessment.pdf import html_to_pdf
from canteen.assessment.summary import YearSummary, year_summary
from canteen.assessment.web import actor, bp, settings, year_arg
from canteen.core.errors import NotFound
from canteen.core.guard import require
from canteen.extensions import db

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _english() -> bool:
    # The printed sheet and the workbook follow the language of the page they are downloaded from.
    return str(get_locale()).startswith("en")


@bp.route("/<int:assessment_id>/sheet.pdf")
@require("assessment.view")
def sheet_pdf(assessment_id: int) -> Any:
    """The month's sheet to print and sign: items, deductions with evidence, total, grade, fee, signatures."""
    try:
        assessment = visible_assessment(db.session, actor(), assessment_id)
    except NotFound:
        abort(404)
    sheet = sheet_for(assessment)
    lines_by_rule: dict[str, list[Any]] = {}
    for line in active_lines(assessment):
        lines_by_rule.setdefault(line.code, []).append(line)
    html = render_template("assessment/sheet_pdf.html", assessment=assessment, sheet=sheet,
                           card=score_of(assessment), lines_by_rule=lines_by_rule,
                           resolve_code=lambda code: resolve_code(sheet, code), english=_english())
    # One file per contract, canteen and month: the name says which sheet it is once downloaded.
    name = (f"assessment-{assessment.contractor.contract_no}-{assessment.canteen.code}"
            f"-{assessment.month:%Y-%m}.pdf")
    return send_file(BytesIO(html_to_pdf(html)), mimetype="application/pdf", as_attachment=True,
                     download_name=name)


def _summary_from_args() -> YearSummary | None:
    # Without ?contractor= the first one the user may see, as on the index page.
    contractors = visible_contractors(db.session, actor())
    wanted = request.args.get("contractor") or (str(contractors[0].id) if contractors else None)
    if wanted is None:
        return None
    try:
        return year_summary(db.session, settings(), actor(), wanted, year_arg())
    except NotFound:
        abort(404)


def _chart_labels() -> dict[str, str]:
    return {"score": _("Monthly total"), "plate": _("Plate waste per diner-meal (g)"), "month": _("Month")}


@bp.route("/summary")
@require("assessment.view")
def summary_page() -> Any:
    """A contractor's year: monthly totals and grades, deductions by item, waste trend."""
    summary = _summary_from_args()
    return render_template("assessment/summary.html", summary=summary,
                           contractors=visible_contractors(db.session, actor()), year=year_arg())


@bp.route("/summary.xlsx")
@require("assessment.view")
def summary_xlsx() -> Any:
    """The year summary as Excel."""
    summary = _summary_from_args()
    if summary is None:
        abort(404)
    content = summary_workbook_bytes(summary, _english())
    name = f"assessment-summary-{summary.contractor.contract_no}-{summary.year}.xlsx"
    return send_file(BytesIO(content), mimetype=XLSX, as_attachment=True, download_name=name)


@bp.route("/summary.pdf")
@require("assessment.view")
def summary_pdf() -> Any:
    """The year summary as PDF, with the trend chart."""
    summary = _summary_from_args()
    if summary is None:
        abort(404)
    english = _english()
    names = {canteen.id: canteen.name_en if english else canteen.name_zh for canteen in summary.canteens}
    # Embedded as a data URI, so WeasyPrint needs no request back into the app for the image.
    chart = base64.b64encode(trend_png(summary, _chart_labels(), names)).decode()
    html = render_template("assessment/summary_pdf.html", summary=summary, chart=chart, english=english)
    name = f"assessment-summary-{summary.contractor.contract_no}-{summary.year}.pdf"
    return send_file(BytesIO(html_to_pdf(html)), mimetype="application/pdf", as_attachment=True,
                     download_name=name)
