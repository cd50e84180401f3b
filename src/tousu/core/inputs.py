"""Edges of input every service and schema applies the same way: text that cannot be
stored (lone surrogates, control characters), text that only looks filled (zero-width
and other invisible characters), and dates outside the range a complaint can have.

Each check returns a translated message for the field, or None."""

from __future__ import annotations

import re
from datetime import date, datetime

from django.utils.translation import gettext as _

# Control characters but tab, line feed and carriage return; lone UTF-16 surrogates.
_UNSTORABLE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
# Characters that show nothing: zero-width spaces and joiners, the BOM, word joiner.
_INVISIBLE = re.compile(r"[\u200b-\u200f\u2060-\u2064\ufeff\u00ad\u180e\s]+")
EARLIEST = date(2000, 1, 1)
LATEST = date(2100, 12, 31)


def text_problem(value: str) -> str | None:
    """Why ``value`` cannot be stored as text, or None."""
    if _UNSTORABLE.search(value):
        return _("Contains characters that cannot be stored (control characters or broken text).")
    return None


def is_blank(value: str) -> bool:
    """Whether ``value`` shows nothing (spaces and zero-width characters only)."""
    return not _INVISIBLE.sub("", value)


def date_problem(value: date | datetime) -> str | None:
    """Why ``value`` cannot be a complaint's date, or None."""
    day = value.date() if isinstance(value, datetime) else value
    if not EARLIEST <= day <= LATEST:
        return _("Must be between %(earliest)s and %(latest)s.") % {
            "earliest": EARLIEST.isoformat(),
            "latest": LATEST.isoformat(),
        }
    return None


def validate_date_range(value: date | datetime) -> None:
    """The same check as a Django form validator (a message beside the field)."""
    from django.core.exceptions import ValidationError

    problem = date_problem(value)
    if problem:
        raise ValidationError(problem, code="out_of_range")


def validate_storable(value: str) -> None:
    from django.core.exceptions import ValidationError

    problem = text_problem(value)
    if problem:
        raise ValidationError(problem, code="unstorable")
