"""The SMTP door (``tousu mail serve``): an aiosmtpd server whose handler hands each mail
to ``mail_receive`` and answers with what became of it — 250 with the tracking number,
552 for a mail over the size limit (checked on the declared ``SIZE`` and on the data),
554 for a refused one, 451 (try again) when something failed on our side.

aiosmtpd is imported only here, when a listener is built."""

from __future__ import annotations

import asyncio
import logging
import socket
from collections import Counter
from typing import Any, cast

from django.db import close_old_connections, connection
from django.utils import translation
from django.utils.translation import gettext as _

from tousu.mailin import replies
from tousu.mailin.choices import Door, MailOutcome
from tousu.mailin.config import MailSettings
from tousu.mailin.services import Outcome, mail_receive

log = logging.getLogger(__name__)


def bilingual(render) -> str:
    """``render()`` in English and in Chinese, on one line (an SMTP reply is one line and
    its reader may be either)."""
    texts = []
    for language in ("en", "zh-hans"):
        with translation.override(language):
            texts.append(" ".join(str(render()).split()))
    return texts[0] if texts[0] == texts[1] else f"{texts[0]} / {texts[1]}"


def size_reply(max_bytes: int) -> str:
    return "552 5.3.4 " + bilingual(lambda: replies.reason_text("size", max_bytes=max_bytes))


def smtp_reply(outcome: Outcome, *, max_bytes: int) -> str:
    """The SMTP reply line for ``outcome``."""
    tracking_no = outcome.tracking_no
    if outcome.outcome == MailOutcome.CREATED:
        return "250 2.0.0 " + bilingual(
            lambda: _("Registered as complaint %(tracking_no)s") % {"tracking_no": tracking_no}
        )
    if outcome.outcome == MailOutcome.ADDED:
        return "250 2.0.0 " + bilingual(
            lambda: _("Added to complaint %(tracking_no)s") % {"tracking_no": tracking_no}
        )
    if outcome.outcome == MailOutcome.IGNORED:
        # Taken and dropped: refusing a bounce would only make another one.
        return "250 2.0.0 " + bilingual(lambda: _("Received; automatic mail is not answered"))
    if outcome.outcome == MailOutcome.REFUSED_SIZE:
        return size_reply(max_bytes)
    return "554 5.6.0 " + bilingual(lambda: replies.reason_text(outcome.reason))


class MailHandler:
    """aiosmtpd's handler: every mail to any recipient goes to ``mail_receive``."""

    def __init__(self, config: MailSettings):
        self.config = config
        self.counts: Counter[str] = Counter()

    def _receive(self, raw: bytes, mail_from: str) -> Outcome:
        close_old_connections()
        try:
            envelope_from = "" if mail_from in ("", "<>") else mail_from
            return mail_receive(
                raw, door=Door.SMTP, envelope_from=envelope_from, config=self.config
            )
        finally:
            connection.close()  # this thread's connection: the pool thread may idle long

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        raw = envelope.original_content or b""
        if len(raw) > self.config.max_bytes:
            self.counts["refused_size"] += 1
            return size_reply(self.config.max_bytes)
        loop = asyncio.get_running_loop()
        try:
            outcome = await loop.run_in_executor(None, self._receive, raw, envelope.mail_from)
        except Exception as exc:  # noqa: BLE001 - the sender's server will try again
            # The kind only: a message could quote the mail.
            log.error("an incoming mail failed (%s); answered 451", type(exc).__name__)
            self.counts["failed"] += 1
            return "451 4.3.0 " + bilingual(lambda: _("Temporary failure; please try again"))
        self.counts[outcome.outcome] += 1
        if outcome.tracking_no:
            log.info("mail %s: %s", outcome.outcome, outcome.tracking_no)
        return smtp_reply(outcome, max_bytes=self.config.max_bytes)


def smtp_listener(config: MailSettings, *, host: str | None = None, port: int | None = None):
    """An aiosmtpd controller serving ``MailHandler`` on ``host``:``port`` (port 0: one
    the system picks, readable from ``.port`` once started). ``start()`` and ``stop()``
    run it in a thread of its own."""
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import SMTP

    max_bytes = config.max_bytes

    class _SMTP(SMTP):
        async def push(self, status: Any) -> None:
            # aiosmtpd words its own size refusals in English only.
            if isinstance(status, str) and status.startswith("552 Error:"):
                status = size_reply(max_bytes)
            await super().push(status)

    class _Controller(Controller):
        def factory(self) -> SMTP:
            return _SMTP(self.handler, **self.SMTP_kwargs)

        def _trigger_server(self) -> None:
            # Started: learn the port the system gave.
            self.port = cast(asyncio.Server, self.server).sockets[0].getsockname()[1]
            super()._trigger_server()

    return _Controller(
        MailHandler(config),
        hostname=host or config.smtp_host,
        port=config.smtp_port if port is None else port,
        data_size_limit=max_bytes,
        enable_SMTPUTF8=True,
        ident="Tousu",
        # Named here: aiosmtpd would ask DNS for this machine's name (slow offline).
        server_hostname=socket.gethostname(),
    )
