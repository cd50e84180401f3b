"""我的待办: the work list is exactly the complaints on which the plan gives a person an
action now — held equal to the engine's own answer over every template's demo."""

from __future__ import annotations

import pytest
from django.test import Client

from tousu.accounts.models import User
from tousu.complaints.awaiting import complaints_awaiting, work_list
from tousu.complaints.models import Complaint
from tousu.demo.loader import demo_load
from tousu.plans.engine import actions_available
from tousu.plans.services import TEMPLATE_KEYS

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("template", TEMPLATE_KEYS)
def test_the_work_list_is_what_the_engine_offers(template):
    demo_load(plan=template, complaints=16, seed=7)
    complaints = list(Complaint.objects.select_related("category__parent", "plan_revision"))
    for user in User.objects.filter(is_active=True):
        visible = set(Complaint.objects.visible_to(user).values_list("pk", flat=True))
        expected = {
            c.pk
            for c in complaints
            if c.pk in visible and actions_available(complaint=c, user=user)
        }
        got = set(complaints_awaiting(user).values_list("pk", flat=True))
        assert got == expected, (template, user.username, got ^ expected)


def test_the_work_page_is_home_and_marks_what_is_overdue(db):
    demo_load(plan="market", complaints=30, seed=3)
    clerk = User.objects.get(username="clerk")
    client = Client()
    client.force_login(clerk)
    home = client.get("/")
    assert home.status_code == 302 and home.url == "/work/"
    page = client.get("/work/").content.decode()
    assert "我的待办" in page
    rows = list(work_list(clerk))
    assert rows, "the demo clerk has work"
    for c in rows[:25]:
        assert c.tracking_no in page
    # Soonest deadline first, cases without a running deadline last.
    dues = [c.next_due for c in rows]
    dated = [d for d in dues if d is not None]
    assert dated == sorted(dated) and dues[: len(dated)] == dated
