"""The kernel's chart writer: one PNG drawing per figure, grey when the figure is grey, and figures that share
their thread's renderer never see each other's pixels, in one thread or in several at once."""
from __future__ import annotations

import io
import threading

from matplotlib.figure import Figure
from PIL import Image

from canteen.core.plotting import new_figure, png_bytes, svg_bytes


def _bars(colour: str, heights: list[float], size: tuple[float, float] = (6.0, 3.0)) -> Figure:
    figure = new_figure(size, dpi=100, layout="tight")
    axes = figure.add_subplot()
    axes.bar(range(len(heights)), heights, color=colour, hatch="//", edgecolor="black")
    axes.set_title("月度餐厨垃圾（kg）")
    return figure


def _mode(png: bytes) -> str:
    return Image.open(io.BytesIO(png)).mode


def test_a_grey_figure_is_a_grey_png_and_a_coloured_one_keeps_its_colours() -> None:
    grey = png_bytes(_bars("0.6", [3, 1, 2]), 100)
    coloured = png_bytes(_bars("tab:red", [3, 1, 2]), 100)
    assert _mode(grey) == "L" and _mode(coloured) == "RGBA"
    assert Image.open(io.BytesIO(grey)).size == (600, 300)
    # The grey PNG holds exactly the pixels the drawing made, not an approximation.
    redrawn = Image.open(io.BytesIO(png_bytes(_bars("0.6", [3, 1, 2]), 100))).convert("RGBA")
    assert redrawn.tobytes() == Image.open(io.BytesIO(grey)).convert("RGBA").tobytes()


def test_figures_drawn_in_turn_on_the_shared_renderer_keep_their_own_pixels() -> None:
    first, second = _bars("0.3", [1, 2, 3]), _bars("0.7", [3, 2, 1])
    alone = png_bytes(first, 100)
    other = png_bytes(second, 100)
    assert other != alone
    # Drawn again after another figure of the same size used the renderer: the same bytes as before.
    assert png_bytes(first, 100) == alone
    assert png_bytes(second, 100) == other
    # A different size gets a renderer of its own, and the first size is still right afterwards.
    assert Image.open(io.BytesIO(png_bytes(_bars("0.5", [2, 2], (4.0, 2.0)), 100))).size == (400, 200)
    assert png_bytes(first, 100) == alone


def test_threads_drawing_at_once_each_get_their_own_pixels() -> None:
    heights = [[index + 1, 3, 5 - index] for index in range(4)]
    expected = [png_bytes(_bars("0.5", row), 100) for row in heights]
    results: dict[int, list[bytes]] = {}
    start = threading.Barrier(len(heights))

    def draw(index: int) -> None:
        start.wait()
        results[index] = [png_bytes(_bars("0.5", heights[index]), 100) for _round in range(5)]

    threads = [threading.Thread(target=draw, args=(index,)) for index in range(len(heights))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [set(results[index]) for index in range(len(heights))] == [{png} for png in expected]


def test_an_svg_after_the_png_keeps_the_layout_of_the_png_drawing() -> None:
    figure = _bars("0.6", [3, 1, 2])
    png_bytes(figure, 100)
    position = figure.axes[0].get_position().bounds
    svg = svg_bytes(figure)
    assert svg.startswith(b"<?xml") and b"<svg" in svg and b"<dc:date>" not in svg
    assert figure.axes[0].get_position().bounds == position
