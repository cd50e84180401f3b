from django.core.management.base import BaseCommand, CommandError
from django.utils.dateparse import parse_datetime

from tousu.core.serving import serving_ready
from tousu.supervision.worker import run_forever, run_once


class Command(BaseCommand):
    help = "Chase deadlines and deliver notifications; --once for one pass and exit."

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="one pass, then exit")
        parser.add_argument(
            "--now", help="the instant to act as of (ISO 8601 with offset); default: the clock"
        )
        parser.add_argument("--interval", type=float, default=15.0, help="seconds between passes")

    def handle(self, *args, **options):
        now = None
        if options["now"] is not None:
            try:
                now = parse_datetime(options["now"])
            except ValueError:  # well-formed but impossible, e.g. 2026-02-30
                now = None
            if now is None or now.tzinfo is None:
                raise CommandError(
                    f"--now “{options['now']}” is not an ISO 8601 instant with an offset, "
                    "e.g. 2026-10-02T09:00:00+08:00"
                )
        if options["once"] or now is not None:
            run = run_once(now=now)
            self.stdout.write(
                "worker pass as of {}: {}".format(
                    run.now.isoformat(),
                    ", ".join(f"{k} {v}" for k, v in sorted(run.counts.items())) or "nothing due",
                )
            )
            return
        serving_ready()  # a long-running process: its start is set aside from the GC
        run_forever(interval=options["interval"])
