"""Printable PDFs rendered by WeasyPrint from HTML templates (fonts through fontconfig: Noto Sans CJK SC)."""
from __future__ import annotations

from weasyprint import HTML


def html_to_pdf(html: str) -> bytes:
    """Render a complete HTML document to PDF bytes."""
    return HTML(string=html).write_pdf()
