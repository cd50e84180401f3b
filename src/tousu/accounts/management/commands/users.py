from django.core.management.base import BaseCommand, CommandError

from tousu.accounts.models import ApiToken, User
from tousu.accounts.services import token_create, token_revoke
from tousu.core.problems import ServiceError


class Command(BaseCommand):
    help = (
        "Manage staff users' API tokens: `tousu users token USERNAME` prints a new one, "
        "`tousu users tokens USERNAME` lists them, `tousu users revoke PREFIX` revokes one."
    )

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        token = sub.add_parser("token", help="create and print a new API token")
        token.add_argument("username")
        token.add_argument("--name", default="")
        token.add_argument("--days", type=int, default=365, help="days until it expires (0: never)")
        listing = sub.add_parser("tokens", help="list a user's tokens (prefixes only)")
        listing.add_argument("username")
        revoke = sub.add_parser("revoke", help="revoke a token by its prefix (tsu_…)")
        revoke.add_argument("prefix")

    def handle(self, *args, **options):
        action = options["action"]
        if action == "revoke":
            self._revoke(options["prefix"])
            return
        try:
            user = User.objects.get(username=options["username"], is_active=True)
        except User.DoesNotExist as exc:
            raise CommandError(f"no active user named {options['username']!r}") from exc
        if action == "tokens":
            for t in ApiToken.objects.filter(user=user).order_by("created_at"):
                state = f"revoked {t.revoked_at:%Y-%m-%d %H:%M}" if t.revoked_at else "active"
                expires = f"{t.expires_at:%Y-%m-%d}" if t.expires_at else "never"
                self.stdout.write(f"{t.prefix}\t{t.name or '-'}\texpires {expires}\t{state}")
            return
        raw = token_create(user=user, name=options["name"], days=options["days"] or None)
        self.stdout.write(raw)

    def _revoke(self, prefix: str) -> None:
        tokens = list(ApiToken.objects.select_related("user").filter(prefix=prefix[:10]))
        if len(prefix) < 8 or len(tokens) != 1:
            raise CommandError(f"no single token starts with {prefix!r}")
        try:
            token_revoke(actor=None, token=tokens[0])
        except ServiceError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"revoked {tokens[0].prefix}… of {tokens[0].user.username}")
