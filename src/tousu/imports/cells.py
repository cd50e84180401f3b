"""Cells of an import file turned into values: text, dates and times (Asia/Shanghai when
the cell gives no offset), amounts of money. Each parser returns the value, or raises
``CellError`` with a message for the bad-row report."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from django.utils.translation import gettext as _

SHANGHAI = ZoneInfo("Asia/Shanghai")
DATE_FORMATS = (
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%d",
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d %H:%M",
    "%Y/%m/%d",
    "%Y.%m.%d %H:%M:%S",
    "%Y.%m.%d %H:%M",
    "%Y.%m.%d",
    "%Y年%m月%d日 %H:%M:%S",
    "%Y年%m月%d日 %H:%M",
    "%Y年%m月%d日%H时%M分",
    "%Y年%m月%d日%H:%M",
    "%Y年%m月%d日",
    "%Y%m%d%H%M%S",
    "%Y%m%d",
)
_MONEY = re.compile(r"[\s,，¥￥]|元$|RMB|CNY", re.IGNORECASE)


class CellError(ValueError):
    """A cell that cannot be read as its field; the message is for the report."""


def text(cell: Any) -> str:
    """A cell as text: numbers without a trailing ``.0`` (an id or a phone number a
    spreadsheet stored as a number), dates as ISO text."""
    if cell is None:
        return ""
    if isinstance(cell, bool):
        return "1" if cell else "0"
    if isinstance(cell, float):
        return str(int(cell)) if cell.is_integer() else repr(cell)
    if isinstance(cell, dt.datetime | dt.date | dt.time):
        return cell.isoformat(sep=" ") if isinstance(cell, dt.datetime) else cell.isoformat()
    return str(cell).strip()


def moment(cell: Any, formats: Sequence[str] = ()) -> dt.datetime | None:
    """A cell as an aware date and time (None when blank); a date alone is its midnight,
    a time without an offset is Beijing time."""
    if cell is None or cell == "":
        return None
    if isinstance(cell, dt.datetime):
        value = cell
    elif isinstance(cell, dt.date):
        value = dt.datetime.combine(cell, dt.time())
    elif isinstance(cell, str):
        value = _parse(cell.strip(), formats)
    else:
        raise CellError(_("Not a date: “%(value)s”.") % {"value": text(cell)})
    if value.tzinfo is None or value.utcoffset() is None:
        value = value.replace(tzinfo=SHANGHAI)
    return value


def _parse(value: str, formats: Sequence[str]) -> dt.datetime:
    if not value:
        raise CellError(_("Not a date: “%(value)s”.") % {"value": value})
    for layout in formats:
        try:
            return dt.datetime.strptime(value, layout)  # noqa: DTZ007 - zone added by the caller
        except ValueError:
            continue
    try:
        return dt.datetime.fromisoformat(value)
    except ValueError:
        pass
    for layout in DATE_FORMATS:
        try:
            return dt.datetime.strptime(value, layout)  # noqa: DTZ007 - zone added by the caller
        except ValueError:
            continue
    raise CellError(_("Not a date: “%(value)s”.") % {"value": value})


def amount(cell: Any) -> Decimal | None:
    """A cell as an amount of yuan (None when blank): ``1,280.50``, ``¥1280.5``,
    ``1280元`` are all 1280.50."""
    if cell is None or cell == "":
        return None
    if isinstance(cell, bool):
        raise CellError(_("Not an amount: “%(value)s”.") % {"value": text(cell)})
    raw = text(cell)
    if not raw:
        return None
    try:
        value = Decimal(_MONEY.sub("", raw))
    except InvalidOperation:
        raise CellError(_("Not an amount: “%(value)s”.") % {"value": raw}) from None
    if not value.is_finite():
        raise CellError(_("Not an amount: “%(value)s”.") % {"value": raw})
    try:
        return value.quantize(Decimal("0.01"))
    except InvalidOperation:  # too large to keep cents: registration refuses it
        return value
