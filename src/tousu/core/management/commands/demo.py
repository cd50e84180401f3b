from django.core.management.base import BaseCommand, CommandError

from tousu.accounts.models import User
from tousu.core.demo import DEMO_PASSWORD, USERS, demo_load


class Command(BaseCommand):
    help = "Load the demo organisation (a market, one user per role, ~300 complaints)."

    def add_arguments(self, parser):
        parser.add_argument("--complaints", type=int, default=300)
        parser.add_argument(
            "--if-empty", action="store_true", help="do nothing when the database has users"
        )

    def handle(self, *args, **options):
        if User.objects.exists():
            if options["if_empty"]:
                self.stdout.write("demo: the database is not empty, nothing loaded")
                return
            raise CommandError("the database already has users; the demo needs an empty one")
        counts = demo_load(complaints=options["complaints"])
        self.stdout.write(
            f"demo loaded: {counts['users']} users, {counts['complaints']} complaints "
            f"({counts['open']} open)"
        )
        self.stdout.write(
            f"demo logins (password {DEMO_PASSWORD}): "
            + ", ".join(f"{u} ({r.label})" for u, _n, r, _d in USERS)
        )
