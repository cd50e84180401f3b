"""``tousu import FILE --mapping MAPPING.yaml [--dry-run] [--batch N]``: complaints from an
earlier system's CSV or spreadsheet export (docs/import.md). Django finds this module by
its name through importlib, for which ``import`` is a name like any other."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection
from django.utils.translation import gettext as _
from tqdm import tqdm

from tousu.core.problems import ServiceError
from tousu.imports.mapping import MappingError, mapping_load
from tousu.imports.readers import SourceError
from tousu.imports.rows import MissingColumns
from tousu.imports.services import BATCH, ImportSummary, import_file, report_write

SQLITE_CACHE_KIB = 256 * 1024
SHOWN = 50  # bad rows listed on a real run (all of them go to the report file)


class Command(BaseCommand):
    help = (
        "Import complaints from an earlier system's CSV or XLSX export, as the mapping "
        "file says (docs/import.md). Closed cases come in archived, open ones start "
        "under the plan; a second run skips what is already imported."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help=_("the CSV (UTF-8 or GBK) or XLSX file"))
        parser.add_argument(
            "--mapping", required=True, metavar="MAPPING.yaml", help=_("the column mapping")
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help=_("check every row and list the bad ones; write nothing"),
        )
        parser.add_argument(
            "--batch",
            type=int,
            default=BATCH,
            metavar="N",
            help=_("rows written per transaction (default %(default)s)"),
        )
        parser.add_argument(
            "--encoding", help=_("the CSV file's encoding, e.g. gbk (default: detected)")
        )
        parser.add_argument(
            "--report",
            metavar="FILE",
            help=_("where to write the bad rows (default: beside the file, .bad-rows.csv)"),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"])
        if options["batch"] < 1:
            raise CommandError(_("--batch must be at least 1."))
        try:
            mapping = mapping_load(Path(options["mapping"]))
        except MappingError as exc:
            raise CommandError(str(exc)) from exc
        dry_run = options["dry_run"]
        if connection.vendor == "sqlite" and not dry_run:
            # Many index pages change per batch: a larger page cache for this process
            # saves rereading them (this connection only; the file is not changed).
            with connection.cursor() as cursor:
                cursor.execute(f"PRAGMA cache_size = -{SQLITE_CACHE_KIB}")
        bars: list[tqdm] = []

        def total(count: int) -> None:
            bars.append(tqdm(total=count, unit=_("rows"), file=sys.stderr, mininterval=0.5))

        def progress(done: int) -> None:
            bars[0].update(done)

        try:
            summary = import_file(
                path=path,
                mapping=mapping,
                dry_run=dry_run,
                batch=options["batch"],
                encoding=options["encoding"],
                total=total,
                progress=progress,
            )
        except (SourceError, MissingColumns) as exc:
            raise CommandError(str(exc)) from exc
        except ServiceError as exc:
            raise CommandError(str(exc.detail)) from exc
        finally:
            for bar in bars:
                bar.close()
        self._problems(summary, dry_run)
        if summary.problems and (options["report"] or not dry_run):
            report = Path(options["report"] or path.with_name(f"{path.stem}.bad-rows.csv"))
            report_write(summary.problems, report)
            self.stdout.write(_("Bad rows written to %(path)s.") % {"path": report})
        self._summary(summary, dry_run)

    def _problems(self, summary: ImportSummary, dry_run: bool) -> None:
        shown = summary.problems if dry_run else summary.problems[:SHOWN]
        for p in shown:
            where = f"{p.field} [{p.column}]" if p.column else p.field
            self.stdout.write(
                _("row %(row)s (source id %(id)s): %(field)s: %(message)s")
                % {"row": p.row, "id": p.source_id or "—", "field": where, "message": p.message}
            )
        if len(shown) < len(summary.problems):
            self.stdout.write(
                _("… and %(count)s more problems.") % {"count": len(summary.problems) - len(shown)}
            )

    def _summary(self, summary: ImportSummary, dry_run: bool) -> None:
        figures = {
            "read": summary.read,
            "imported": summary.imported,
            "open": summary.open,
            "archived": summary.imported - summary.open,
            "skipped": summary.skipped,
            "bad": summary.bad,
            "breached": summary.breached,
            "seconds": f"{summary.seconds:.1f}",
            "rate": f"{summary.read / summary.seconds:.0f}" if summary.seconds else "—",
        }
        if dry_run:
            self.stdout.write(
                _(
                    "Dry run, nothing written: %(read)s rows read, %(imported)s would be "
                    "imported (%(archived)s archived, %(open)s open), %(skipped)s already "
                    "imported, %(bad)s bad."
                )
                % figures
            )
            return
        self.stdout.write(
            _(
                "%(read)s rows read, %(imported)s imported (%(archived)s archived, %(open)s "
                "open; %(breached)s deadlines already breached), %(skipped)s skipped as "
                "already imported, %(bad)s bad; %(seconds)s s (%(rate)s rows/s)."
            )
            % figures
        )
        if summary.skipped and not summary.imported:
            self.stdout.write(
                _("Nothing new to import: %(count)s rows were imported before.")
                % {"count": summary.skipped}
            )
