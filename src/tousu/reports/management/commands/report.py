"""``tousu report monthly 2026-10``: the analysis report (客诉分析报告) of a period as a
Word document and a PDF (docs/reports.md). Made for nobody in particular it acts as the
system and counts every complaint; ``--as USERNAME`` counts what that person may see.
The output directory is checked first; a missing, unwritable or non-directory path, or a
failed write, ends with exit status 2 and no file left behind."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser

from tousu.accounts.models import User
from tousu.core.problems import InvalidInput
from tousu.reports.analysis.document import analysis_write, output_check
from tousu.reports.analysis.figures import analysis_figures
from tousu.reports.analysis.scope import SYSTEM, Reader
from tousu.reports.periods import period_parse

KINDS = {"monthly": "month", "quarterly": "quarter", "yearly": "year", "range": "range"}
EXAMPLES = {
    "monthly": "2026-10",
    "quarterly": "2026Q3",
    "yearly": "2026",
    "range": "2026-10-01..2026-12-31",
}


def _written(exc: OSError, directory: str) -> str:
    reason = exc.strerror or str(exc)
    return f"cannot write the report into {exc.filename or directory}: {reason}"


class Command(BaseCommand):
    help = (
        "Write the complaint analysis report of a period as DOCX and PDF: "
        "report monthly 2026-10 | quarterly 2026Q3 | yearly 2026 | "
        "range 2026-10-01..2026-12-31."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("kind", choices=sorted(KINDS), help="the kind of period")
        parser.add_argument(
            "period", help="e.g. " + ", ".join(f"{k} {v}" for k, v in EXAMPLES.items())
        )
        parser.add_argument("--plan", default="", help="only the complaints of this plan (key)")
        parser.add_argument(
            "--department",
            default="",
            help="only this department and those below it (its code)",
        )
        parser.add_argument(
            "--as",
            dest="as_user",
            default="",
            metavar="USERNAME",
            help="count what this person may see (default: the system, which sees all)",
        )
        parser.add_argument(
            "-o", "--output", default=".", help="directory to write into (default: here)"
        )

    def handle(self, *args, **options) -> None:
        try:  # before anything is computed: a bad directory fails at once
            directory = output_check(options["output"])
        except OSError as exc:
            raise CommandError(_written(exc, options["output"]), returncode=2) from exc
        reader: Reader = SYSTEM
        if options["as_user"]:
            user = User.objects.filter(username=options["as_user"], is_active=True).first()
            if user is None:
                raise CommandError(f"no active user {options['as_user']}", returncode=2)
            reader = user
        try:
            period = period_parse(options["period"], kind=KINDS[options["kind"]])
            figures = analysis_figures(
                period,
                user=reader,
                plan_key=options["plan"] or None,
                department=options["department"] or None,
            )
        except InvalidInput as exc:
            raise CommandError(str(exc.detail), returncode=2) from exc
        try:
            paths = analysis_write(figures, directory)
        except OSError as exc:
            raise CommandError(_written(exc, options["output"]), returncode=2) from exc
        for fmt in ("docx", "pdf"):
            self.stdout.write(str(paths[fmt]))
