from django.core.management.base import BaseCommand, CommandError

from tousu.accounts.models import User
from tousu.accounts.services import token_create


class Command(BaseCommand):
    help = "Manage staff users. `tousu users token USERNAME` prints a new API token."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        token = sub.add_parser("token", help="create and print a new API token")
        token.add_argument("username")
        token.add_argument("--name", default="")
        token.add_argument("--days", type=int, default=365, help="days until it expires (0: never)")

    def handle(self, *args, **options):
        try:
            user = User.objects.get(username=options["username"], is_active=True)
        except User.DoesNotExist as exc:
            raise CommandError(f"no active user named {options['username']!r}") from exc
        raw = token_create(user=user, name=options["name"], days=options["days"] or None)
        self.stdout.write(raw)
