"""A deadline reaching into a year whose holiday schedule nobody has entered yet is
provisional, and becomes final — recomputed by itself — when that year is entered."""

import datetime as dt
import json
from pathlib import Path

import pytest
import time_machine
from django.test import Client

from tousu.accounts.services import token_create
from tousu.deadlines.models import Deadline
from tousu.deadlines.services import calendar_year_enter
from tousu.plans.services import organisation_plan_adopt, plan_load

pytestmark = pytest.mark.django_db

EXAMPLE = Path(__file__).with_name("example.yaml")
SHANGHAI = dt.timezone(dt.timedelta(hours=8))


@time_machine.travel(dt.datetime(2026, 12, 28, 10, 0, tzinfo=SHANGHAI), tick=False)
def test_a_deadline_into_2027_is_provisional_until_2027_is_entered(org):
    plan_load(source=EXAMPLE.read_bytes())
    organisation_plan_adopt(key="shop")
    client = Client(headers={"Authorization": f"Bearer {token_create(user=org.clerk)}"})
    created = client.post(
        "/api/v1/complaints",
        json.dumps(
            {
                "channel": "phone",
                "title": "年底投诉",
                "description": "年底购买的商品有质量问题",
                "category": "food",
                "complainant": {"name": "李娜", "phone": "13900001111"},
            }
        ),
        content_type="application/json",
    ).json()
    # 7 working days from Mon 2026-12-28 (not counted): Tue 29 (1), Wed 30 (2), Thu 31 (3);
    # 2027-01-01 is New Year's Day by statute; Mon Jan 4 (4), Tue 5 (5), Wed 6 (6), Thu 7 (7),
    # ending at the plan's close of business, 17:30.
    acceptance = next(d for d in created["deadlines"] if d["key"] == "acceptance")
    assert acceptance["due_at"] == "2027-01-07T17:30:00+08:00"
    assert acceptance["provisional"] is True

    # The (made-up, for the test) 2027 notice: Jan 1–4 off, no make-up day.
    calendar_year_enter(
        actor=None,
        year=2027,
        holidays=[(dt.date(2027, 1, day), "元旦") for day in (1, 2, 3, 4)],
        workdays=[],
    )
    row = Deadline.objects.get(kind="acceptance")
    assert row.provisional is False
    # Tue 29 (1), Wed 30 (2), Thu 31 (3), Tue Jan 5 (4), Wed 6 (5), Thu 7 (6), Fri 8 (7).
    assert row.due_at == dt.datetime(2027, 1, 8, 17, 30, tzinfo=SHANGHAI)
    shown = client.get(f"/api/v1/complaints/{created['tracking_no']}").json()
    acceptance = next(d for d in shown["deadlines"] if d["key"] == "acceptance")
    assert acceptance["provisional"] is False
