"""Writers of tables: XLSX (xlsxwriter in constant-memory mode) and CSV (UTF-8 with a BOM,
so Excel opens Chinese). They know nothing of complaints: a table is its headers and an
iterator of rows, each row a sequence of plain values — ``str``, ``int``, ``Decimal``,
naive local ``datetime``/``date`` or ``None``. Memory stays bounded whatever the number of
rows: XLSX rows are flushed to disk as they are written, CSV is produced in chunks.

Cells are written as values, never as formulas: a title typed on the public portal as
``=HYPERLINK(...)`` stays text in XLSX, and a CSV cell that a spreadsheet would read as a
formula (``= + - @``) is prefixed with an apostrophe (CSV injection).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import xlsxwriter

Value = str | int | float | Decimal | datetime | date | None
Row = Sequence[Value]
# Called with the number of rows written so far, every ``PROGRESS_EVERY`` rows and at the end.
Tick = Callable[[int], None]

BOM = "\ufeff"
# An XLSX sheet holds 1,048,576 rows: the header and this many data rows.
XLSX_MAX_ROWS = 1_048_575
PROGRESS_EVERY = 1000
CSV_CHUNK_ROWS = 500
DATETIME_FORMAT = "%Y-%m-%d %H:%M"
DATE_FORMAT = "%Y-%m-%d"
# Sheet names: at most 31 characters and none of these.
_SHEET_FORBIDDEN = str.maketrans({c: "_" for c in "[]:*?/\\"})
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass
class Sheet:
    """One table: the name of its sheet (XLSX), its headers and its rows (read once)."""

    name: str
    headers: Sequence[str]
    rows: Iterable[Row]
    widths: Sequence[int] = ()


class XlsxTooLarge(ValueError):
    """More rows than an XLSX sheet holds (``export_prepare`` refuses this up front)."""

    def __init__(self, rows: int) -> None:
        super().__init__(f"more than {XLSX_MAX_ROWS} rows for one XLSX sheet (row {rows})")


def _tick(tick: Tick | None, written: int) -> None:
    if tick is not None and written % PROGRESS_EVERY == 0:
        tick(written)


def xlsx_write(path: Path | str, sheets: Sequence[Sheet], *, tick: Tick | None = None) -> int:
    """Write ``sheets`` to an XLSX file at ``path``; the number of data rows written."""
    workbook = xlsxwriter.Workbook(
        str(path),
        {
            "constant_memory": True,
            "strings_to_formulas": False,
            "strings_to_urls": False,
            "strings_to_numbers": False,
        },
    )
    bold = workbook.add_format({"bold": True, "bg_color": "#E8EEF7", "border": 1})
    moment = workbook.add_format({"num_format": "yyyy-mm-dd hh:mm"})
    day = workbook.add_format({"num_format": "yyyy-mm-dd"})
    money = workbook.add_format({"num_format": "#,##0.00"})
    written = 0
    try:
        for sheet in sheets:
            ws = workbook.add_worksheet(sheet.name.translate(_SHEET_FORBIDDEN)[:31] or None)
            for col, width in enumerate(sheet.widths):
                ws.set_column(col, col, width)
            ws.freeze_panes(1, 0)
            for col, header in enumerate(sheet.headers):
                ws.write_string(0, col, str(header), bold)
            r = 0
            for r, row in enumerate(sheet.rows, start=1):
                if r > XLSX_MAX_ROWS:
                    # xlsxwriter would drop the row silently (it returns -1): fail instead.
                    raise XlsxTooLarge(r)
                for col, value in enumerate(row):
                    if value is None or value == "":
                        continue
                    if isinstance(value, datetime):
                        ws.write_datetime(r, col, value, moment)
                    elif isinstance(value, date):
                        ws.write_datetime(r, col, value, day)
                    elif isinstance(value, Decimal):
                        ws.write_number(r, col, value, money)
                    elif isinstance(value, int | float) and not isinstance(value, bool):
                        ws.write_number(r, col, value)
                    else:
                        ws.write_string(r, col, str(value))
                written += 1
                _tick(tick, written)
            if r:
                ws.autofilter(0, 0, r, max(len(sheet.headers) - 1, 0))
    finally:
        workbook.close()
    if tick is not None:
        tick(written)
    return written


def csv_cell(value: Value) -> str:
    """A value as CSV text: local times to the minute, formulas defused."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime(DATETIME_FORMAT)
    if isinstance(value, date):
        return value.strftime(DATE_FORMAT)
    text = str(value)
    if isinstance(value, str) and text.startswith(_FORMULA_START):
        return "'" + text
    return text


def csv_chunks(
    headers: Sequence[str], rows: Iterable[Row], *, tick: Tick | None = None
) -> Iterator[str]:
    """The CSV text in chunks of ``CSV_CHUNK_ROWS`` rows, starting with the BOM and the
    header line — for a streaming response or a file."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write(BOM)
    writer.writerow([str(h) for h in headers])
    written = 0
    for row in rows:
        writer.writerow([csv_cell(v) for v in row])
        written += 1
        _tick(tick, written)
        if written % CSV_CHUNK_ROWS == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    if tick is not None:
        tick(written)
    yield buffer.getvalue()


def csv_write(path: Path | str, sheet: Sheet, *, tick: Tick | None = None) -> int:
    """Write one table to a CSV file at ``path``; the number of data rows written."""
    counted = 0

    def count(written: int) -> None:
        nonlocal counted
        counted = written
        if tick is not None:
            tick(written)

    with open(path, "w", encoding="utf-8", newline="") as out:
        for chunk in csv_chunks(sheet.headers, sheet.rows, tick=count):
            out.write(chunk)
    return counted
