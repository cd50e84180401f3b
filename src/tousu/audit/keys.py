"""The audit log's keys, read from settings (``TOUSU_AUDIT_KEYS``, ``TOUSU_AUDIT_SIGNING_KEY``).

Both settings are lists of ``(key id, secret)``, newest first: new events and seals use
the first, older ones still verify what they made (rotation). Key ids are stored with
each event and seal, so they must never be reused for another secret.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from django.conf import settings


@dataclass(frozen=True)
class HmacKeys:
    current: str
    secrets: dict[str, bytes]

    def digest(self, key_id: str, message: bytes) -> str | None:
        """HMAC-SHA256 of ``message`` under ``key_id``, or None for an unknown id."""
        secret = self.secrets.get(key_id)
        if secret is None:
            return None
        return hmac.new(secret, message, hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class SigningKeys:
    current: str
    private: dict[str, Ed25519PrivateKey]

    def sign(self, message: bytes) -> tuple[str, str]:
        """The current key's id and its base64 signature of ``message``."""
        signature = self.private[self.current].sign(message)
        return self.current, base64.b64encode(signature).decode("ascii")

    def public(self, key_id: str) -> Ed25519PublicKey | None:
        key = self.private.get(key_id)
        return key.public_key() if key is not None else None


def hmac_keys() -> HmacKeys:
    keys: list[tuple[str, bytes]] = settings.AUDIT_KEYS
    return HmacKeys(current=keys[0][0], secrets=dict(keys))


def signing_keys() -> SigningKeys:
    keys: list[tuple[str, bytes]] = settings.AUDIT_SIGNING_KEYS
    return SigningKeys(
        current=keys[0][0],
        private={key_id: Ed25519PrivateKey.from_private_bytes(raw) for key_id, raw in keys},
    )


def public_key_text(key: Ed25519PublicKey) -> str:
    return base64.b64encode(key.public_bytes_raw()).decode("ascii")


def public_key_from_text(text: str) -> Ed25519PublicKey | None:
    try:
        return Ed25519PublicKey.from_public_bytes(base64.b64decode(text, validate=True))
    except ValueError:  # binascii.Error is a ValueError; so is a wrong length
        return None


def signature_valid(key: Ed25519PublicKey, signature: str, message: bytes) -> bool:
    try:
        key.verify(base64.b64decode(signature, validate=True), message)
    except (InvalidSignature, ValueError):
        return False
    return True
