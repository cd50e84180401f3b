"""The portal's proof of work (ALTCHA): the browser's widget fetches a signed challenge,
spends a moment of CPU on it, and the form carries the solution. No third party, no
cookie, nothing about the person: the server signs and checks with its own key.

A solution is accepted once: its challenge's signature is recorded until the challenge
expires, and the same solution sent again is refused.

Settings (``settings.py``): ``ALTCHA_ALGORITHM`` (PBKDF2/SHA-256), ``ALTCHA_COST``
(iterations per attempt), ``ALTCHA_MAX_NUMBER`` (the secret counter is drawn from its
upper half: the expected work), ``ALTCHA_EXPIRES_MINUTES``.
"""

from __future__ import annotations

import base64
import binascii
import json
import secrets
from datetime import UTC, datetime, timedelta

import altcha
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _

from tousu.core.problems import InvalidInput
from tousu.portal.models import SpentChallenge

FIELD = "altcha"
PAYLOAD_MAX = 4096  # a payload is a few hundred bytes


def _secret() -> str:
    return salted_hmac("tousu.portal.altcha", "challenges", algorithm="sha256").hexdigest()


def challenge_new() -> dict:
    """A fresh signed challenge, as the widget expects it (JSON)."""
    top = max(2, int(getattr(settings, "ALTCHA_MAX_NUMBER", 20_000)))
    counter = top // 2 + secrets.randbelow(top - top // 2)
    minutes = int(getattr(settings, "ALTCHA_EXPIRES_MINUTES", 30))
    challenge = altcha.create_challenge(
        algorithm=getattr(settings, "ALTCHA_ALGORITHM", "PBKDF2/SHA-256"),
        cost=int(getattr(settings, "ALTCHA_COST", 1_000)),
        counter=counter,
        expires_at=timezone.now() + timedelta(minutes=minutes),
        hmac_secret=_secret(),
    )
    return challenge.to_dict()


def _refused(message: str) -> InvalidInput:
    return InvalidInput(message, field_errors={FIELD: [message]})


def payload_verify(payload: str) -> None:
    """Accept ``payload`` (the widget's base64 answer) once, or raise ``InvalidInput``
    naming the ``altcha`` field: missing, malformed, forged, expired or used before."""
    payload = (payload or "").strip()
    if not payload:
        raise _refused(_("Complete the check that you are not a robot."))
    try:
        if len(payload) > PAYLOAD_MAX:
            raise ValueError
        data = json.loads(base64.b64decode(payload, validate=True))
        parsed = altcha.Payload.from_dict(data)
    except (ValueError, binascii.Error, KeyError, TypeError, AttributeError, RecursionError):
        raise _refused(_("The check could not be read. Please do it again.")) from None
    result = altcha.verify_solution(parsed, _secret())
    if result.expired:
        raise _refused(_("The check has expired. Please do it again."))
    if not result.verified:
        raise _refused(_("The check failed. Please do it again."))
    expires = parsed.challenge.parameters.expires_at
    until = (
        datetime.fromtimestamp(int(expires), tz=UTC)
        if isinstance(expires, int | float)
        else timezone.now() + timedelta(days=1)
    )
    now = timezone.now()
    SpentChallenge.objects.filter(expires_at__lt=now).delete()
    try:
        with transaction.atomic():
            SpentChallenge.objects.create(
                signature=str(parsed.challenge.signature)[:128], expires_at=until
            )
    except IntegrityError:
        raise _refused(_("This check was already used. Please do it again.")) from None
