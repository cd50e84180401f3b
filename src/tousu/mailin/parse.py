"""A raw mail (RFC 5322 bytes) read into what a complaint needs: who sent it, the subject,
the text, the attachments; and whether it must not be answered (``loops``).

Reading never raises on a malformed mail: what could not be read well is listed in
``problems`` (codes, no text from the mail), and the caller decides whether what is left
is enough."""

from __future__ import annotations

import hashlib
import mimetypes
import re
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from email.policy import Compat32
from email.utils import getaddresses

from tousu.mailin.charsets import header_decode, text_decode
from tousu.mailin.html_text import html_to_text
from tousu.mailin.loops import no_answer_reason

MAX_DEPTH = 12
MAX_PARTS = 200
_UNSTORABLE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
_NAME_UNSAFE = re.compile(r'[\x00-\x1f\x7f/\\:*?"<>|]+')


class _RawHeaders(Compat32):
    """Header values as they came, 8-bit bytes kept (surrogate-escaped) for
    ``charsets.header_decode`` to read; compat32 would turn them into "?"."""

    def header_fetch_parse(self, name, value):
        return value


RAW_HEADERS = _RawHeaders()


@dataclass
class MailAttachment:
    name: str
    data: bytes
    content_type: str


@dataclass
class IncomingMail:
    """One mail as read. ``no_answer`` is why it must not be answered ("" for a person's
    mail); ``problems`` are codes for what was read best-effort;
    ``authentication_results`` the values of its ``Authentication-Results`` fields, top
    first, as written (whoever wrote them: see ``authresults``)."""

    message_id: str
    sender: str
    sender_name: str
    subject: str
    body: str
    attachments: list[MailAttachment] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    no_answer: str = ""
    authentication_results: list[str] = field(default_factory=list)


