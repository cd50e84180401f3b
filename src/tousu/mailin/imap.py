"""The IMAP door (``tousu mail fetch``): read the unseen mails of a folder, hand each to
``mail_receive``, mark it seen (and flagged when refused) and move it to the configured
folder. A mail whose processing failed stays unseen and is tried at the next fetch; a
mail over the size limit is never downloaded whole (its header is enough to refuse it)."""

from __future__ import annotations

import base64
import contextlib
import imaplib
import ipaddress
import logging
import re
import socket
import ssl
from collections import Counter
from dataclasses import dataclass, field

from tousu.mailin.choices import Door, MailOutcome
from tousu.mailin.config import ImapSettings, MailSettings
from tousu.mailin.services import Outcome, mail_receive

log = logging.getLogger(__name__)
_SIZE = re.compile(rb"RFC822\.SIZE (\d+)")


class MailboxError(Exception):
    """The mailbox cannot be read (configuration, connection, login, folder)."""


@dataclass
class FetchReport:
    counts: Counter[str] = field(default_factory=Counter)
    tracking_nos: list[str] = field(default_factory=list)

    def add(self, outcome: Outcome) -> None:
        self.counts["duplicate" if outcome.duplicate else outcome.outcome] += 1
        if outcome.tracking_no and not outcome.duplicate:
            self.tracking_nos.append(outcome.tracking_no)


def mailbox_name(name: str) -> str:
    """A folder name as IMAP writes it: modified UTF-7 (RFC 3501 §5.1.3), quoted."""
    out, pending = [], ""

    def flush() -> None:
        nonlocal pending
        if pending:
            encoded = base64.b64encode(pending.encode("utf-16-be")).rstrip(b"=")
            out.append("&" + encoded.decode("ascii").replace("/", ",") + "-")
            pending = ""

    for char in name:
        if 0x20 <= ord(char) <= 0x7E:
            flush()
            out.append("&-" if char == "&" else char)
        else:
            pending += char
    flush()
    text = "".join(out)
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _is_loopback(host: str) -> bool:
    try:
        infos = socket.getaddrinfo(host, None)
    except OSError:
        return False
    return bool(infos) and all(ipaddress.ip_address(i[4][0]).is_loopback for i in infos)


def _connect(settings: ImapSettings) -> imaplib.IMAP4:
    if not settings.host:
        raise MailboxError("no IMAP host is configured (TOUSU_MAIL_IMAP_HOST)")
    if settings.tls == "none" and not _is_loopback(settings.host):
        raise MailboxError("IMAP without TLS is allowed only to this machine (loopback)")
    context = ssl.create_default_context()
    try:
        if settings.ca_file:
            context.load_verify_locations(settings.ca_file)
        if settings.tls == "ssl":
            return imaplib.IMAP4_SSL(
                settings.host, settings.port, ssl_context=context, timeout=settings.timeout
            )
        imap = imaplib.IMAP4(settings.host, settings.port, timeout=settings.timeout)
        if settings.tls == "starttls":
            imap.starttls(context)
        return imap
    except (OSError, imaplib.IMAP4.error) as exc:
        raise MailboxError(f"cannot connect to the IMAP server: {exc}") from exc


def _ok(answer: tuple[str, list], what: str) -> list:
    status, data = answer
    if status != "OK":
        raise MailboxError(f"the IMAP server refused {what}")
    return data


def _fetch(imap: imaplib.IMAP4, uid: str, item: str) -> tuple[bytes, bytes]:
    """(response line, literal) of one FETCH item of ``uid``."""
    data = _ok(imap.uid("FETCH", uid, f"({item})"), "FETCH")
    for entry in data:
        if isinstance(entry, tuple):
            return entry[0], entry[1]
        if isinstance(entry, bytes) and b"(" in entry:
            return entry, b""
    raise MailboxError("the IMAP server sent no FETCH answer")


def _move(imap: imaplib.IMAP4, uid: str, folder: str) -> None:
    if "MOVE" in imap.capabilities:
        _ok(imap.uid("MOVE", uid, mailbox_name(folder)), "MOVE")
        return
    _ok(imap.uid("COPY", uid, mailbox_name(folder)), "COPY")
    _ok(imap.uid("STORE", uid, "+FLAGS.SILENT", r"(\Deleted)"), "STORE")
    if "UIDPLUS" in imap.capabilities:
        _ok(imap.uid("EXPUNGE", uid), "EXPUNGE")
    else:
        _ok(imap.expunge(), "EXPUNGE")


def _folder_ensure(imap: imaplib.IMAP4, folder: str) -> None:
    """Create ``folder`` unless it exists (the server says NO then, which is fine)."""
    status, _data = imap.list('""', mailbox_name(folder))
    if status == "OK" and any(_data) and _data != [None]:
        return
    _ok(imap.create(mailbox_name(folder)), f"creating the folder {folder!r}")


def _one(imap: imaplib.IMAP4, uid: str, config: MailSettings) -> Outcome:
    line, _body = _fetch(imap, uid, "RFC822.SIZE")
    found = _SIZE.search(line)
    size = int(found.group(1)) if found else 0
    too_large = size > config.max_bytes
    _line, raw = _fetch(imap, uid, "BODY.PEEK[HEADER]" if too_large else "BODY.PEEK[]")
    outcome = mail_receive(raw, door=Door.IMAP, size=size or None, config=config)
    refused = outcome.outcome in (MailOutcome.REFUSED, MailOutcome.REFUSED_SIZE)
    flags = r"(\Seen \Flagged)" if refused else r"(\Seen)"
    _ok(imap.uid("STORE", uid, "+FLAGS.SILENT", flags), "STORE")
    target = config.imap.refused_folder if refused else config.imap.done_folder
    if target:
        _move(imap, uid, target)
    return outcome


def mailbox_fetch(config: MailSettings, *, limit: int | None = None) -> FetchReport:
    """Process the unseen mails of the configured folder (at most ``limit``)."""
    settings = config.imap
    report = FetchReport()
    imap = _connect(settings)
    try:
        try:
            imap.login(settings.user, settings.password)
        except imaplib.IMAP4.error as exc:
            raise MailboxError("the IMAP server refused the login") from exc
        _ok(imap.select(mailbox_name(settings.folder)), "the folder")
        for folder in (settings.done_folder, settings.refused_folder):
            if folder:
                _folder_ensure(imap, folder)
        found = _ok(imap.uid("SEARCH", "UNSEEN"), "SEARCH")
        uids = [uid.decode("ascii") for uid in (found[0] or b"").split()]
        for uid in uids[:limit] if limit else uids:
            try:
                report.add(_one(imap, uid, config))
            except MailboxError:
                raise
            except (imaplib.IMAP4.abort, OSError) as exc:
                raise MailboxError(f"the IMAP connection broke: {exc}") from exc
            except Exception as exc:  # noqa: BLE001 - left unseen, tried at the next fetch
                # The kind only: a message could quote the mail.
                log.error("an incoming mail failed (%s); left unseen", type(exc).__name__)
                report.counts["failed"] += 1
    finally:
        with contextlib.suppress(OSError, imaplib.IMAP4.error):
            imap.logout()
    return report
