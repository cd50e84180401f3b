"""HTML → Word (.docx) with python-docx, from the same body as the PDF.

Reads the subset the PDF renderer reads: h1–h3, p, b/strong, i/em, br, ul/ol/li,
table/tr/th/td (th cells and thead rows bold), img with a data URI (``width`` in px at
96 dpi), ``<hr class="page">`` for a page break (any other hr is a rule of dashes), font
color. Anything else contributes its text. A Word document does not embed fonts: Chinese
text asks for 宋体 (SimSun), which every Chinese office has; the PDF is the one that looks
the same everywhere.
"""

from __future__ import annotations

import base64
import io
from html.parser import HTMLParser
from typing import Any

EAST_ASIAN_FONT = "宋体"
MAX_IMAGE_PX = 600  # 6.25 inches at 96 dpi: the text width of an A4 page
BLOCKS = {"p", "h1", "h2", "h3", "li", "div", "td", "th"}


def _east_asian(run: Any) -> None:
    from docx.oxml.ns import qn

    properties = run._element.get_or_add_rPr()
    fonts = properties.find(qn("w:rFonts"))
    if fonts is None:
        fonts = properties.makeelement(qn("w:rFonts"), {})
        properties.append(fonts)
    fonts.set(qn("w:eastAsia"), EAST_ASIAN_FONT)


class _Writer(HTMLParser):
    def __init__(self, document: Any) -> None:
        super().__init__(convert_charrefs=True)
        self.document = document
        self.paragraph: Any = None
        self.bold = 0
        self.italic = 0
        self.colour: list[str] = []
        self.lists: list[str] = []
        # A table being read: rows of cells, each (text runs, is header).
        self.table: list[list[tuple[list[tuple[str, bool]], bool]]] | None = None
        self.cell: list[tuple[str, bool]] | None = None
        self.in_head = False
        self.skip = 0  # inside <style>/<script>/<title>

    # Paragraphs
    def _new(self, tag: str) -> Any:
        if tag in ("h1", "h2", "h3"):
            self.paragraph = self.document.add_heading(level=int(tag[1]))
        elif tag == "li":
            style = "List Number" if self.lists and self.lists[-1] == "ol" else "List Bullet"
            self.paragraph = self.document.add_paragraph(style=style)
        else:
            self.paragraph = self.document.add_paragraph()
        return self.paragraph

    def _text(self, text: str) -> None:
        if self.cell is not None:
            self.cell.append((text, bool(self.bold) or self.in_head))
            return
        if not text.strip() and self.paragraph is None:
            return
        paragraph = self.paragraph or self._new("p")
        run = paragraph.add_run(text)
        run.bold = bool(self.bold) or None
        run.italic = bool(self.italic) or None
        if self.colour:
            from docx.shared import RGBColor

            run.font.color.rgb = RGBColor.from_string(self.colour[-1])
        _east_asian(run)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {k: v or "" for k, v in attrs}
        if tag in ("style", "script", "title"):
            self.skip += 1
        elif tag in ("b", "strong"):
            self.bold += 1
        elif tag in ("i", "em"):
            self.italic += 1
        elif tag == "font" and attributes.get("color", "").startswith("#"):
            self.colour.append(attributes["color"][1:7].upper())
        elif tag in ("ul", "ol"):
            self.lists.append(tag)
        elif tag == "table":
            self.table = []
            self.paragraph = None
        elif tag == "thead":
            self.in_head = True
        elif tag == "tr" and self.table is not None:
            self.table.append([])
        elif tag in ("td", "th") and self.table is not None:
            self.cell = []
            if not self.table:
                self.table.append([])
            self.table[-1].append((self.cell, tag == "th" or self.in_head))
        elif tag == "br":
            if self.cell is not None:
                self.cell.append(("\n", False))
            elif self.paragraph is not None:
                self.paragraph.add_run().add_break()
        elif tag == "hr":
            self.paragraph = None
            if "page" in attributes.get("class", "").split():
                self.document.add_page_break()
            else:
                self.document.add_paragraph("—" * 20)
        elif tag == "img":
            self._image(attributes)
        elif tag in BLOCKS and self.cell is None:
            self._new(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in ("style", "script", "title"):
            self.skip = max(0, self.skip - 1)
        elif tag in ("b", "strong"):
            self.bold = max(0, self.bold - 1)
        elif tag in ("i", "em"):
            self.italic = max(0, self.italic - 1)
        elif tag == "font" and self.colour:
            self.colour.pop()
        elif tag in ("ul", "ol") and self.lists:
            self.lists.pop()
        elif tag == "thead":
            self.in_head = False
        elif tag in ("td", "th"):
            self.cell = None
        elif tag == "table":
            self._table()
        elif tag in BLOCKS and self.cell is None:
            self.paragraph = None

    def handle_data(self, data: str) -> None:
        if self.skip:
            return
        text = " ".join(data.split()) if "\n" in data else data
        if text:
            self._text(text)

    def _image(self, attributes: dict[str, str]) -> None:
        from docx.shared import Inches

        source = attributes.get("src", "")
        if not source.startswith("data:") or ";base64," not in source:
            return
        data = base64.b64decode(source.split(";base64,", 1)[1])
        width = attributes.get("width", "").removesuffix("px")
        pixels = min(int(width), MAX_IMAGE_PX) if width.isdigit() else MAX_IMAGE_PX
        self.document.add_picture(io.BytesIO(data), width=Inches(pixels / 96))
        self.paragraph = None

    def _table(self) -> None:
        rows = [row for row in (self.table or []) if row]
        self.table = None
        self.cell = None
        if not rows:
            return
        columns = max(len(row) for row in rows)
        table = self.document.add_table(rows=len(rows), cols=columns)
        table.style = "Table Grid"
        for r, row in enumerate(rows):
            for c, (runs, header) in enumerate(row):
                paragraph = table.cell(r, c).paragraphs[0]
                for text, bold in runs:
                    if text == "\n":
                        paragraph.add_run().add_break()
                        continue
                    run = paragraph.add_run(text)
                    run.bold = (bold or header) or None
                    _east_asian(run)
        self.paragraph = None


def html_docx(body: str, *, title: str) -> bytes:
    """``body`` as a Word document titled ``title`` (its core properties)."""
    from docx import Document
    from docx.shared import Pt

    document = Document()
    document.core_properties.title = title
    document.core_properties.author = "Tousu"
    normal = document.styles["Normal"]
    normal.font.size = Pt(10.5)
    for name in ("Normal", "Heading 1", "Heading 2", "Heading 3", "Title"):
        style = document.styles[name]
        fonts = style.element.get_or_add_rPr()
        from docx.oxml.ns import qn

        element = fonts.find(qn("w:rFonts"))
        if element is None:
            element = fonts.makeelement(qn("w:rFonts"), {})
            fonts.append(element)
        element.set(qn("w:eastAsia"), EAST_ASIAN_FONT)
    writer = _Writer(document)
    writer.feed(body)
    writer.close()
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()
