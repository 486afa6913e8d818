"""The one place charts get their figure and font: every chart of the service, the scheduler and the CLI.

The CJK font FILE is registered with matplotlib here, on first use in each process. matplotlib's font cache is
not trusted: on a machine where the cache was built before the CJK fonts were installed, the family is simply
absent from it, and every Chinese label would silently render as an empty box. This kernel module imports only
matplotlib and the standard library, so any feature (the report engine in ``reports/``, the assessment's year
chart) draws through it without importing another feature.
"""
from __future__ import annotations

import logging
import shutil
import subprocess
import threading
from pathlib import Path

import matplotlib
from matplotlib import font_manager
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

log = logging.getLogger(__name__)

CJK_FAMILY = "Noto Sans CJK SC"
# Latin digits and signs come from the CJK font as well; DejaVu is only a safety net for rare symbols.
FALLBACK_FAMILY = "DejaVu Sans"
# Where Debian's fonts-noto-cjk puts the file, for machines without fontconfig's fc-match.
KNOWN_FILES = (
    Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"),
    Path("/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc"),
)
_lock = threading.Lock()
_family: str | None = None


class FontMissing(RuntimeError):
    """No CJK font is installed; Chinese labels would render as empty boxes."""


def _fontconfig_file() -> Path | None:
    """The file fontconfig picks for the family, if fontconfig is there and really has it."""
    if shutil.which("fc-match") is None:
        return None
    try:
        found = subprocess.run(["fc-match", "-f", "%{family}\n%{file}", CJK_FAMILY], capture_output=True,
                               text=True, timeout=10, check=True).stdout.splitlines()
    except (OSError, subprocess.SubprocessError):
        return None
    # fc-match always answers with *some* font; only a file of the family itself will do.
    if len(found) < 2 or CJK_FAMILY not in found[0] or not Path(found[1]).is_file():
        return None
    return Path(found[1])


def cjk_font_file() -> Path:
    """The CJK font file on this machine; FontMissing names the package to install when there is none."""
    path = _fontconfig_file() or next((known for known in KNOWN_FILES if known.is_file()), None)
    if path is None:
        raise FontMissing(f"{CJK_FAMILY} is not installed (Debian: apt-get install fonts-noto-cjk)")
    return path


def setup_fonts() -> str:
    """Register the CJK font file and make it the charts' font (once per process); return the family name."""
    global _family
    # Checked without the lock for speed, then again under it, so two threads never register the font twice.
    if _family is not None:
        return _family
    with _lock:
        if _family is None:
            path = cjk_font_file()
            # Registering the file itself (not looking the family up) is what makes a stale cache harmless.
            font_manager.fontManager.addfont(str(path))
            log.info("registered %s from %s", CJK_FAMILY, path)
            matplotlib.rcParams["font.family"] = [CJK_FAMILY, FALLBACK_FAMILY]
            matplotlib.rcParams["axes.unicode_minus"] = False
            # SVG element ids are random unless salted; fixed ids make repeated reports byte-identical.
            matplotlib.rcParams["svg.hashsalt"] = "canteen-reports"
            _family = CJK_FAMILY
    return _family


def new_figure(size: tuple[float, float], dpi: float | None = None) -> Figure:
    """A Figure (never pyplot: no global state, thread-safe) with the CJK font ready and an Agg canvas."""
    setup_fonts()
    figure = Figure(figsize=size, dpi=dpi, layout="constrained")
    # Without pyplot nothing attaches a canvas, and a bare Figure cannot be saved.
    FigureCanvasAgg(figure)
    return figure
