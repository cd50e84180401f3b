from django.core.management.base import BaseCommand, CommandError

from tousu.accounts.models import User
from tousu.demo.loader import DEFAULT_PLAN, DEMO_PASSWORD, USERNAMES, demo_load
from tousu.plans.services import TEMPLATE_KEYS


class Command(BaseCommand):
    help = "Load a demo organisation running one of the shipped plans, with its complaints."

    def add_arguments(self, parser):
        parser.add_argument("--plan", default=DEFAULT_PLAN, choices=TEMPLATE_KEYS)
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
        counts = demo_load(plan=options["plan"], complaints=options["complaints"])
        self.stdout.write(
            f"demo loaded: plan {counts['plan']}, {counts['users']} users, "
            f"{counts['complaints']} complaints ({counts['open']} open)"
        )
        self.stdout.write(f"demo logins (password {DEMO_PASSWORD}): " + ", ".join(USERNAMES))
