"""Importing complaints from an earlier system's export (``tousu import``).

Two passes over the file: the first reads the source ids (a duplicate within the file is
a bad row, every copy of it), the second checks each row by registration's rules and
writes the good ones a batch per transaction (``complaints.bulk``), each with the
``ImportedRecord`` that makes a second import of it a no-op. A dry run does everything
but write. At the end of a real run that imported anything, the supervisors get one
summary; nobody else hears of the import.
"""

from __future__ import annotations

import csv
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tousu.accounts.choices import Role
from tousu.accounts.models import User
from tousu.audit.inserts import rows_insert
from tousu.audit.services import audit_record
from tousu.complaints.bulk import (
    BulkComplaint,
    BulkIntake,
    complaints_register_bulk,
    tracking_numbers_take,
)
from tousu.core.actors import IMPORT
from tousu.core.problems import Conflict
from tousu.imports.mapping import Mapping
from tousu.imports.models import ImportedRecord, ImportRun
from tousu.imports.readers import table_read
from tousu.imports.rows import RowProblem, RowReader
from tousu.notifications.services import notify_staff_notice

BATCH = 1000
IMPORT_FINISHED = "import.finished"


@dataclass
class ImportSummary:
    """What an import found and did. ``open`` counts the imported cases still open."""

    read: int = 0
    imported: int = 0
    open: int = 0
    skipped: int = 0
    problems: list[RowProblem] = field(default_factory=list)
    breached: int = 0
    warned: int = 0
    seconds: float = 0.0
    run: ImportRun | None = None

    @property
    def bad(self) -> int:
        """Rows not imported for a problem (a row with several problems counts once)."""
        return len({problem.row for problem in self.problems})


Progress = Callable[[int], None]


def import_file(
    *,
    path: Path,
    mapping: Mapping,
    dry_run: bool = False,
    batch: int = BATCH,
    encoding: str | None = None,
    total: Callable[[int], None] | None = None,
    progress: Progress | None = None,
) -> ImportSummary:
    """Import the complaints of ``path`` as ``mapping`` says.

    Raises ``SourceError`` (file unreadable), ``MissingColumns`` (a column the mapping
    names is not in the header: nothing is read further) and ``InvalidInput`` (no plan).
    ``total`` is told the number of records once they are counted, ``progress`` each
    record done. A dry run writes nothing.
    """
    started = time.monotonic()
    table = table_read(path, encoding=encoding or mapping.encoding, sheet=mapping.sheet)
    intake = BulkIntake()
    reader = RowReader(mapping=mapping, header=table.header, intake=intake)
    summary = ImportSummary()
    seen: dict[str, list[int]] = {}
    for number, record in table.records():
        seen.setdefault(reader.source_id(record), []).append(number)
    if total is not None:
        total(sum(len(rows) for rows in seen.values()))
    done = set(
        ImportedRecord.objects.filter(source=mapping.source).values_list("source_id", flat=True)
    )
    if not dry_run:
        summary.run = ImportRun.objects.create(source=mapping.source, file_name=path.name[:255])
    now = timezone.now()
    pending: list[tuple[str, BulkComplaint]] = []
    for number, record in table.records():
        summary.read += 1
        source_id = reader.source_id(record)
        if source_id and source_id in done:
            summary.skipped += 1
        else:
            checked, problems = reader.read(number, record, now)
            rows = seen.get(source_id, [])
            if source_id and len(rows) > 1:
                others = "、".join(str(n) for n in rows if n != number)
                problems.append(
                    RowProblem(
                        number,
                        source_id,
                        "source_id",
                        reader.column("source_id"),
                        _("The same source id is also on row %(rows)s.") % {"rows": others},
                    )
                )
            if problems:
                summary.problems += problems
            elif checked is not None:
                pending.append((source_id, checked))
        if len(pending) >= batch:
            _write(summary, intake, mapping, pending, now, dry_run)
            pending = []
        if progress is not None:
            progress(1)
    if pending:
        _write(summary, intake, mapping, pending, now, dry_run)
    summary.seconds = time.monotonic() - started
    if summary.run is not None:
        _finish(summary, mapping, path)
    return summary


