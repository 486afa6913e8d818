"""The set-up scripts installed every system library the features need (a fresh machine gets them too)."""
from __future__ import annotations

import shutil

from canteen.core.plotting import cjk_font_file


def test_pdfs_take_the_fast_font_subsetting_path() -> None:
    # Without libharfbuzz-subset0, WeasyPrint silently falls back to a path that took minutes per CJK PDF.
    from weasyprint.text.ffi import harfbuzz_subset

    assert harfbuzz_subset is not None


def test_the_cjk_font_file_and_pdf_tools_are_installed() -> None:
    assert cjk_font_file().is_file()
    assert shutil.which("pdftoppm") is not None
