"""Reading the file of an import: CSV (UTF-8 with or without a BOM, GBK or GB18030,
told apart by decoding) or a spreadsheet (XLSX, XLS, ODS through python-calamine).
A table is its header and its records, each with the row number a person sees when
they open the file (the header is row 1)."""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.utils.translation import gettext as _
from python_calamine import CalamineError, CalamineWorkbook

from tousu.imports.cells import text

SPREADSHEETS = (".xlsx", ".xlsm", ".xlsb", ".xls", ".ods")
TEXTS = (".csv", ".txt", ".tsv")
# Tried in this order when no encoding is given: strict UTF-8 fails on GBK bytes, and
# GB18030 is a superset of GBK and GB2312.
GUESSES = ("utf-8-sig", "gb18030")


class SourceError(ValueError):
    """The file cannot be read as a table; the message says why."""


@dataclass
class Table:
    """The header (stripped) and a way to walk the records, as often as needed."""

    header: list[str]
    _records: Any  # () -> Iterator[tuple[int, list[Any]]]
    encoding: str = ""

    def records(self) -> Iterator[tuple[int, list[Any]]]:
        """(row number, cells) of each record that is not blank, header excluded."""
        for number, cells in self._records():
            if any(cell not in (None, "") and str(cell).strip() for cell in cells):
                yield number, cells


def table_read(path: Path, *, encoding: str | None = None, sheet: str | None = None) -> Table:
    """Open ``path`` as a table; ``SourceError`` when it cannot be."""
    suffix = path.suffix.lower()
    if suffix in SPREADSHEETS:
        return _spreadsheet(path, sheet)
    if suffix in TEXTS:
        return _csv(path, encoding)
    raise SourceError(
        _("Cannot import %(name)s: give a CSV file or a spreadsheet (%(kinds)s).")
        % {"name": path.name, "kinds": ", ".join(TEXTS + SPREADSHEETS)}
    )


def _decode(raw: bytes, encoding: str | None, name: str) -> tuple[str, str]:
    if encoding:
        try:
            codecs.lookup(encoding)
        except LookupError:
            raise SourceError(_("Unknown encoding “%(value)s”.") % {"value": encoding}) from None
        try:
            return raw.decode(encoding), encoding
        except UnicodeDecodeError as exc:
            raise SourceError(
                _("%(name)s is not in %(encoding)s (byte %(offset)d cannot be read).")
                % {"name": name, "encoding": encoding, "offset": exc.start}
            ) from None
    if raw.startswith(codecs.BOM_UTF8):
        encoding = "utf-8-sig"
    for guess in (encoding,) if encoding else GUESSES:
        try:
            return raw.decode(guess), guess
        except UnicodeDecodeError:
            continue
    raise SourceError(
        _("Cannot tell the encoding of %(name)s: give it with --encoding (e.g. gbk).")
        % {"name": name}
    )


def _csv(path: Path, encoding: str | None) -> Table:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise SourceError(
            _("Cannot read %(path)s: %(error)s") % {"path": path, "error": exc.strerror or exc}
        ) from exc
    text, used = _decode(raw, encoding, path.name)
    first = text.split("\n", 1)[0]
    delimiter = "\t" if first.count("\t") > first.count(",") else ","

    def rows() -> Iterator[tuple[int, list[str]]]:
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
        yield from enumerate(reader, start=1)

    try:
        header_row = next(rows(), None)
    except csv.Error as exc:
        raise SourceError(
            _("%(name)s is not a CSV file: %(error)s") % {"name": path.name, "error": exc}
        ) from exc
    if header_row is None:
        raise SourceError(_("%(name)s is empty.") % {"name": path.name})
    header = [cell.strip().lstrip("\ufeff") for cell in header_row[1]]

    def records() -> Iterator[tuple[int, list[str]]]:
        iterator = rows()
        next(iterator)
        try:
            yield from iterator
        except csv.Error as exc:
            raise SourceError(
                _("%(name)s is not a CSV file: %(error)s") % {"name": path.name, "error": exc}
            ) from exc

    return Table(header=header, _records=records, encoding=used)


def _spreadsheet(path: Path, sheet_name: str | None) -> Table:
    try:
        workbook = CalamineWorkbook.from_path(str(path))
        if sheet_name:
            if sheet_name not in workbook.sheet_names:
                raise SourceError(
                    _("%(name)s has no sheet “%(sheet)s” (it has: %(sheets)s).")
                    % {
                        "name": path.name,
                        "sheet": sheet_name,
                        "sheets": "、".join(workbook.sheet_names),
                    }
                )
            sheet = workbook.get_sheet_by_name(sheet_name)
        else:
            sheet = workbook.get_sheet_by_index(0)
    except (CalamineError, OSError, ValueError) as exc:
        if isinstance(exc, SourceError):
            raise
        raise SourceError(
            _("Cannot read the spreadsheet %(name)s: %(error)s") % {"name": path.name, "error": exc}
        ) from exc
    first_row = sheet.start[0] if sheet.start else 0

    def rows() -> Iterator[tuple[int, list[Any]]]:
        yield from enumerate(sheet.iter_rows(), start=first_row + 1)

    header_row = next(rows(), None)
    if header_row is None:
        raise SourceError(_("%(name)s is empty.") % {"name": path.name})
    header = [text(cell) for cell in header_row[1]]

    def records() -> Iterator[tuple[int, list[Any]]]:
        iterator = rows()
        next(iterator)
        yield from iterator

    return Table(header=header, _records=records)
