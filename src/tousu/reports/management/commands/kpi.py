"""``tousu kpi PERIOD [--plan KEY] [--json]``: the KPI table (绩效考核) of a period.

Runs as the system: it sees every complaint (there is no person to gate it for)."""

from __future__ import annotations

import json
from decimal import Decimal

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from tousu.core.problems import InvalidInput
from tousu.reports.kpi.scores import figure_cell, figure_columns, kpi_table, scope_note
from tousu.reports.periods import period_parse


def _plain(value):
    if isinstance(value, Decimal):
        return str(value)
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def _cell(value, suffix: str = "") -> str:
    return "—" if value is None else f"{value}{suffix}"


class Command(BaseCommand):
    help = (
        "KPIs per department and per person for a period (2026-10, 2026Q3, 2026, "
        "2026-10-01..2026-12-31), scored by the plan's KPI standard. Runs as the system "
        "(all complaints of the plan). Without --plan: the first plan (by name) with a KPI "
        "standard, and only its complaints."
    )

    def add_arguments(self, parser):
        parser.add_argument("period", help="2026-10, 2026Q3, 2026 or 2026-10-01..2026-12-31")
        parser.add_argument(
            "--plan",
            help="the plan's key (its KPI standard scores its complaints only); default: "
            "the first plan by name with a standard",
        )
        parser.add_argument("--json", action="store_true", help="JSON for other tools")

    def handle(self, *args, **options):
        try:
            period = period_parse(options["period"])
            # The system actor: the CLI acts for nobody in particular and sees everything.
            table = kpi_table(period=period, plan_key=options["plan"], user=None)
        except InvalidInput as exc:
            raise CommandError(str(exc.detail), returncode=2) from exc
        if options["json"]:
            self.stdout.write(json.dumps(table, ensure_ascii=False, indent=2, default=_plain))
            return
        self._print(table)

    def _print(self, table) -> None:
        plan = table["plan"]
        self.stdout.write(f"{table['period']['label']}  {plan['name'] if plan else _('All plans')}")
        if table["plan_by_default"]:
            self.stdout.write(scope_note(plan["name"]))
        if table["empty"]:
            self.stdout.write(_("No complaints in this period."))
            return
        if table["standard"] is None:
            self.stdout.write(
                _("No KPI standard applies: choose a plan that has one to see scores.")
            )
        columns = figure_columns()
        header = " | ".join(
            [pgettext("kpi", "Name"), *(label for _key, label in columns), _("Score")]
        )
        sections = ((_("By department"), table["departments"]), (_("By person"), table["people"]))
        for title, rows in sections:
            self.stdout.write(f"\n{title}\n{header}")
            for r in rows:
                cells = [figure_cell(r, key) for key, _label in columns]
                self.stdout.write(" | ".join([r["name"], *cells, _cell(r["score"])]))
