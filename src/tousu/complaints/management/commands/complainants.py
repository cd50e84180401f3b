from django.core.management.base import BaseCommand
from django.db import transaction

from tousu.complaints.lookup import complainants_reindex


class Command(BaseCommand):
    help = (
        "Complainants' look-up digests. `tousu complainants reindex` recomputes them "
        "(after a new TOUSU_INDEX_KEY): phone number, its last digits and the name."
    )

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("reindex", help="recompute every complainant's digests")

    def handle(self, *args, **options):
        with transaction.atomic():
            count = complainants_reindex()
        self.stdout.write(f"reindexed {count} complainant(s)")
