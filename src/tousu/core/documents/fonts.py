"""The CJK font every document embeds: from the project's npm packages."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings

FONT_DIR = ("@embedpdf", "fonts-sc", "fonts")
# fpdf2 style → file; "" is regular, "B" bold.
FONT_FILES = {"": "NotoSansHans-Regular.otf", "B": "NotoSansHans-Bold.otf"}
# The font's PostScript name, as a PDF names it (after the subset's tag: "ABCDEF+").
FONT_NAME = "NotoSansSChinese"


def font_path(style: str = "") -> Path:
    """The font file of ``style`` ("" regular, "B" bold)."""
    return Path(settings.NODE_MODULES).joinpath(*FONT_DIR, FONT_FILES[style])
