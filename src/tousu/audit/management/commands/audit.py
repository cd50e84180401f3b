from django.core.management.base import BaseCommand, CommandError

from tousu.audit.services import audit_verify


class Command(BaseCommand):
    help = "Audit log tools. `tousu audit verify` checks the hash chain end to end."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("verify", help="verify the hash chain; exit 1 naming the first bad event")

    def handle(self, *args, **options):
        report = audit_verify()
        if not report.ok:
            raise CommandError(f"audit chain broken at event #{report.bad_seq}: {report.reason}")
        self.stdout.write(f"audit chain intact: {report.checked} events verified")
