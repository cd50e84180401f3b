"""Complaints for tests, made through the same service the intake clerk uses."""

from __future__ import annotations

from tousu.complaints.services import ComplainantData, complaint_register

DEFAULTS = {
    "channel": "phone",
    "title": "电热水壶使用一周漏水",
    "description": "在A区12号鑫达电器行购买电热水壶，使用一周后底座漏水，商家拒绝调换。",
    "category": "quality",
    "merchant": "鑫达电器行",
    "product": "电热水壶",
}


def complainant(**overrides) -> ComplainantData:
    data = {"name": "张伟", "phone": "13812345678"}
    data.update(overrides)
    return ComplainantData(**data)


def complaint_make(actor, **overrides):
    data = {**DEFAULTS, "complainant": complainant()}
    data.update(overrides)
    return complaint_register(actor=actor, **data)
