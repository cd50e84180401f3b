"""``Authentication-Results`` header fields (RFC 8601), as far as the mail door needs
them: which domain a trusted mail server found DMARC to pass for.

Only a field whose authserv-id is one the organisation trusts counts (its own mail
server's, configured in ``TOUSU_MAIL_TRUSTED_AUTHSERV``); that server must remove fields
carrying its authserv-id from the mail it receives (RFC 8601 §5), or a sender could write
one. Nothing here raises on a malformed field: what cannot be read says nothing."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

_PAIR = re.compile(r'([A-Za-z0-9][A-Za-z0-9._/-]*)\s*=\s*("(?:[^"\\]|\\.)*"|[^\s";]+)')


@dataclass(frozen=True)
class Result:
    """One method's result: ``dmarc``, ``pass``, {``header.from``: ``example.cn``}."""

    method: str
    result: str
    properties: dict[str, str] = field(default_factory=dict)


def _without_comments(value: str) -> str:
    """``value`` with its (nested) comments taken out; quoted strings kept as they are."""
    out, depth, quoted, escaped = [], 0, False, False
    for char in value:
        if escaped:
            escaped = False
            if depth == 0:
                out.append(char)
            continue
        if char == "\\" and (quoted or depth):
            escaped = True
            if depth == 0:
                out.append(char)
            continue
        if quoted:
            quoted = char != '"'
            out.append(char)
        elif char == "(":
            depth += 1
        elif char == ")" and depth:
            depth -= 1
        elif depth == 0:
            quoted = char == '"'
            out.append(char)
    return "".join(out)


def _segments(value: str) -> list[str]:
    """``value`` split at the semicolons outside quoted strings."""
    parts: list[str] = []
    current: list[str] = []
    quoted = escaped = False
    for char in value:
        if escaped:
            escaped = False
        elif char == "\\" and quoted:
            escaped = True
        elif char == '"':
            quoted = not quoted
        elif char == ";" and not quoted:
            parts.append("".join(current))
            current = []
            continue
        current.append(char)
    parts.append("".join(current))
    return [part.strip() for part in parts]


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] == '"':
        return re.sub(r"\\(.)", r"\1", value[1:-1])
    return value


def results_parse(value: str) -> tuple[str, list[Result]]:
    """(authserv-id in lower case, its results) of one ``Authentication-Results`` value;
    ("", []) when it cannot be read."""
    segments = _segments(_without_comments(" ".join(value.split())))
    words = segments[0].split()
    if not words:
        return "", []
    authserv_id = _unquote(words[0]).strip().rstrip(".").lower()
    results = []
    for segment in segments[1:]:
        pairs = [(name.lower(), _unquote(text)) for name, text in _PAIR.findall(segment)]
        if not pairs:
            continue
        (method, result), properties = pairs[0], dict(pairs[1:])
        results.append(Result(method.split("/")[0], result.lower(), properties))
    return authserv_id, results


def _domain(text: str) -> str:
    """A domain as compared: lower case, no final dot, internationalised ones as A-labels."""
    text = text.rpartition("@")[2].strip().rstrip(".").lower()
    try:
        return text.encode("idna").decode("ascii")
    except UnicodeError:
        return text


def dmarc_passes(values: Iterable[str], trusted: Iterable[str], sender: str) -> bool:
    """Whether a field from a ``trusted`` authserv-id says DMARC passed for the domain of
    the ``sender`` address (its ``header.from``)."""
    trusted_ids = {item.strip().rstrip(".").lower() for item in trusted if item.strip()}
    if not trusted_ids or "@" not in sender:
        return False
    domain = _domain(sender)
    for value in values:
        authserv_id, results = results_parse(value)
        if authserv_id not in trusted_ids:
            continue
        for result in results:
            if result.method != "dmarc" or result.result != "pass":
                continue
            if _domain(result.properties.get("header.from", "")) == domain:
                return True
    return False
