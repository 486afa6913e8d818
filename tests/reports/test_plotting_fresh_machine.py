"""Chinese labels render on a fresh machine and with a font cache built before the CJK fonts were
installed."""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# Builds matplotlib's font cache in MPLCONFIGDIR, then drops the CJK family from it: exactly what a machine
# has when matplotlib was first imported before `apt-get install fonts-noto-cjk`.
STALE_CACHE = textwrap.dedent("""
    from pathlib import Path
    import matplotlib
    from matplotlib import font_manager
    manager = font_manager.fontManager
    manager.ttflist = [entry for entry in manager.ttflist if "CJK" not in entry.name]
    cache = Path(matplotlib.get_cachedir()) / f"fontlist-v{font_manager.FontManager.__version__}.json"
    font_manager.json_dump(manager, cache)
""")

# Draws Chinese text through the one figure factory with every warning an error ("Glyph missing" included).
DRAW = textwrap.dedent("""
    import io, warnings
    warnings.simplefilter("error")
    from matplotlib import font_manager
    stale = {entry.name for entry in font_manager.fontManager.ttflist}
    print("cache-has-cjk", "Noto Sans CJK SC" in stale)
    from canteen.core.plotting import new_figure
    figure = new_figure((4, 3))
    axes = figure.subplots()
    axes.set_title("月合计 餐厨垃圾趋势")
    axes.plot([1, 2, 3], [4700, 4301, 4500], label="综合办公区餐厅")
    axes.legend()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    used = font_manager.findfont(font_manager.FontProperties(family="Noto Sans CJK SC"),
                                 fallback_to_default=False)
    print("font", used)
""")


def _python(code: str, config_dir: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "MPLCONFIGDIR": str(config_dir), "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=ROOT,
                          timeout=120)


def test_a_chart_draws_chinese_with_an_empty_font_cache(tmp_path: Path) -> None:
    done = _python(DRAW, tmp_path)
    assert done.returncode == 0, done.stderr
    assert "NotoSansCJK" in done.stdout


def test_a_chart_draws_chinese_with_a_stale_font_cache(tmp_path: Path) -> None:
    built = _python(STALE_CACHE, tmp_path)
    assert built.returncode == 0, built.stderr
    done = _python(DRAW, tmp_path)
    assert done.returncode == 0, done.stderr
    # The cache really lacked the family, and the chart still found the file.
    assert "cache-has-cjk False" in done.stdout
    assert "NotoSansCJK" in done.stdout


# The assessment year summary's chart, the one that drew empty boxes on a fresh server (issue 9).
YEAR_CHART = textwrap.dedent("""
    import warnings
    warnings.simplefilter("error")
    from decimal import Decimal
    from types import SimpleNamespace
    from canteen.assessment.chart import trend_png
    canteen = SimpleNamespace(id=1)
    rows = [SimpleNamespace(total=Decimal("92.5"), plate_g=48.0 + month) for month in range(12)]
    summary = SimpleNamespace(canteens=[canteen], rows_of=lambda _canteen: rows)
    png = trend_png(summary, {"score": "月度得分", "plate": "人均餐厨垃圾", "month": "月份"}, {1: "综合办公区餐厅"})
    print("png", png[:4] == b"\\x89PNG", len(png))
""")


def test_the_year_summary_chart_draws_chinese_with_a_stale_font_cache(tmp_path: Path) -> None:
    built = _python(STALE_CACHE, tmp_path)
    assert built.returncode == 0, built.stderr
    done = _python(YEAR_CHART, tmp_path)
    assert done.returncode == 0, done.stderr
    assert "png True" in done.stdout