def clean_text(text: str) -> str:
    """Line ends made ``\\n``, characters that cannot be stored taken out."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return _UNSTORABLE.sub("", text)


def _header(message: Message, name: str, problems: list[str]) -> str:
    text, found = header_decode(message.get(name))
    problems.extend(found)
    return clean_text(text)


def _sender(message: Message, problems: list[str]) -> tuple[str, str]:
    """(address, display name) of the first ``From`` mailbox. The address is taken from
    the raw header, so a decoded name with commas or quotes cannot change it."""
    raw = message.get_all("From") or []
    pairs = getaddresses([str(value) for value in raw])
    for name, address in pairs:
        address = address.strip()
        if "@" not in address:
            continue
        if not address.isascii():  # an internationalised address (SMTPUTF8)
            address = header_decode(address)[0]
        decoded, found = header_decode(name)
        problems.extend(found)
        return clean_text(address), clean_text(decoded).strip().strip("\"'").strip()
    if raw:
        problems.append("sender-unreadable")
    return "", ""


def _filename(part: Message, problems: list[str]) -> str:
    for param, header in (("filename", "content-disposition"), ("name", "content-type")):
        value = part.get_param(param, header=header)
        if value is None:
            continue
        if isinstance(value, tuple):  # RFC 2231: (charset, language, percent-decoded)
            charset, _language, text = value
            data = str(text).encode("latin-1", "surrogateescape")
            name, found = text_decode(data, charset or None)
        else:
            name, found = header_decode(str(value))
        problems.extend(found)
        name = re.sub(r"\.{2,}", ".", _NAME_UNSAFE.sub("_", clean_text(name))).strip(" ._")
        if name:
            return name
    return ""


def _payload(part: Message, problems: list[str]) -> bytes:
    try:
        data = part.get_payload(decode=True)
    except Exception:  # noqa: BLE001 - a broken transfer encoding is the mail's fault
        data = None
    if not isinstance(data, bytes):
        problems.append("undecodable-part")
        return b""
    return data


def _part_text(part: Message, problems: list[str]) -> str:
    text, found = text_decode(_payload(part, problems), part.get_content_charset())
    problems.extend(found)
    return clean_text(text)


@dataclass
class _Walk:
    problems: list[str]
    plains: list[str] = field(default_factory=list)
    htmls: list[str] = field(default_factory=list)
    attachments: list[MailAttachment] = field(default_factory=list)
    parts: int = 0

    def attachment(self, part: Message, name: str) -> None:
        content_type = part.get_content_type()
        if not name:
            guessed = mimetypes.guess_extension(content_type) or ".bin"
            name = f"attachment-{len(self.attachments) + 1}{guessed.replace('.jpe', '.jpg')}"
        data = _payload(part, self.problems)
        if data:
            self.attachments.append(MailAttachment(name, data, content_type))

    def walk(self, part: Message, depth: int = 0, *, text: bool = True) -> None:
        """Collect text (unless ``text`` is False: an alternative not chosen) and
        attachments of ``part`` and below it."""
        self.parts += 1
        if depth > MAX_DEPTH or self.parts > MAX_PARTS:
            if "too-many-parts" not in self.problems:
                self.problems.append("too-many-parts")
            return
        if part.defects and "malformed-mime" not in self.problems:
            self.problems.append("malformed-mime")
        kind = part.get_content_type()
        if part.is_multipart():
            children = [c for c in part.get_payload() if isinstance(c, Message)]
            if kind == "message/rfc822":
                for child in children:
                    self._forwarded(child, depth, text=text)
                return
            chosen = _alternative(children) if kind == "multipart/alternative" else None
            for child in children:
                self.walk(child, depth + 1, text=text and (chosen is None or child is chosen))
            return
        name = _filename(part, self.problems)
        disposition = (part.get_content_disposition() or "").lower()
        if kind in ("text/plain", "text/html") and not name and disposition != "attachment":
            if text:
                (self.plains if kind == "text/plain" else self.htmls).append(
                    _part_text(part, self.problems)
                )
            return
        if kind.startswith("multipart/"):  # a multipart whose structure could not be read
            if text:
                self.plains.append(_part_text(part, self.problems))
            return
        self.attachment(part, name)

    def _forwarded(self, message: Message, depth: int, *, text: bool) -> None:
        """A forwarded mail: its text under a short header of its own, its files as ours."""
        inner = _Walk(self.problems, parts=self.parts)
        inner.walk(message, depth + 1, text=text)
        self.parts = inner.parts
        self.attachments += inner.attachments
        if text:
            lines = [
                f"{label}: {_header(message, name, self.problems)}"
                for label, name in (("From", "From"), ("Date", "Date"), ("Subject", "Subject"))
            ]
            body = inner.text()
            self.plains.append("\n".join(["-" * 8, *lines, "", body]))

    def text(self) -> str:
        chosen = [t for t in self.plains if t.strip()]
        if chosen:
            return "\n\n".join(t.strip() for t in chosen)
        return "\n\n".join(html_to_text(t) for t in self.htmls if t.strip())


def _alternative(children: list[Message]) -> Message | None:
    """The alternative to read the text from: plain text when there is one."""
    for wanted in ("text/plain", "text/html"):
        for child in children:
            if child.get_content_type() == wanted:
                return child
    return children[-1] if children else None


def mail_parse(raw: bytes, *, envelope_from: str | None = None) -> IncomingMail:
    """Read ``raw``; never raises for a malformed mail (see ``IncomingMail.problems``)."""
    message = message_from_bytes(raw, policy=RAW_HEADERS)
    problems: list[str] = []
    subject = " ".join(_header(message, "Subject", problems).split())
    sender, name = _sender(message, problems)
    # What identifies this mail when it comes again (an IMAP re-fetch, an SMTP retry):
    # its Message-ID, or its whole content when it has none.
    message_id = " ".join(str(message.get("Message-ID", "")).split())[:500]
    if not message_id:
        message_id = "sha256:" + hashlib.sha256(raw).hexdigest()
    walk = _Walk(problems)
    walk.walk(message)
    return IncomingMail(
        message_id=message_id,
        sender=sender,
        sender_name=name,
        subject=subject,
        body=walk.text(),
        attachments=walk.attachments,
        problems=list(dict.fromkeys(problems)),
        no_answer=no_answer_reason(message, subject=subject, envelope_from=envelope_from),
        authentication_results=[
            " ".join(str(value).split()) for value in message.get_all("Authentication-Results", [])
        ],
    )
