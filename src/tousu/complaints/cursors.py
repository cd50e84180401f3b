"""Keyset pagination of the complaint list: opaque, signed cursors for a position in a
``complaints_list`` order, and the rows after one."""

from __future__ import annotations

from datetime import datetime
from typing import cast

from django.core import signing
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext

from tousu.complaints.models import Complaint
from tousu.complaints.selectors import SortKey, sort_keys
from tousu.core.problems import ServiceError

CURSOR_SALT = "tousu.complaints.list-cursor"


class CursorInvalid(ServiceError):
    """A list cursor that this server did not make for this order (tampered, cut short,
    or made for another sort)."""

    def __init__(self) -> None:
        message = gettext("This cursor is not valid: start again from the first page.")
        super().__init__(message, field_errors={"cursor": [message]})


def complaint_cursor(complaint: Complaint, *, sort: str) -> str:
    """An opaque, signed cursor for the position just after ``complaint`` (a row of a
    ``complaints_list`` ordered by ``sort``)."""
    values = []
    for key in sort_keys(sort):
        value = getattr(complaint, key.name, None)
        values.append(value.isoformat() if isinstance(value, datetime) else value)
    return signing.dumps({"s": sort, "v": values}, salt=CURSOR_SALT)


def complaints_after(
    queryset: QuerySet[Complaint], *, sort: str, cursor: str
) -> QuerySet[Complaint]:
    """The rows of ``queryset`` (ordered by ``sort``) after the position ``cursor``
    names — keyset pagination: each page costs the same however deep it is, and rows
    added meanwhile are neither skipped nor repeated. The gate stays the queryset's:
    a cursor is only a position, never a permission. ``CursorInvalid`` when the cursor
    was not made here for this order."""
    keys = sort_keys(sort)
    try:
        payload = signing.loads(cursor, salt=CURSOR_SALT)
        raw = payload["v"]
        if payload["s"] != sort or not isinstance(raw, list) or len(raw) != len(keys):
            raise CursorInvalid
        values = [_cursor_value(key, value) for key, value in zip(keys, raw, strict=True)]
    except (signing.BadSignature, KeyError, TypeError, ValueError) as exc:
        raise CursorInvalid from exc
    after = _beyond(keys[-1], values[-1])
    for key, value in reversed(list(zip(keys[:-1], values[:-1], strict=True))):
        same = Q(**{f"{key.name}__isnull": True}) if value is None else Q(**{key.name: value})
        after = _beyond(key, value) | (same & after)
    first, start = keys[0], values[0]
    if not first.nullable:
        # The same bound as an index range, so the scan starts at the cursor.
        after &= Q(**{f"{first.name}__{'lte' if first.descending else 'gte'}": start})
    return queryset.filter(after)


def _cursor_value(key: SortKey, value: object) -> object:
    if value is None and key.nullable:
        return None
    if key.name in ("received_at", "next_due"):
        moment = datetime.fromisoformat(cast(str, value))
        if timezone.is_naive(moment):
            raise ValueError(value)
        return moment
    if key.name == "pk":
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(value)
        return value
    if not isinstance(value, str):
        raise ValueError(value)
    return value


def _beyond(key: SortKey, value: object) -> Q:
    """The rows strictly after ``value`` in column ``key``."""
    if value is None:
        return Q(pk__in=[])  # empty values come last: nothing is after them
    beyond = Q(**{f"{key.name}__{'lt' if key.descending else 'gt'}": value})
    if key.nullable:
        beyond |= Q(**{f"{key.name}__isnull": True})
    return beyond
