"""The one place charts get their figure and font: every chart of the service, the scheduler and the CLI.

The CJK font FILE is registered with matplotlib here, on first use in each process. matplotlib's font cache is
not trusted: on a machine where the cache was built before the CJK fonts were installed, the family is simply
absent from it, and every Chinese label would silently render as an empty box. This kernel module imports only
matplotlib (with numpy and Pillow, which matplotlib itself requires) and the standard library, so any
feature (the report engine in ``reports/``, the assessment's year chart) draws through it without importing
another feature.

Writing a figure is most of what a chart costs, so ``png_bytes`` draws it once on its Agg canvas, stores a
grey chart as an 8-bit grey PNG (a quarter of the RGBA data, lossless for grey pixels) and keeps the layout
it computed, which an SVG drawn afterwards reuses.
"""
from __future__ import annotations

import io
import logging
import shutil
import subprocess
import threading
from pathlib import Path
from typing import Literal

import matplotlib
import numpy
from PIL import Image
from matplotlib import font_manager
from matplotlib.backends.backend_agg import FigureCanvasAgg, RendererAgg
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
# Renderers kept per thread, one per figure size and resolution (a report draws two sizes).
_renderers = threading.local()
KEPT_RENDERERS = 2


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


class SharedRendererCanvas(FigureCanvasAgg):
    """An Agg canvas that draws on its thread's renderer for the figure's size, shared by every figure.

    matplotlib caches the measured size of each text per renderer, so a renderer per figure measured the same
    month labels, tick numbers and titles again in every chart of every report. The pixels of a draw are
    therefore only good until the next figure of that size is drawn in the same thread: read them at once
    (``png_bytes`` and ``savefig`` do).
    """

    def get_renderer(self) -> RendererAgg:
        """The thread's renderer for this figure's size and resolution, made on first use."""
        width, height = self.figure.bbox.size
        key = (width, height, self.figure.dpi)
        kept: dict[tuple[float, float, float], RendererAgg] | None = getattr(_renderers, "by_size", None)
        if kept is None:
            kept = _renderers.by_size = {}
        renderer = kept.pop(key, None)
        if renderer is None:
            renderer = RendererAgg(width, height, self.figure.dpi)
        # The most recently used last; the oldest goes beyond KEPT_RENDERERS (each holds its pixel buffer).
        kept[key] = renderer
        while len(kept) > KEPT_RENDERERS:
            del kept[next(iter(kept))]
        self.renderer = renderer
        return renderer


def new_figure(size: tuple[float, float], dpi: float | None = None,
               layout: Literal["constrained", "tight"] = "constrained") -> Figure:
    """A Figure (never pyplot: no global state, thread-safe) with the CJK font ready and an Agg canvas."""
    setup_fonts()
    figure = Figure(figsize=size, dpi=dpi, layout=layout)
    # Without pyplot nothing attaches a canvas, and a bare Figure cannot be saved.
    SharedRendererCanvas(figure)
    return figure


def _agg_canvas(figure: Figure) -> FigureCanvasAgg:
    canvas = figure.canvas
    # new_figure attaches an Agg canvas; a figure made elsewhere gets one here.
    return canvas if isinstance(canvas, FigureCanvasAgg) else FigureCanvasAgg(figure)


def png_bytes(figure: Figure, dpi: float) -> bytes:
    """The figure as PNG at ``dpi``: 8-bit grey when every pixel is an opaque grey, else RGBA; no metadata."""
    figure.set_dpi(dpi)
    canvas = _agg_canvas(figure)
    canvas.draw()
    # The positions the layout gave are kept: another drawing (an SVG, the PNG again) then costs no second
    # layout, and gives the same picture (matplotlib's layouts move things a little on every run).
    if figure.get_layout_engine() is not None:
        figure.set_layout_engine("none")
    rgba = numpy.asarray(canvas.buffer_rgba())
    grey = rgba[..., 0]
    # The report charts are drawn in greys only (they must print in black and white); checked, not assumed,
    # so a coloured chart keeps its colours.
    if (rgba[..., 3] == 255).all() and (rgba[..., 1] == grey).all() and (rgba[..., 2] == grey).all():
        image = Image.fromarray(numpy.ascontiguousarray(grey))
    else:
        image = Image.fromarray(numpy.ascontiguousarray(rgba))
    buffer = io.BytesIO()
    # No text chunks (no software name or date): re-running a report gives the same bytes.
    image.save(buffer, format="png", dpi=(dpi, dpi))
    return buffer.getvalue()


def svg_bytes(figure: Figure) -> bytes:
    """The figure as SVG, without a date or creator; after ``png_bytes`` it keeps the PNG's layout."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
    return buffer.getvalue()
