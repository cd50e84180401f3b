"""Masked forms of personal data (138****5678, 张*), for lists, messages and exports."""

from __future__ import annotations


def mask_phone(value: str) -> str:
    if not value:
        return ""
    digits = value.replace("-", "")
    if len(digits) <= 7:
        return "*" * (len(digits) - 2) + digits[-2:]
    return digits[:3] + "****" + digits[-4:]


def mask_name(value: str) -> str:
    if not value:
        return ""
    return value[0] + "*" * max(len(value) - 1, 1)


def mask_id_number(value: str) -> str:
    if not value:
        return ""
    return value[:6] + "*" * (len(value) - 10) + value[-4:]


def mask_address(value: str) -> str:
    if not value:
        return ""
    return value[:6] + "****"


def mask_email(value: str) -> str:
    if not value or "@" not in value:
        return ""
    local, domain = value.split("@", 1)
    return local[:1] + "***@" + domain
