"""Charts for documents, drawn on the server: matplotlib's Agg renderer with the project's
CJK font (``fonts.font_path``), as PNG at print resolution. The same calls give the same
picture on any machine: no system font is looked up.

Each function takes labels (already in the reader's words) and numbers and returns PNG
bytes; ``data_uri`` makes them an ``<img src>`` for the HTML body that feeds the PDF and
the Word document.
"""

from __future__ import annotations

import base64
import io
import threading
from collections.abc import Sequence
from typing import Any

from tousu.core.documents.fonts import font_path

PALETTE = ["#5470c6", "#91cc75", "#fac858", "#ee6666", "#73c0de", "#3ba272", "#fc8452"]
DPI = 150
# matplotlib's pyplot state is global: one chart at a time per process.
_lock = threading.Lock()
_font: Any = None


def _setup() -> Any:
    """matplotlib with the Agg backend and the CJK font registered (once)."""
    global _font
    import matplotlib

    matplotlib.use("Agg", force=True)
    from matplotlib import font_manager

    if _font is None:
        path = str(font_path())
        font_manager.fontManager.addfont(path)
        _font = font_manager.FontProperties(fname=path)
        matplotlib.rcParams["font.family"] = _font.get_name()
        matplotlib.rcParams["axes.unicode_minus"] = False
    from matplotlib import pyplot

    return pyplot


def _png(figure: Any) -> bytes:
    out = io.BytesIO()
    figure.savefig(out, format="png", dpi=DPI, bbox_inches="tight")
    return out.getvalue()


def _integers(axis: Any) -> None:
    from matplotlib.ticker import MaxNLocator

    axis.set_major_locator(MaxNLocator(integer=True))


def _figure(pyplot: Any, title: str, size: tuple[float, float]) -> tuple[Any, Any]:
    figure, axes = pyplot.subplots(figsize=size)
    if title:
        axes.set_title(title, fontsize=12)
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    return figure, axes


def bar_chart(
    labels: Sequence[str],
    values: Sequence[float],
    *,
    title: str = "",
    horizontal: bool = False,
) -> bytes:
    """Bars, one per label, each with its number."""
    with _lock:
        pyplot = _setup()
        height = max(2.4, 0.35 * len(labels) + 1) if horizontal else 3.2
        figure, axes = _figure(pyplot, title, (6.4, height))
        try:
            if horizontal:
                positions = list(range(len(labels)))[::-1]
                bars = axes.barh(positions, values, color=PALETTE[0])
                axes.set_yticks(positions, labels)
            else:
                bars = axes.bar(range(len(labels)), values, color=PALETTE[0])
                axes.set_xticks(range(len(labels)), labels, rotation=30 if len(labels) > 6 else 0)
            _integers(axes.xaxis if horizontal else axes.yaxis)
            axes.bar_label(bars, fmt="%g", fontsize=8, padding=2)
            return _png(figure)
        finally:
            pyplot.close(figure)


def line_chart(
    labels: Sequence[str], series: dict[str, Sequence[float]], *, title: str = ""
) -> bytes:
    """One line per series over the labels (e.g. days), with a legend when there are
    several."""
    with _lock:
        pyplot = _setup()
        figure, axes = _figure(pyplot, title, (6.4, 3.0))
        try:
            for index, (name, values) in enumerate(series.items()):
                axes.plot(
                    range(len(labels)),
                    values,
                    marker="o" if len(labels) <= 31 else None,
                    markersize=3,
                    color=PALETTE[index % len(PALETTE)],
                    label=name,
                )
            step = max(1, len(labels) // 12)
            axes.set_xticks(range(0, len(labels), step), list(labels)[::step], rotation=30)
            axes.set_ylim(bottom=0)
            _integers(axes.yaxis)
            if len(series) > 1:
                axes.legend(fontsize=8, frameon=False)
            return _png(figure)
        finally:
            pyplot.close(figure)


def pie_chart(labels: Sequence[str], values: Sequence[float], *, title: str = "") -> bytes:
    """Shares of a whole; slices of nothing are left out."""
    with _lock:
        pyplot = _setup()
        figure, axes = _figure(pyplot, title, (5.2, 3.4))
        try:
            kept = [(label, value) for label, value in zip(labels, values, strict=True) if value]
            if kept:
                axes.pie(
                    [v for _, v in kept],
                    labels=[label for label, _ in kept],
                    autopct="%1.0f%%",
                    colors=PALETTE,
                    textprops={"fontsize": 8},
                    startangle=90,
                    counterclock=False,
                )
            axes.axis("equal")
            return _png(figure)
        finally:
            pyplot.close(figure)


def data_uri(png: bytes) -> str:
    """The PNG as a ``data:`` URI for an ``<img src>``."""
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")
