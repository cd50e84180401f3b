"""Bytes to text for mail in Chinese: the declared character set first (read as its
superset: real mail labelled gb2312 carries GBK characters, big5 carries the Microsoft
and Hong Kong extensions), then UTF-8, GB18030 and Big5, and last UTF-8 with
replacement characters. Nothing here raises on bad input; what went wrong is returned
as a problem code (never the text itself)."""

from __future__ import annotations

import base64
import binascii
import codecs
import quopri
import re

# A declared name → the codecs tried for it, widest first.
_SUPERSETS: dict[str, tuple[str, ...]] = {
    "gb2312": ("gb18030",),
    "gbk": ("gb18030",),
    "gb18030": ("gb18030",),
    "hz": ("hz", "gb18030"),
    "big5": ("cp950", "big5hkscs"),
    "cp950": ("cp950", "big5hkscs"),
    "big5hkscs": ("big5hkscs", "cp950"),
    "ascii": ("ascii",),
}
# Names mail programs write that Python does not know.
_ALIASES = {
    "gb_2312-80": "gb2312",
    "x-gbk": "gbk",
    "x-gb2312": "gb2312",
    "x-euc-cn": "gb2312",
    "x-mac-chinesesimp": "gb2312",
    "x-mac-chinesetrad": "big5",
    "x-x-big5": "big5",
    "big-5": "big5",
    "cn-big5": "big5",
    "x-big5": "big5",
    "unicode-1-1-utf-8": "utf-8",
    "x-unicode20utf8": "utf-8",
}
FALLBACKS = ("utf-8", "gb18030", "cp950")
# Encodings that write their text in ASCII bytes, so ASCII is no sign of plain text.
_SEVEN_BIT = {"hz", "utf-7"}


def codec_for(declared: str | None) -> str | None:
    """Python's name for the declared charset, or None when it is unknown (or names no
    text encoding, such as ``base64``)."""
    name = (declared or "").strip().strip("\"'").lower()
    if not name:
        return None
    name = _ALIASES.get(name, name)
    try:
        info = codecs.lookup(name)
    except LookupError:
        return None
    if not getattr(info, "_is_text_encoding", True):
        return None
    return info.name


def text_decode(data: bytes, declared: str | None) -> tuple[str, list[str]]:
    """``data`` as text, and the problems met on the way (``unknown-charset:<name>``,
    ``charset-mismatch:<name>``, ``undecodable``). Pure ASCII needs no charset."""
    problems: list[str] = []
    label = (declared or "").strip().strip("\"'").lower()[:40]
    if label and codec_for(label) is None:
        problems.append(f"unknown-charset:{_safe(label)}")
    codec = codec_for(label)
    if data.isascii() and codec not in _SEVEN_BIT:
        return data.decode("ascii"), problems
    own = _SUPERSETS.get(codec, (codec,)) if codec else ()
    for candidate in own + FALLBACKS:
        try:
            text = data.decode(candidate)
        except (UnicodeDecodeError, LookupError):
            continue
        if codec and candidate not in own:
            problems.append(f"charset-mismatch:{_safe(label)}")
        return text, problems
    problems.append("undecodable")
    return data.decode("utf-8", errors="replace"), problems


def _safe(label: str) -> str:
    """A charset label fit for a log or a note: printable ASCII, short."""
    return re.sub(r"[^a-z0-9._-]", "?", label)[:40]


# --- RFC 2047 encoded words ------------------------------------------------------------

_ENCODED_WORD = re.compile(
    rb"=\?(?P<charset>[^?*\s]+)(?:\*[^?\s]*)?\?(?P<encoding>[QqBb])\?(?P<text>[^?\s]*)\?="
)
_FOLD = re.compile(rb"\r?\n(?=[ \t])")


def _word_bytes(encoding: bytes, text: bytes) -> bytes | None:
    try:
        if encoding.upper() == b"B":
            return base64.b64decode(text + b"=" * (-len(text) % 4))
        return quopri.decodestring(text.replace(b"_", b" "), header=True)
    except (binascii.Error, ValueError):
        return None


def header_decode(raw: str | bytes | None) -> tuple[str, list[str]]:
    """A header's value as text: encoded words decoded (adjacent words in one charset
    joined before decoding, as mailers split multibyte characters between them), raw
    8-bit bytes read as UTF-8, GB18030 or Big5, folding undone."""
    if raw is None:
        return "", []
    data = raw if isinstance(raw, bytes) else str(raw).encode("utf-8", "surrogateescape")
    data = _FOLD.sub(b"", data)
    problems: list[str] = []
    pieces: list[str] = []
    pending: tuple[bytes, bytearray] | None = None  # (charset, bytes) of joined words

    def flush() -> None:
        nonlocal pending
        if pending is not None:
            text, found = text_decode(bytes(pending[1]), pending[0].decode("ascii", "replace"))
            pieces.append(text)
            problems.extend(found)
            pending = None

    position = 0
    for match in _ENCODED_WORD.finditer(data):
        between = data[position : match.start()]
        decoded = _word_bytes(match["encoding"], match["text"])
        if decoded is None:
            continue  # left as it is, in the text between the words
        if between.strip(b" \t") or pending is None:
            flush()
            if between:
                text, found = text_decode(between, None)
                pieces.append(text)
                problems.extend(found)
        # Whitespace between two encoded words is not part of the text (RFC 2047 §6.2).
        charset = match["charset"].lower()
        if pending is not None and pending[0] == charset:
            pending[1].extend(decoded)
        else:
            flush()
            pending = (charset, bytearray(decoded))
        position = match.end()
    flush()
    tail = data[position:]
    if tail:
        text, found = text_decode(tail, None)
        pieces.append(text)
        problems.extend(found)
    return "".join(pieces), problems
