from django.core.management.base import BaseCommand, CommandError

from tousu.core.problems import InvalidInput
from tousu.inbound.models import REPLAY_WINDOW_DEFAULT, InboundSource
from tousu.inbound.sources import inbound_source_add, inbound_source_secret_renew


class Command(BaseCommand):
    help = "Sources of the inbound API: add one (its secret is printed once), list, renew."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        add = sub.add_parser("add-source", help="add a source; prints its secret once")
        add.add_argument("key", help="the source's key in its URL, e.g. wechat-oa")
        add.add_argument("--name", required=True, help="what staff call it")
        add.add_argument(
            "--channel", required=True, help="the channel it delivers as: chat, api, web …"
        )
        add.add_argument("--callback", default="", help="URL told of replies and closings")
        add.add_argument("--replay-window", type=int, default=REPLAY_WINDOW_DEFAULT)
        sub.add_parser("list-sources", help="the sources (never their secrets)")
        renew = sub.add_parser("renew-secret", help="a new secret, printed once")
        renew.add_argument("key")

    def handle(self, *args, **options):
        try:
            getattr(self, "_" + options["action"].replace("-", "_"))(options)
        except InvalidInput as exc:
            lines = [f"{path}: {m}" for path, ms in exc.field_errors.items() for m in ms]
            raise CommandError("\n".join([str(exc.detail), *lines])) from exc

    def _add_source(self, options) -> None:
        source, secret = inbound_source_add(
            actor=None,
            key=options["key"],
            name=options["name"],
            channel=options["channel"],
            callback_url=options["callback"],
            replay_window=options["replay_window"],
        )
        self.stdout.write(f"source {source.key} added; its signing secret (shown once):")
        self.stdout.write(secret)

    def _list_sources(self, options) -> None:
        for source in InboundSource.objects.order_by("key"):
            state = "active" if source.is_active else "inactive"
            callback = "callback" if source.callback_url else "no callback"
            self.stdout.write(f"{source.key}\t{source.channel}\t{state}\t{callback}\t{source.name}")

    def _renew_secret(self, options) -> None:
        source = InboundSource.objects.filter(key=options["key"]).first()
        if source is None:
            raise CommandError(f"no source {options['key']}")
        secret = inbound_source_secret_renew(actor=None, source=source)
        self.stdout.write(f"new signing secret of {source.key} (the old one no longer works):")
        self.stdout.write(secret)
