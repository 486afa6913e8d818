"""The CJK font for chart labels, found and registered with matplotlib once per process."""
from __future__ import annotations

import logging
import shutil
import subprocess
import threading
from pathlib import Path

import matplotlib
from matplotlib import font_manager

log = logging.getLogger(__name__)

CJK_FAMILY = "Noto Sans CJK SC"
# Latin digits and signs come from the CJK font as well; DejaVu is only a safety net for rare symbols.
FALLBACK_FAMILY = "DejaVu Sans"
_lock = threading.Lock()
_family: str | None = None


class FontMissing(RuntimeError):
    """No CJK font is installed; Chinese labels would render as empty boxes."""


def _registered() -> bool:
    return any(entry.name == CJK_FAMILY for entry in font_manager.fontManager.ttflist)


def _fontconfig_file() -> str | None:
    """The file fontconfig picks for the family, if fontconfig is there and really has it."""
    if shutil.which("fc-match") is None:
        return None
    try:
        found = subprocess.run(["fc-match", "-f", "%{family}\n%{file}", CJK_FAMILY], capture_output=True,
                               text=True, timeout=10, check=True).stdout.splitlines()
    except (OSError, subprocess.SubprocessError):
        return None
    if len(found) < 2 or CJK_FAMILY not in found[0] or not Path(found[1]).is_file():
        return None
    return found[1]


def setup_fonts() -> str:
    """Make the CJK family the charts' font (idempotent) and return its name; FontMissing without it."""
    global _family
    if _family is not None:
        return _family
    with _lock:
        if _family is None:
            if not _registered():
                path = _fontconfig_file()
                if path is None:
                    raise FontMissing(f"{CJK_FAMILY} is not installed "
                                      "(Debian: apt-get install fonts-noto-cjk)")
                font_manager.fontManager.addfont(path)
                log.info("registered %s from %s", CJK_FAMILY, path)
            matplotlib.rcParams["font.family"] = [CJK_FAMILY, FALLBACK_FAMILY]
            matplotlib.rcParams["axes.unicode_minus"] = False
            # SVG element ids are random unless salted; fixed ids make repeated reports byte-identical.
            matplotlib.rcParams["svg.hashsalt"] = "canteen-reports"
            _family = CJK_FAMILY
    return _family
