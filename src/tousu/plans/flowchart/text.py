"""Text in the chart: the font, estimated widths and wrapping inside a box (the server
has no font metrics, so widths are estimated from the characters)."""

from __future__ import annotations

import html

FONT = (
    "'Noto Sans SC','Noto Sans CJK SC','Source Han Sans SC','PingFang SC',"
    "'Microsoft YaHei','WenQuanYi Micro Hei',sans-serif"
)


def text_width(text: str, px: float) -> float:
    """Estimated width of ``text``: CJK and full-width characters are one em, others
    about 0.6 em."""
    return sum(px if ord(ch) > 0x2E7F else px * 0.6 for ch in text)


def wrap(text: str, width: float, px: float, max_lines: int = 3) -> list[str]:
    """``text`` broken into lines no wider than ``width``; the last line ends in “…”
    when more would be needed."""
    lines: list[str] = []
    current = ""
    for ch in text:
        if text_width(current + ch, px) > width:
            lines.append(current)
            current = ch.lstrip()
        else:
            current += ch
    if current:
        lines.append(current)
    if len(lines) > max_lines:
        last = lines[max_lines - 1]
        while last and text_width(last + "…", px) > width:
            last = last[:-1]
        lines = [*lines[: max_lines - 1], last + "…"]
    return lines or [""]


def esc(text: str) -> str:
    """``text`` safe inside an SVG element or attribute."""
    return html.escape(text, quote=True)
