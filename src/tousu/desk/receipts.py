"""The desk's printed 受理回执: what it says comes from ``complaints.receipts``; this module
keeps the desk's own rule, the access code on the paper for a few minutes after this
browser registered the complaint."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.contrib.sessions.backends.base import SessionBase
from django.utils import timezone

# What a receipt says is the complaints app's (the office's printed receipt says the same).
from tousu.complaints.receipts import Receipt, TimeLimit, first_step_limits, receipt_for

__all__ = [
    "CODES_KEPT",
    "CODE_SHOWN",
    "SESSION_CODES",
    "Receipt",
    "TimeLimit",
    "access_code_keep",
    "access_code_shown",
    "first_step_limits",
    "receipt_for",
]

# The access codes of complaints this browser registered, for the page after registering
# and the receipt: {tracking number: [code, when registered (ISO 8601)]}. Only a digest is
# stored with the complaint; the code is kept here for ``CODE_SHOWN`` after registration
# (long enough to read it out, print the receipt, switch the paper and print again), then
# the receipt says it was given at registration.
SESSION_CODES = "desk_access_codes"
CODES_KEPT = 5
CODE_SHOWN = timedelta(minutes=10)


def _codes(session: SessionBase) -> dict[str, list[str]]:
    """The codes still shown; those whose time is up are left out."""
    kept = session.get(SESSION_CODES, {})
    since = timezone.now() - CODE_SHOWN
    codes = {}
    for tracking_no, entry in kept.items():
        if not isinstance(entry, list) or len(entry) != 2:
            continue
        try:
            registered = datetime.fromisoformat(entry[1])
        except (TypeError, ValueError):
            continue
        if registered >= since:
            codes[tracking_no] = [str(entry[0]), entry[1]]
    return codes


def access_code_keep(session: SessionBase, tracking_no: str, code: str) -> None:
    """Keep the code of a just-registered complaint for the next ``CODE_SHOWN`` (the last
    few registrations only)."""
    codes = _codes(session)
    codes[tracking_no] = [code, timezone.now().isoformat()]
    session[SESSION_CODES] = dict(list(codes.items())[-CODES_KEPT:])


def access_code_shown(session: SessionBase, tracking_no: str) -> str:
    """The code while it is still shown, else "" (and the session forgets the codes
    whose time is up)."""
    codes = _codes(session)
    if codes != session.get(SESSION_CODES, {}):
        session[SESSION_CODES] = codes
    entry = codes.get(tracking_no)
    return entry[0] if entry else ""
