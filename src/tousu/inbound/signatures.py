"""The signature scheme of the inbound API, both ways.

A request from a source carries ``X-Tousu-Timestamp`` (Unix seconds) and
``X-Tousu-Signature: sha256=<hex>``, the HMAC-SHA256 under the source's secret of
``"{timestamp}.{METHOD} {path}\\n" + raw body`` (the path without the query; a GET's body
is empty). Signing the method and path means a captured request cannot be sent to another
endpoint or another complaint's URL. ``request_verify`` checks a request before anything
reads its body: the signature over the raw bytes first (an unknown or inactive source gets
the answer a forged signature gets, so nobody learns which sources exist), then the
timestamp against the source's replay window, then that the same signature was not seen
before within that window.

Tousu's callbacks to the source (``notifications.channels.callback_signature``) are signed
the older, shorter way, ``"{timestamp}." + body``: ``signature_of`` computes that one.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from datetime import UTC, datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from tousu.core.problems import ServiceError
from tousu.inbound.models import InboundSignature, InboundSource

TIMESTAMP_HEADER = "X-Tousu-Timestamp"
SIGNATURE_HEADER = "X-Tousu-Signature"
IDEMPOTENCY_HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
_SIGNATURE = re.compile(r"sha256=([0-9a-fA-F]{64})")
# Compared against when the source is unknown, so that answer takes as long as a forgery.
_NOBODY = secrets.token_urlsafe(32)


class Unauthenticated(ServiceError):
    """The request is not from the source it names (401); the field is the header."""

    status = 401
    title = "Unauthorized"


def secret_new() -> str:
    """A fresh signing secret: 256 random bits, URL-safe text."""
    return secrets.token_urlsafe(32)


def signature_of(secret: str, timestamp: int | str, body: bytes) -> str:
    """The hex HMAC-SHA256 of ``"{timestamp}." + body`` under ``secret``: how Tousu's
    callbacks are signed (not the requests sources send: see ``request_signature_of``)."""
    message = f"{timestamp}.".encode("ascii") + body
    return hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()


def request_signed_text(timestamp: int | str, method: str, path: str, body: bytes) -> bytes:
    """What a source signs: ``"{timestamp}.{METHOD} {path}\\n" + body`` (``path``
    without the query string, UTF-8)."""
    return f"{timestamp}.{method.upper()} {path}\n".encode() + body


def request_signature_of(
    secret: str, timestamp: int | str, *, method: str, path: str, body: bytes
) -> str:
    """The hex HMAC-SHA256 of a request (``request_signed_text``) under ``secret``."""
    message = request_signed_text(timestamp, method, path, body)
    return hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()


def signature_headers(
    secret: str, *, method: str, path: str, body: bytes, timestamp: int
) -> dict[str, str]:
    """The two headers that sign a request (``method`` to ``path`` with ``body``) at
    ``timestamp``."""
    signature = request_signature_of(secret, timestamp, method=method, path=path, body=body)
    return {TIMESTAMP_HEADER: str(timestamp), SIGNATURE_HEADER: "sha256=" + signature}


def _refuse(header: str, message: str) -> Unauthenticated:
    return Unauthenticated(message, field_errors={header: [message]})


def _timestamp_parse(value: str | None) -> int:
    if not value:
        raise _refuse(
            TIMESTAMP_HEADER,
            _("The request has no %(header)s header.") % {"header": TIMESTAMP_HEADER},
        )
    if not value.isascii() or not value.isdigit() or len(value) > 12:
        raise _refuse(
            TIMESTAMP_HEADER,
            _("%(header)s must be the Unix time in whole seconds.") % {"header": TIMESTAMP_HEADER},
        )
    return int(value)


def _signature_parse(value: str | None) -> str:
    if not value:
        raise _refuse(
            SIGNATURE_HEADER,
            _("The request has no %(header)s header.") % {"header": SIGNATURE_HEADER},
        )
    match = _SIGNATURE.fullmatch(value.strip())
    if match is None:
        raise _refuse(
            SIGNATURE_HEADER,
            _("%(header)s must read sha256= and 64 hexadecimal digits.")
            % {"header": SIGNATURE_HEADER},
        )
    return match.group(1).lower()


def request_verify(
    *,
    source_key: str,
    timestamp: str | None,
    signature: str | None,
    method: str,
    path: str,
    body: bytes,
    now: datetime,
) -> InboundSource:
    """The active source named ``source_key`` when ``signature`` is its signature of the
    request (``method`` to ``path``, without the query, with the raw ``body``) at
    ``timestamp``, that timestamp lies
    within the source's replay window of ``now``, and the signature is new. Raises
    ``Unauthenticated`` naming the header at fault otherwise.

    Side effect: the signature is remembered (its own committed row) until the window
    has passed, so a refused request cannot be replayed either."""
    moment = _timestamp_parse(timestamp)
    given = _signature_parse(signature)
    source = InboundSource.objects.filter(key=source_key, is_active=True).first()
    secret = source.secret if source else _NOBODY
    expected = request_signature_of(secret, moment, method=method, path=path, body=body)
    if not hmac.compare_digest(expected, given) or source is None:
        raise _refuse(
            SIGNATURE_HEADER,
            _(
                "The signature does not match: sign “{timestamp}.{METHOD} {path}”, a line "
                "break and the raw body with the source's secret (HMAC-SHA256)."
            ),
        )
    skew = now.timestamp() - moment
    window = source.replay_window
    if skew > window:
        raise _refuse(
            TIMESTAMP_HEADER,
            _("The timestamp is more than %(seconds)d seconds old: sign the request again.")
            % {"seconds": window},
        )
    if skew < -window:
        raise _refuse(
            TIMESTAMP_HEADER,
            _(
                "The timestamp is more than %(seconds)d seconds in the future: check the "
                "sending system's clock."
            )
            % {"seconds": window},
        )
    _signature_remember(source, given, datetime.fromtimestamp(moment, UTC), now)
    return source


def _signature_remember(
    source: InboundSource, signature: str, signed_at: datetime, now: datetime
) -> None:
    """Keep ``signature`` until its timestamp leaves the window; refuse one seen before."""
    # A timestamp is accepted until ``window`` after it, so that is how long it is kept.
    kept_until = signed_at + timedelta(seconds=source.replay_window)
    try:
        with transaction.atomic():
            InboundSignature.objects.filter(source=source, expires_at__lt=now).delete()
            InboundSignature.objects.create(
                source=source, signature=signature, expires_at=kept_until
            )
    except IntegrityError:
        raise _refuse(
            SIGNATURE_HEADER,
            _(
                "This signed request was received before. A retry must be signed anew, "
                "with a fresh timestamp."
            ),
        ) from None
