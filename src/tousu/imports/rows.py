"""One record of an import file read through the mapping and checked by registration's
rules: a complaint ready to write, or the problems that keep it out (each naming the
row, the field, the column and why)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

from tousu.complaints.bulk import BulkComplaint, BulkIntake
from tousu.complaints.checks import ComplainantData
from tousu.imports import cells
from tousu.imports.mapping import DATES, Mapping

TITLE_FROM_TEXT = 60  # a title taken from the description: its first line, this long


class MissingColumns(ValueError):
    """The file lacks columns the mapping names; nothing can be imported."""


@dataclass(frozen=True)
class RowProblem:
    """Why a row is not imported: its number in the file (the header is row 1), its
    source id, the mapping's field and the file's column (empty for a default)."""

    row: int
    source_id: str
    field: str
    column: str
    message: str


class RowReader:
    """Reads records of a file with a given header through ``mapping``."""

    def __init__(self, *, mapping: Mapping, header: list[str], intake: BulkIntake):
        missing = [
            (column, name)
            for column, name in mapping.needed_columns().items()
            if column not in header
        ]
        if missing:
            raise MissingColumns(
                _("The file has no column %(columns)s (the mapping names it for %(fields)s).")
                % {
                    "columns": "、".join(f"“{column}”" for column, _name in missing),
                    "fields": ", ".join(name for _column, name in missing),
                }
            )
        self.mapping = mapping
        self.intake = intake
        self.columns = {str(name): column for name, column in mapping.columns.items()}
        self.at = {name: header.index(column) for name, column in self.columns.items()}
        self.closed_at = header.index(mapping.closed.column) if mapping.closed else None
        # Read once: the mapping's own accessors are too slow for every cell.
        self.closed_values = mapping.closed_values()
        self.defaults = {"channel": "import", **{str(k): v for k, v in mapping.defaults.items()}}
        self.values = {str(k): dict(v) for k, v in mapping.values.items()}
        self.formats = list(mapping.date_formats)

    def _cell(self, record: list[Any], name: str) -> Any:
        index = self.at.get(name)
        if index is None or index >= len(record):
            return None
        return record[index]

    def _text(self, record: list[Any], name: str) -> str:
        return cells.text(self._cell(record, name))

    def source_id(self, record: list[Any]) -> str:
        return self._text(record, "source_id")

    def column(self, name: str) -> str:
        """The file's column of field ``name``; "" when it comes from a default."""
        name = name.replace("complainant.", "complainant_")
        if name == "title" and "title" not in self.at:
            name = "description"
        if name == "description" and "description" not in self.at:
            name = "title"
        return self.columns.get(name, "")

    def read(
        self, number: int, record: list[Any], now: dt.datetime
    ) -> tuple[BulkComplaint | None, list[RowProblem]]:
        """The row as a complaint to register, or None and its problems."""
        source_id = self.source_id(record)
        problems: list[RowProblem] = []

        def problem(name: str, message: str) -> None:
            name = name.replace("complainant.", "complainant_")
            problems.append(RowProblem(number, source_id, name, self.column(name), message))

        if not source_id:
            problem("source_id", _("This field is required."))
        elif len(source_id) > 128:
            problem("source_id", _("At most %(limit)d characters.") % {"limit": 128})
        dates: dict[str, dt.datetime | None] = {}
        for name in DATES:
            try:
                dates[name] = cells.moment(self._cell(record, name), self.formats)
            except cells.CellError as exc:
                problem(name, str(exc))
        try:
            amount = cells.amount(self._cell(record, "amount_involved"))
        except cells.CellError as exc:
            problem("amount_involved", str(exc))
            amount = None
        title, description = self._text(record, "title"), self._text(record, "description")
        if "title" not in self.at:
            title = description.strip().split("\n", 1)[0][:TITLE_FROM_TEXT]
        if "description" not in self.at:
            description = title
        checked, errors = self.intake.check(
            title=title,
            description=description,
            category=self._translated(record, "category"),
            complainant=ComplainantData(
                name=self._text(record, "complainant_name"),
                phone=self._text(record, "complainant_phone"),
                id_number=self._text(record, "complainant_id_number"),
                address=self._text(record, "complainant_address"),
                email=self._text(record, "complainant_email"),
            ),
            received_at=dates.get("received_at"),
            occurred_at=dates.get("occurred_at"),
            now=now,
            channel=self._translated(record, "channel"),
            severity=self._translated(record, "severity"),
            nature=self._translated(record, "nature"),
            department=self._translated(record, "department"),
            occurred_place=self._text(record, "occurred_place"),
            persons_involved=self._text(record, "persons_involved"),
            merchant=self._text(record, "merchant"),
            product=self._text(record, "product"),
            amount_involved=amount,
            closed=self.closed(record),
            reply=self._text(record, "reply"),
            result=self._text(record, "result"),
        )
        for name, messages in errors.items():
            if name == "received_at" and "received_at" not in dates:
                continue  # the date could not be read: said above
            for message in messages:
                problem(name, message)
        return (None, problems) if problems else (checked, [])

    def _translated(self, record: list[Any], name: str) -> str:
        """The cell (or the mapping's default) as the mapping's ``values`` translate it."""
        value = self._text(record, name) or self.defaults.get(name, "")
        return self.values.get(name, {}).get(value, value)

    def closed(self, record: list[Any]) -> bool:
        if self.closed_at is None:
            return False
        value = record[self.closed_at] if self.closed_at < len(record) else None
        return cells.text(value).casefold() in self.closed_values
