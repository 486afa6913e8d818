"""A monthly report's files: the charts, the HTML page, the PDF printed from it, and the numbers."""
from __future__ import annotations

import json
from pathlib import Path

from flask import render_template

from reports.monthly import MonthlyReport
from reports.storage import write_file
from reports.timing import Stopwatch


def render_html(report: MonthlyReport) -> str:
    """The report page (needs an app context; the caller chooses the language with force_locale)."""
    return render_template("reporting/report.html", report=report)


def write_report_files(report: MonthlyReport, folder: Path, svg: bool = False,
                       stopwatch: Stopwatch | None = None) -> None:
    """Write the charts (PNG; SVG too with ``svg``), report.html, report.pdf and figures.json."""
    # Imported here: WeasyPrint is slow to import and only writing a PDF needs it.
    from weasyprint import HTML

    clock = stopwatch or Stopwatch()
    files: dict[str, bytes] = {}
    with clock.phase("charts"):
        for chart in report.charts:
            # One PNG per chart serves the page, the PDF and the download: each format costs a full drawing.
            files[f"charts/{chart.name}.png"] = chart.png()
            if svg:
                files[f"charts/{chart.name}.svg"] = chart.svg()
            # Free each figure once written: a monthly job draws eight charts for every report it writes.
            chart.figure.clear()
    with clock.phase("html"):
        html = render_html(report)
        files["report.html"] = html.encode("utf-8")
        numbers = json.dumps(report.figures(), ensure_ascii=False, indent=2, sort_keys=True)
        files["figures.json"] = numbers.encode("utf-8")
    with clock.phase("files"):
        for relative, content in files.items():
            write_file(folder, relative, content)
    with clock.phase("pdf"):
        # The PDF is printed from the very page written above, with the chart files beside it.
        pdf = HTML(string=html, base_url=folder.resolve().as_uri() + "/").write_pdf()
    with clock.phase("files"):
        write_file(folder, "report.pdf", pdf)
