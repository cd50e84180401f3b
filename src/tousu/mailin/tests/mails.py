"""Mails as real mail programs write them, byte for byte: Foxmail and Outlook in GBK
labelled gb2312, Taiwanese clients in Big5, phones in UTF-8; with attachments named
the RFC 2231 way or with encoded words; and the auto-replies and bounces servers send."""

from __future__ import annotations

import base64
import itertools
from email.utils import format_datetime
from urllib.parse import quote

from django.utils import timezone

# A JPEG's first bytes (what the evidence checks read) and a little more.
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + bytes(300)
EXE = b"MZ\x90\x00\x03\x00\x00\x00" + bytes(200)
SENDER = "zhang.wei@example.cn"
_ids = itertools.count(1)


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def b64_lines(data: bytes) -> bytes:
    """Base64 in lines of 76 characters, as mailers write it (SMTP lines are short)."""
    return base64.encodebytes(data).replace(b"\n", b"\r\n").rstrip()


def encoded_word(text: str, charset: str, codec: str | None = None) -> str:
    return f"=?{charset}?B?{b64(text.encode(codec or charset))}?="


def message_id() -> str:
    return f"<{next(_ids)}.{timezone.now().timestamp()}@mail.example.cn>"


def raw_mail(
    *,
    subject: str = "=?utf-8?B?" + b64("超市卖过期牛奶".encode()) + "?=",
    sender: str = f"=?utf-8?B?{b64('张伟'.encode())}?= <{SENDER}>",
    body: bytes = "我在超市买的牛奶已经过期三天了。".encode(),
    charset: str = "utf-8",
    encoding: str = "base64",
    subtype: str = "plain",
    attachments: list[tuple[str, bytes, str]] = (),  # (Content-Disposition params, data, type)
    headers: dict[str, str] | None = None,
    msgid: str | None = None,
) -> bytes:
    """A mail whose text part is ``body`` (bytes in ``charset``), sent with ``encoding``
    (base64 or 8bit), with ``attachments`` in a multipart/mixed."""
    top = [
        f"From: {sender}",
        "To: tousu@market.example.cn",
        f"Subject: {subject}",
        f"Date: {format_datetime(timezone.now())}",
        f"Message-ID: {msgid or message_id()}",
        "MIME-Version: 1.0",
        *(f"{name}: {value}" for name, value in (headers or {}).items()),
    ]
    payload = b64_lines(body) if encoding == "base64" else body
    text = [
        f'Content-Type: text/{subtype}; charset="{charset}"'.encode(),
        f"Content-Transfer-Encoding: {encoding}".encode(),
        b"",
        payload,
    ]
    if not attachments:
        return b"\r\n".join([*(line.encode() for line in top), *text]) + b"\r\n"
    lines = [
        *(line.encode() for line in top),
        b'Content-Type: multipart/mixed; boundary="=_part_1"',
        b"",
        b"--=_part_1",
        *text,
    ]
    for disposition, data, kind in attachments:
        lines += [
            b"--=_part_1",
            f"Content-Type: {kind}".encode(),
            b"Content-Transfer-Encoding: base64",
            f"Content-Disposition: attachment; {disposition}".encode(),
            b"",
            b64_lines(data),
        ]
    lines.append(b"--=_part_1--")
    return b"\r\n".join(lines) + b"\r\n"


def rfc2231(name: str, charset: str = "utf-8") -> str:
    return f"filename*={charset}''{quote(name.encode(charset))}"


def gbk_mail(**more) -> bytes:
    """As Foxmail writes it: everything GBK, labelled gb2312."""
    fields = {
        "subject": encoded_word("投诉：超市卖过期牛奶", "gb2312", "gbk"),
        "sender": f"{encoded_word('张伟', 'gb2312', 'gbk')} <{SENDER}>",
        "body": "我在超市买的牛奶已经过期三天了，要求退款。".encode("gbk"),
        "charset": "gb2312",
        **more,
    }
    return raw_mail(**fields)
