import json
import re

from django.core.management.base import BaseCommand, CommandError

from tousu.accounts.models import User
from tousu.assessment.models import PenaltyEntry
from tousu.assessment.penalties import penalty_contest, penalty_waive
from tousu.core.problems import ServiceError
from tousu.supervision.selectors import penalties_for_period, penalty_as_dict


class Command(BaseCommand):
    help = "The assessment ledger: list entries (for payroll), contest or waive one."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        listing = sub.add_parser("list", help="entries, optionally of one month")
        listing.add_argument("--period", help="YYYY-MM")
        listing.add_argument("--json", action="store_true", help="JSON for other tools")
        for name in ("contest", "waive"):
            cmd = sub.add_parser(name)
            cmd.add_argument("id", type=int)
            cmd.add_argument("--by", required=True, help="username acting")
            cmd.add_argument("--reason", required=True)

    def handle(self, *args, **options):
        if options["action"] == "list":
            return self._list(options)
        entry = PenaltyEntry.objects.filter(pk=options["id"]).first()
        actor = User.objects.filter(username=options["by"], is_active=True).first()
        if entry is None or actor is None:
            raise CommandError("no such entry or user")
        act = penalty_contest if options["action"] == "contest" else penalty_waive
        try:
            entry = act(actor=actor, entry=entry, reason=options["reason"])
        except ServiceError as exc:
            raise CommandError(str(exc.detail)) from exc
        self.stdout.write(f"entry {entry.pk}: {entry.status}")

    def _list(self, options):
        period = options["period"]
        if period and not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", period):
            raise CommandError(f"--period “{period}” is not YYYY-MM")
        rows = [penalty_as_dict(e) for e in penalties_for_period(period)]
        if options["json"]:
            self.stdout.write(json.dumps(rows, ensure_ascii=False, indent=2))
            return
        for r in rows:
            self.stdout.write(
                f"{r['period']}  {r['person']:<14} {r['amount']:>8}  {r['performance'] or '-':<5} "
                f"{r['status']:<9} {r['complaint']}  {r['rule_label']}"
            )
        self.stdout.write(f"{len(rows)} entries")