def _write(
    summary: ImportSummary,
    intake: BulkIntake,
    mapping: Mapping,
    pending: list[tuple[str, BulkComplaint]],
    now: datetime,
    dry_run: bool,
) -> None:
    """Register one batch with its imported records, in one transaction."""
    rows = [row for _source_id, row in pending]
    summary.imported += len(rows)
    summary.open += sum(1 for row in rows if not row.closed)
    if dry_run:
        return
    run_id = summary.run.pk if summary.run is not None else None
    numbers = tracking_numbers_take([row.received_at for row in rows])
    try:
        with transaction.atomic():
            outcome = complaints_register_bulk(
                intake=intake, rows=rows, tracking_nos=numbers, now=now
            )
            rows_insert(
                ImportedRecord,
                ("source", "source_id", "complaint", "run"),
                [
                    (mapping.source, source_id, complaint.pk, run_id)
                    for (source_id, _row), complaint in zip(
                        pending, outcome.complaints, strict=True
                    )
                ],
            )
    except IntegrityError as exc:
        raise Conflict(
            _(
                "Some of these records were imported by another import running at the same "
                "time; run the import again to add the rest."
            )
        ) from exc
    summary.breached += outcome.breached
    summary.warned += outcome.warned


def _finish(summary: ImportSummary, mapping: Mapping, path: Path) -> None:
    """Record the run's figures, and tell the supervisors once when anything came in."""
    run = summary.run
    assert run is not None
    run.finished_at = timezone.now()
    run.rows_read, run.imported, run.imported_open = summary.read, summary.imported, summary.open
    run.skipped, run.bad, run.breached = summary.skipped, summary.bad, summary.breached
    figures = {
        "source": mapping.source,
        "file": path.name,
        "read": summary.read,
        "imported": summary.imported,
        "open": summary.open,
        "archived": summary.imported - summary.open,
        "skipped": summary.skipped,
        "bad": summary.bad,
        "breached": summary.breached,
        "warned": summary.warned,
    }
    with transaction.atomic():
        run.save()
        audit_record(
            actor=IMPORT,
            action=IMPORT_FINISHED,
            object_type="import",
            object_id=str(run.pk),
            data=figures,
        )
        if summary.imported:
            _supervisors_tell(run, figures)


def _supervisors_tell(run: ImportRun, figures: dict[str, object]) -> None:
    subject = _("Import from %(source)s finished: %(imported)s complaints imported") % figures
    body = (
        _(
            "File: %(file)s\n"
            "Rows read: %(read)s\n"
            "Imported: %(imported)s (closed cases archived: %(archived)s; open cases under "
            "the plan, their clocks counted from when they were received: %(open)s)\n"
            "Imported before, skipped: %(skipped)s\n"
            "Bad rows left out: %(bad)s\n"
            "Deadlines of open cases already missed before the import: %(breached)s "
            "(recorded as breached, without escalation, penalty or message)\n"
            "Deadlines already past their warning point: %(warned)s\n"
            "Nobody else has been told of this import."
        )
        % figures
    )
    supervisors = User.objects.filter(is_active=True, groups__name=Role.SUPERVISOR)
    notify_staff_notice(
        users=supervisors.prefetch_related("notification_channels"),
        key=f"import:{run.pk}:finished",
        subject=subject,
        body=body,
    )


def report_write(problems: list[RowProblem], path: Path) -> None:
    """The bad rows as CSV (UTF-8 with a BOM, so spreadsheet programs read the Chinese)."""
    with path.open("w", encoding="utf-8-sig", newline="") as out:
        writer = csv.writer(out)
        writer.writerow([_("row"), _("source id"), _("field"), _("column"), _("problem")])
        for p in problems:
            writer.writerow([p.row, p.source_id, p.field, p.column, p.message])
