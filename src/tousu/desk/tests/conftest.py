"""The market plan's demo organisation with a hotline operator whose sight is limited:
``hotline`` takes calls in the after-sales department, so a complaint the clerk has
moved on from intake is not theirs to open; ``admin`` sees every department but no
confidential complaint."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.test import Client

from tousu.accounts.choices import Role
from tousu.accounts.models import Department, User
from tousu.accounts.services import user_create
from tousu.complaints.services import ComplainantData, complaint_register
from tousu.complaints.workflow import complaint_act
from tousu.conftest import PASSWORD
from tousu.demo.loader import demo_organisation_create

CALLER = "13812345678"


@dataclass
class Desk:
    users: dict[str, User]
    hotline: User
    # Sees every department's complaints, but not confidential ones.
    admin: User

    @property
    def clerk(self) -> User:
        return self.users["clerk"]


@pytest.fixture
def desk(db) -> Desk:
    users = demo_organisation_create("market")
    hotline = user_create(
        username="hotline",
        password=PASSWORD,
        full_name="钱芳",
        roles=[Role.INTAKE_CLERK],
        department=Department.objects.get(code="after_sales"),
    )
    admin = user_create(
        username="desk-admin", password=PASSWORD, full_name="孙丽", roles=[Role.ADMINISTRATOR]
    )
    return Desk(users=users, hotline=hotline, admin=admin)


def login(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def register(actor: User, *, phone: str = CALLER, category: str = "quality", **fields):
    data = {
        "channel": "phone",
        "title": "电热水壶使用一周漏水",
        "description": "在A区12号鑫达电器行购买电热水壶，使用一周后底座漏水，商家拒绝调换。",
        "category": category,
        "complainant": ComplainantData(name="张伟", phone=phone, email="zhang.wei@example.cn"),
    }
    data.update(fields)
    return complaint_register(actor=actor, **data)


def act(complaint, actor: User, action: str, **data):
    complaint.refresh_from_db()
    return complaint_act(
        complaint=complaint, actor=actor, action=action, version=complaint.version, data=data
    )
