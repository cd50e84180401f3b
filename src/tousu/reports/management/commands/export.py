"""``tousu export complaints|penalties|incidents --format xlsx|csv -o FILE --as USERNAME``.

An export is always made as a person: their gate decides the rows, their role whether
personal data is masked, and the audit chain records them as its maker.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from tousu.accounts.models import User
from tousu.core.problems import ServiceError
from tousu.reports.exports.base import FORMATS, KINDS
from tousu.reports.exports.services import export_write
from tousu.reports.periods import period_parse


class Command(BaseCommand):
    help = (
        "Export complaints (with the list's filters), the penalty ledger or incidents to "
        "XLSX or CSV, as a user."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("kind", choices=sorted(KINDS))
        parser.add_argument(
            "--format", choices=FORMATS, help="xlsx or csv (default: from the file's suffix)"
        )
        parser.add_argument("-o", "--output", required=True, help="the file to write")
        parser.add_argument(
            "--as", dest="username", required=True, help="the user the export is made for"
        )
        parser.add_argument(
            "--filter",
            action="append",
            default=[],
            metavar="NAME=VALUE",
            help="a filter, as on the page (complaints: status, category, severity, "
            "department, channel, stage, assignee, q, received_from, received_to …; "
            "penalties and incidents: period, status); repeatable",
        )
        parser.add_argument(
            "--period", help="2026-10, 2026Q3, 2026 or a range (complaints: received in it)"
        )
        parser.add_argument("--status", help="status key, as the page's filter")
        parser.add_argument("--quiet", action="store_true", help="no progress bar")

    def handle(self, *args: Any, **options: Any) -> None:
        kind = KINDS[options["kind"]]
        output = Path(options["output"])
        fmt = options["format"] or output.suffix.lstrip(".").lower()
        if fmt not in FORMATS:
            raise CommandError("give --format xlsx or csv, or an output file ending in one")
        user = User.objects.filter(username=options["username"], is_active=True).first()
        if user is None:
            raise CommandError(f"no active user {options['username']!r}")
        filters = self._filters(kind.key, kind.filter_names(), options)
        directory = output.resolve().parent
        if not directory.is_dir():
            raise CommandError(f"no directory {directory}")
        handle, name = tempfile.mkstemp(prefix=".export-", suffix=f".{fmt}", dir=directory)
        os.close(handle)
        scratch = Path(name)
        bar = tqdm(
            total=0, unit=" rows", file=sys.stderr, disable=options["quiet"], dynamic_ncols=True
        )

        def progress(done: int, total: int, step: str) -> None:
            bar.total = total
            bar.set_description(step, refresh=False)
            bar.update(done - bar.n)

        try:
            rows = export_write(kind.key, fmt, scratch, user, filters, progress=progress)
        except ServiceError as exc:
            scratch.unlink(missing_ok=True)
            raise CommandError(_problem(exc)) from exc
        except BaseException:
            scratch.unlink(missing_ok=True)
            raise
        finally:
            bar.close()
        scratch.replace(output)
        self.stdout.write(f"{rows} rows → {output}")

    def _filters(self, kind: str, names: list[str], options: dict[str, Any]) -> dict[str, list]:
        filters: dict[str, list] = {}
        for pair in options["filter"]:
            name, sep, value = pair.partition("=")
            name = name.strip()
            if not sep or name not in names:
                raise CommandError(f"--filter {pair!r}: use NAME=VALUE, NAME one of {names}")
            filters.setdefault(name, []).append(value)
        if options["status"]:
            filters["status"] = [options["status"]]
        if options["period"]:
            if kind == "complaints":
                try:
                    period = period_parse(options["period"])
                except ServiceError as exc:
                    raise CommandError(_problem(exc)) from exc
                filters["received_from"] = [period.start.isoformat()]
                filters["received_to"] = [period.end.isoformat()]
            else:
                filters["period"] = [options["period"]]
        return filters


def _problem(exc: ServiceError) -> str:
    fields = "; ".join(f"{name}: {' '.join(msgs)}" for name, msgs in exc.field_errors.items())
    return f"{exc.detail} ({fields})" if fields else str(exc.detail)
