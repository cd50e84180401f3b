import datetime as dt
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.dates import WEEKDAYS_ABBR
from django.utils.translation import gettext as _

from tousu.accounts.models import User
from tousu.core.problems import ServiceError
from tousu.deadlines.calendar import PeriodError
from tousu.deadlines.choices import DaySource, OverrideKind
from tousu.deadlines.holidays import FIRST_YEAR, LAST_YEAR
from tousu.deadlines.models import CalendarYear
from tousu.deadlines.schedule import ScheduleError, schedule_parse
from tousu.deadlines.selectors import due_compute, work_calendar_for
from tousu.deadlines.services import calendar_year_enter

EXAMPLE = "2026-09-30T10:00+08:00"
ARGUMENTS = {"amount": "AMOUNT", "unit": "UNIT", "business_hours": "--business-hours"}


def _problem(exc: ServiceError) -> str:
    lines = [str(exc.detail)]
    for name, messages in exc.field_errors.items():
        lines += [f"  {name}: {message}" for message in messages]
    return "\n".join(lines)


class Command(BaseCommand):
    help = (
        "The working calendar. `tousu calendar due START AMOUNT UNIT` prints when a period "
        "ends; `tousu calendar year YEAR --file FILE` enters a year's official holiday "
        "schedule (format: tousu/deadlines/schedule.py); `tousu calendar show YEAR` lists "
        "the year's days off on weekdays and working weekend days."
    )

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        due = sub.add_parser(
            "due", help="print the due time (ISO 8601), then ' provisional' if it is"
        )
        due.add_argument("start", help=f"the event, ISO 8601 with its offset: {EXAMPLE}")
        due.add_argument("amount", help="a positive number (whole for days)")
        due.add_argument("unit", help="hours, days (calendar_days), working_days, working_hours")
        due.add_argument(
            "--business-hours", metavar="HH:MM-HH:MM,…", help="e.g. 08:30-12:00,13:30-17:30"
        )
        year = sub.add_parser("year", help="enter the official holiday schedule of YEAR")
        year.add_argument("year", type=int)
        year.add_argument("--file", required=True, help="the schedule, YAML")
        year.add_argument("--source", help="the notice it comes from (else the file's source)")
        year.add_argument("--user", help="record this user as having entered it")
        show = sub.add_parser("show", help="list the exceptions to the weekend rule in YEAR")
        show.add_argument("year", type=int)

    def handle(self, *args, **options):
        getattr(self, f"_{options['action']}")(options)

    def _due(self, options) -> None:
        text = options["start"]
        try:
            start = dt.datetime.fromisoformat(text)
        except ValueError:
            raise CommandError(
                _("START “%(value)s” is not an ISO 8601 date and time such as %(example)s.")
                % {"value": text, "example": EXAMPLE}
            ) from None
        if start.utcoffset() is None:
            raise CommandError(
                _("START “%(value)s” has no UTC offset; write it as %(example)s.")
                % {"value": text, "example": EXAMPLE}
            )
        try:
            due = due_compute(
                anchor_at=start,
                amount=options["amount"],
                unit=options["unit"],
                business_hours=options["business_hours"],
            )
        except PeriodError as exc:
            argument = ARGUMENTS.get(exc.field)
            raise CommandError(f"{argument}: {exc}" if argument else str(exc)) from None
        self.stdout.write(str(due))

    def _year(self, options) -> None:
        year = options["year"]
        try:
            schedule = schedule_parse(Path(options["file"]).read_text(encoding="utf-8"))
        except OSError as exc:
            raise CommandError(
                _("Cannot read %(path)s: %(error)s") % {"path": options["file"], "error": exc}
            ) from None
        except (ScheduleError, UnicodeDecodeError) as exc:
            raise CommandError(f"{options['file']}: {exc}") from None
        if schedule.year is not None and schedule.year != year:
            raise CommandError(
                _("The file is for %(file_year)s, not %(year)s.")
                % {"file_year": schedule.year, "year": year}
            )
        actor = None
        if options["user"]:
            actor = User.objects.filter(username=options["user"], is_active=True).first()
            if actor is None:
                raise CommandError(
                    _("No active user named “%(value)s”.") % {"value": options["user"]}
                )
        try:
            change = calendar_year_enter(
                actor=actor,
                year=year,
                holidays=schedule.holidays,
                workdays=schedule.workdays,
                source_note=options["source"] or schedule.source,
            )
        except ServiceError as exc:
            raise CommandError(_problem(exc)) from None
        self.stdout.write(
            _(
                "%(year)s entered: %(holidays)d holidays, %(workdays)d working days. "
                "Open deadlines recomputed: %(recomputed)d, moved: %(moved)d."
            )
            % {
                "year": year,
                "holidays": len(schedule.holidays),
                "workdays": len(schedule.workdays),
                "recomputed": change.recomputed,
                "moved": change.moved,
            }
        )

    def _show(self, options) -> None:
        year = options["year"]
        if not FIRST_YEAR <= year <= LAST_YEAR:
            raise CommandError(
                _("Choose a year from %(first)s to %(last)s.")
                % {"first": FIRST_YEAR, "last": LAST_YEAR}
            )
        first, last = dt.date(year, 1, 1), dt.date(year, 12, 31)
        calendar = work_calendar_for(first, last)
        source = DaySource(calendar.year_source(year))
        header = f"{year}: {source.label}"
        entered = CalendarYear.objects.filter(year=year).first()
        if entered is not None:
            header += f", {timezone.localtime(entered.entered_at):%Y-%m-%d}"
            if entered.source_note:
                header += f", {entered.source_note}"
        self.stdout.write(header)
        for day in calendar.exceptions(first, last):
            kind = OverrideKind.WORKDAY if day.working else OverrideKind.HOLIDAY
            self.stdout.write(
                f"{day.day.isoformat()} {WEEKDAYS_ABBR[day.day.weekday()]} {kind.label}"
                f" {day.name or '-'} ({DaySource(day.source).label})"
            )
