"""Checks and masks for Chinese phone numbers, resident ID numbers and names."""

from __future__ import annotations

import re
from datetime import date

MOBILE = re.compile(r"^1[3-9]\d{9}$")
LANDLINE = re.compile(r"^0\d{2,3}-?\d{7,8}(-\d{1,6})?$")
SERVICE = re.compile(r"^[48]00-?\d{3}-?\d{4}$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


def phone_normalise(raw: str) -> str:
    value = re.sub(r"[\s()（）]", "", raw)
    if value.startswith("+86"):
        value = value[3:]
    elif value.startswith("0086"):
        value = value[4:]
    value = value.replace("—", "-")
    # A mobile number is stored as its 11 digits, however it was grouped (139-1234-5678).
    digits = value.replace("-", "")
    return digits if MOBILE.match(digits) else value


def phone_is_valid(value: str) -> bool:
    return bool(MOBILE.match(value) or LANDLINE.match(value) or SERVICE.match(value))


def id_number_is_valid(value: str) -> bool:
    """An 18-character resident ID (GB 11643): birth date and ISO 7064 check digit."""
    if not re.fullmatch(r"\d{17}[\dX]", value):
        return False
    try:
        date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        return False
    total = sum(int(d) * w for d, w in zip(value[:17], _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11] == value[17]
