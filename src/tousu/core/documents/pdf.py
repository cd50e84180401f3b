"""HTML → PDF (A4) with fpdf2, the CJK font embedded as a subset.

The body is the subset of HTML that fpdf2's ``write_html`` reads: h1–h3, p, b/strong, i,
br, hr, ul/ol/li, table/thead/tr/th/td (``width="30%"``), img (``src`` a data URI or a
file, ``width`` in px at 96 dpi, as the Word renderer reads it), font color. Paragraphs get
room between their lines for Chinese text (fpdf2's default of 1.0 lets the lines touch).
"""

from __future__ import annotations

import logging
import re

from tousu.core.documents.fonts import FONT_FILES, font_path

HEADINGS = {
    # tag: (size pt, colour, space above, below)
    "h1": (16, "#222222", 4, 2),
    "h2": (13, "#7a1f1f", 5, 2),
    "h3": (11, "#333333", 3, 1),
}


# fpdf2 reads an <img width> in points; the body gives CSS pixels (96 per inch).
_IMG_WIDTH = re.compile(r'(<img\b[^>]*?\bwidth=")(\d+)(?:px)?(")')
_PARAGRAPH = re.compile(r"<p>")
LINE_HEIGHT = "1.5"


def _for_fpdf(body: str) -> str:
    body = _IMG_WIDTH.sub(lambda m: f"{m[1]}{int(m[2]) * 72 // 96}{m[3]}", body)
    return _PARAGRAPH.sub(f'<p style="line-height:{LINE_HEIGHT}">', body)


def html_pdf(body: str, *, title: str, landscape: bool = False) -> bytes:
    """``body`` as an A4 PDF titled ``title``."""
    from fpdf import FPDF
    from fpdf.fonts import TextStyle

    pdf = FPDF(orientation="L" if landscape else "P", format="A4")
    for style in FONT_FILES:
        pdf.add_font("cjk", style, str(font_path(style)))
    pdf.set_margins(15, 15, 15)
    pdf.set_auto_page_break(True, margin=15)
    pdf.set_title(title)
    pdf.set_creator("Tousu")
    pdf.add_page()
    pdf.set_font("cjk", size=10)
    # fontTools reports every table it subsets at INFO.
    logging.getLogger("fontTools").setLevel(logging.WARNING)
    pdf.write_html(
        _for_fpdf(body),
        font_family="cjk",
        table_line_separators=True,
        tag_styles={
            tag: TextStyle(
                font_family="cjk",
                font_style="B",
                font_size_pt=size,
                color=colour,
                t_margin=above,
                b_margin=below,
            )
            for tag, (size, colour, above, below) in HEADINGS.items()
        },
    )
    return bytes(pdf.output())
