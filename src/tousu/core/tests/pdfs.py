"""Reading back the PDFs documents render (for tests of any app)."""

from __future__ import annotations

import io
import re

import pypdf


def pdf_text(data: bytes) -> str:
    """The text of every page, as a reader copying it gets it: fpdf2 writes its CJK font's
    codes with an embedded CMap that pypdf reads a byte at a time, so each character comes
    out with a NUL (and layout spaces) beside it; both are dropped here."""
    reader = pypdf.PdfReader(io.BytesIO(data))
    text = "\n".join(page.extract_text(extraction_mode="layout") for page in reader.pages)
    return re.sub(r"[\x00 ]", "", text)


def pdf_fonts(data: bytes) -> set[str]:
    """The names of the fonts the PDF embeds (subset tags removed)."""
    reader = pypdf.PdfReader(io.BytesIO(data))
    names = set()
    for page in reader.pages:
        fonts = page.get("/Resources", {}).get("/Font", {})
        for key in fonts:
            font = fonts[key].get_object()
            for descendant in font.get("/DescendantFonts", [font]):
                descriptor = descendant.get_object().get("/FontDescriptor")
                if descriptor is None:
                    continue
                descriptor = descriptor.get_object()
                if any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3")):
                    names.add(str(descriptor["/FontName"]).split("+", 1)[-1])
    return names
