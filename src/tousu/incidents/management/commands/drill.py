"""``tousu drill``: run a drill of a plan on a scenario, unattended, and write its report."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from tousu.core.problems import ServiceError
from tousu.incidents.drills.process import drill_process
from tousu.incidents.drills.scenario import shipped_scenarios, shipped_source
from tousu.incidents.drills.services import drill_conduct, drill_start
from tousu.incidents.models import Drill


def _start(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        raise ValueError("give the offset, e.g. 2026-03-15T09:00:00+08:00")
    return moment


class Command(BaseCommand):
    help = (
        "Drills: run PLAN --scenario FILE [--speed N] (unattended, in a database of its own; "
        "writes the evaluation report), scenarios (the shipped ones)."
    )
    # The drill's own process builds its database itself: nothing may touch it first.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        run = sub.add_parser("run", help="run a drill to its end and write its report")
        run.add_argument("plan", help="the plan's key, e.g. dealer_315")
        run.add_argument(
            "--scenario",
            required=True,
            help="a scenario file, or the name of a shipped one (see `tousu drill scenarios`)",
        )
        run.add_argument(
            "--speed",
            type=int,
            default=0,
            help="drill-seconds per real second; 0 (default): as fast as possible",
        )
        run.add_argument("--start", type=_start, help="start the drill at this instant instead")
        run.add_argument("--html", type=Path, help="also write the report (HTML) here")
        run.add_argument("--pdf", type=Path, help="also write the report (PDF) here")
        run.add_argument("--keep", action="store_true", help="keep the drill's database")
        run.add_argument(
            "--attended",
            type=int,
            metavar="PORT",
            help="staff respond themselves: serve the drill's pages on 127.0.0.1:PORT "
            "(with --speed) while it runs; no scripted participants",
        )
        sub.add_parser("scenarios", help="list the shipped scenarios")
        conduct = sub.add_parser("conduct", help="(internal) conduct a recorded drill")
        conduct.add_argument("drill", type=int)
        engine = sub.add_parser("engine", help="(internal) the drill's own process")
        engine.add_argument("directory", type=Path)

    def handle(self, *args, **options):
        try:
            getattr(self, "_" + options["action"])(options)
        except ServiceError as exc:
            lines = [f"{path}: {m}" for path, ms in exc.field_errors.items() for m in ms]
            raise CommandError("\n".join([str(exc.detail), *lines])) from exc

    def _scenarios(self, options):
        for name, title in shipped_scenarios().items():
            self.stdout.write(f"{name}\t{title}")

    def _run(self, options):
        given = options["scenario"]
        path = Path(given)
        if path.is_file():
            source, name = path.read_text(encoding="utf-8"), path.name
        elif given in shipped_scenarios():
            source, name = shipped_source(given), given
        else:
            raise CommandError(f"{given}: no such file (nor a shipped scenario)")
        drill = drill_start(
            plan_key=options["plan"],
            source=source,
            scenario_name=name,
            actor=None,
            speed=options["speed"],
            start=options["start"],
            attended_port=options["attended"],
        )
        self.stdout.write(f"drill {drill.pk} of {drill.plan.key}: running {name}")
        if options["attended"]:
            self.stdout.write(
                f"the drill's pages: http://127.0.0.1:{options['attended']}/ "
                "(sign in as usual; every page says DRILL)"
            )
        try:
            drill = drill_conduct(drill=drill, keep=options["keep"])
        except Exception as exc:
            raise CommandError(f"drill {drill.pk} failed: {exc}") from exc
        if options["html"]:
            options["html"].write_text(drill.report_html, encoding="utf-8")
        if options["pdf"]:
            options["pdf"].write_bytes(bytes(drill.report_pdf))
        figures = drill.figures
        engine = figures["engine"]
        deadlines = figures["deadlines"]
        self.stdout.write(
            f"drill {drill.pk} finished: {figures['complaints']['count']} complaints, "
            f"{len(figures['incidents'])} incidents, {deadlines['met']} deadlines met, "
            f"{deadlines['missed']} missed; {engine['events']} events in {engine['seconds']} s "
            f"({engine['rate']} events/s); report: /drills/{drill.pk}/report/"
        )

    def _conduct(self, options):
        drill = Drill.objects.filter(pk=options["drill"]).first()
        if drill is None:
            raise CommandError(f"no drill {options['drill']}")
        drill_conduct(drill=drill)

    def _engine(self, options):
        figures = drill_process(options["directory"])
        self.stdout.write(f"drill engine: {figures['engine']['events']} events")
