"""Encryption at rest for personal data (Fernet from ``cryptography``).

``settings.ENCRYPTION_KEYS`` lists Fernet keys, newest first: values are written with
the first and read with any, so keys can be rotated without a flag day.
"""

from __future__ import annotations

import functools
import hashlib
import hmac

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.db import models


@functools.cache
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([Fernet(key.encode("ascii")) for key in keys])


def encrypt(text: str) -> str:
    return _fernet(tuple(settings.ENCRYPTION_KEYS)).encrypt(text.encode("utf-8")).decode("ascii")


def decrypt(token: str) -> str:
    try:
        plain = _fernet(tuple(settings.ENCRYPTION_KEYS)).decrypt(token.encode("ascii"))
    except InvalidToken as exc:
        raise ValueError("personal data cannot be decrypted with the configured keys") from exc
    return plain.decode("utf-8")


def blind_index(text: str, *, purpose: str = "phone") -> str:
    """A keyed digest for exact look-ups (by phone, a phone's last digits, a name)
    without storing the value. Its key is ``settings.INDEX_KEY``, not an encryption key:
    those rotate, and the digests must stay findable. ``purpose`` separates the kinds,
    so a name and a number that happen to be equal never match each other."""
    message = f"{purpose}:{text}".encode()
    return hmac.new(_index_key(settings.INDEX_KEY), message, hashlib.sha256).hexdigest()


@functools.lru_cache(maxsize=4)
def _index_key(secret: str) -> bytes:
    """The digest key derived from ``INDEX_KEY`` (by its value: a new key, a new digest)."""
    return hashlib.sha256(b"tousu-blind-index:" + secret.encode()).digest()


class EncryptedTextField(models.TextField):
    """A text column stored as a Fernet token; empty strings stay empty.

    Only exact emptiness can be queried: every other lookup compares ciphertexts.
    """

    def from_db_value(self, value, expression, connection):
        if value is None or value == "":
            return value
        return decrypt(value)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return encrypt(value)
