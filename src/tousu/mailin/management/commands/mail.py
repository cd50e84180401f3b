"""``tousu mail fetch`` reads the complaint mailbox over IMAP; ``tousu mail serve`` takes
mail over SMTP. Both print counts and tracking numbers only, never addresses or text."""

from __future__ import annotations

import signal
import threading
from dataclasses import replace

from django.core.management.base import BaseCommand, CommandError

from tousu.config import ConfigError
from tousu.mailin.config import TLS_MODES, MailSettings, mail_settings


class Command(BaseCommand):
    help = (
        "Complaints by email: `tousu mail fetch` processes the unseen mails of an IMAP "
        "folder, `tousu mail serve` listens for mail over SMTP. Settings come from the "
        "TOUSU_MAIL_* variables; the options below override them (the IMAP password only "
        "from TOUSU_MAIL_IMAP_PASSWORD: a command line is visible to every user)."
    )

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        fetch = sub.add_parser("fetch", help="process the unseen mails of the IMAP folder")
        fetch.add_argument("--host")
        fetch.add_argument("--port", type=int)
        fetch.add_argument("--user")
        fetch.add_argument("--folder")
        fetch.add_argument(
            "--tls", choices=TLS_MODES, help="ssl (default), starttls, or none (loopback only)"
        )
        fetch.add_argument("--ca-file", help="certificates to trust besides the system's")
        fetch.add_argument("--done-folder", help="move processed mails here")
        fetch.add_argument("--refused-folder", help="move refused mails here")
        fetch.add_argument("--limit", type=int, help="process at most this many mails")
        fetch.add_argument("--max-bytes", type=int, help="the largest mail taken")
        serve = sub.add_parser("serve", help="accept mail over SMTP")
        serve.add_argument("--host")
        serve.add_argument("--port", type=int)
        serve.add_argument("--max-bytes", type=int, help="the largest mail taken")

    def _config(self, options) -> MailSettings:
        try:
            config = mail_settings()
            if options.get("max_bytes") is not None:
                if options["max_bytes"] <= 0:
                    raise ConfigError("--max-bytes must be positive")
                config = replace(config, max_bytes=options["max_bytes"])
            if options["action"] == "fetch":
                config = config.with_imap(
                    host=options["host"],
                    port=options["port"],
                    user=options["user"],
                    folder=options["folder"],
                    tls=options["tls"],
                    ca_file=options["ca_file"],
                    done_folder=options["done_folder"],
                    refused_folder=options["refused_folder"],
                )
                if options["tls"] and options["port"] is None and config.imap.port == 993:
                    config = config.with_imap(port=993 if options["tls"] == "ssl" else 143)
        except ConfigError as exc:
            raise CommandError(str(exc)) from exc
        return config

    def handle(self, *args, **options):
        config = self._config(options)
        if options["action"] == "fetch":
            self._fetch(config, limit=options["limit"])
        else:
            self._serve(config, host=options["host"], port=options["port"])

    def _fetch(self, config: MailSettings, *, limit: int | None) -> None:
        from tousu.mailin.imap import MailboxError, mailbox_fetch

        try:
            report = mailbox_fetch(config, limit=limit)
        except MailboxError as exc:
            raise CommandError(str(exc)) from exc
        counts = report.counts
        total = sum(counts.values())
        parts = ", ".join(f"{name} {counts[name]}" for name in sorted(counts)) or "none"
        self.stdout.write(f"{total} mail(s): {parts}")
        for tracking_no in report.tracking_nos:
            self.stdout.write(tracking_no)
        if counts["failed"]:
            raise CommandError(f"{counts['failed']} mail(s) failed and stay unseen")

    def _serve(self, config: MailSettings, *, host: str | None, port: int | None) -> None:
        from tousu.mailin.smtp import smtp_listener

        listener = smtp_listener(config, host=host, port=port)
        stop = threading.Event()
        previous = {
            name: signal.signal(name, lambda *_: stop.set())
            for name in (signal.SIGINT, signal.SIGTERM)
        }
        try:
            try:
                listener.start()
            except (OSError, RuntimeError) as exc:
                raise CommandError(f"cannot listen: {exc}") from exc
            self.stdout.write(f"listening for mail on {listener.hostname}:{listener.port}")
            self.stdout.flush()
            try:
                stop.wait()
            finally:
                listener.stop()
        finally:
            for name, handler in previous.items():
                signal.signal(name, handler)
        counts = listener.handler.counts
        parts = ", ".join(f"{k} {counts[k]}" for k in sorted(counts)) or "none"
        self.stdout.write(f"stopped; mails: {parts}")
