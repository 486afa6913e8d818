"""A monthly report's files: charts (PNG and SVG), the HTML page, the PDF made from it, and the numbers."""
from __future__ import annotations

import json
from pathlib import Path

from flask import render_template

from reports.monthly import MonthlyReport
from reports.storage import write_file


def render_html(report: MonthlyReport) -> str:
    """The report page (needs an app context; the caller chooses the language with force_locale)."""
    return render_template("reporting/report.html", report=report)


def write_report_files(report: MonthlyReport, folder: Path) -> None:
    """Write the charts, report.html, report.pdf and figures.json into ``folder``."""
    # Imported here: WeasyPrint is slow to import and only writing a PDF needs it.
    from weasyprint import HTML

    for chart in report.charts:
        write_file(folder, f"charts/{chart.name}.png", chart.png())
        write_file(folder, f"charts/{chart.name}.svg", chart.svg())
        # Free each figure once written: a monthly job draws eight charts for every report it writes.
        chart.figure.clear()
    html = render_html(report)
    write_file(folder, "report.html", html.encode("utf-8"))
    # The PDF is printed from the very page written above, with the chart files beside it.
    pdf = HTML(string=html, base_url=folder.resolve().as_uri() + "/").write_pdf()
    write_file(folder, "report.pdf", pdf)
    numbers = json.dumps(report.figures(), ensure_ascii=False, indent=2, sort_keys=True)
    write_file(folder, "figures.json", numbers.encode("utf-8"))
