"""The complainant's private access code: tracking numbers are sortable and guessable,
the code is not. Only a keyed digest is stored; the code itself is shown once (the
receipt, the portal's result page, the printed 受理回执)."""

from __future__ import annotations

import secrets

from django.utils.crypto import constant_time_compare, salted_hmac

# No 0/O, 1/I/L: read aloud on the phone and typed from a slip of paper.
ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
LENGTH = 8


def access_code_new() -> str:
    """A fresh random code (31^8 ≈ 8.5·10^11 possibilities)."""
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def access_code_normalise(code: str) -> str:
    """What the person typed, as stored: upper case, without spaces or dashes."""
    return "".join(ch for ch in (code or "").upper() if ch.isalnum())


def access_digest(tracking_no: str, code: str) -> str:
    """The keyed digest stored for ``code`` on complaint ``tracking_no``."""
    value = f"{tracking_no}:{access_code_normalise(code)}"
    return salted_hmac("tousu.complaints.access", value, algorithm="sha256").hexdigest()


def access_code_matches(complaint, code: str) -> bool:
    """Whether ``code`` opens ``complaint`` (constant time; False when it has none)."""
    stored = getattr(complaint, "access_digest", "")
    if not stored or not code:
        return False
    return constant_time_compare(stored, access_digest(complaint.tracking_no, code))
