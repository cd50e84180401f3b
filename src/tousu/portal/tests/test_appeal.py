"""An appeal (申诉 / 复查请求) by the complainant: within the plan's window it is heard,
after it the engine refuses and the page says why beside the field."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from tousu.complaints.models import Complaint
from tousu.demo.loader import demo_organisation_create
from tousu.plans.tests.scenario import api, fake_clock, step
from tousu.portal.services import complainant_actions
from tousu.portal.tests.helpers import file_one

pytestmark = pytest.mark.django_db


@pytest.fixture
def petition(db):
    return {name: api(user) for name, user in demo_organisation_create("petition").items()}


def answered(p, number):
    """The 信访 office forwards it, the unit handles it and answers in writing."""
    step(p["clerk"], number, "accept", "routing")
    step(p["recorder"], number, "forward", "unit_acceptance", department="hrss", slip="转送人社局")
    step(p["head"], number, "sign_for", "handling", assignee="handler")
    step(p["handler"], number, "propose_opinion", "approval", opinion="支持：责令限期支付工资")
    step(p["head"], number, "approve", "answer")
    step(p["handler"], number, "issue_opinion", "evaluation", reply="已责令公司十日内支付。")


def test_an_appeal_after_the_window_is_refused(petition, client, monkeypatch):
    move = fake_clock(monkeypatch)
    number, code = file_one(client, category="claim", title="拖欠工资", demand="补发工资")
    answered(petition, number)
    complaint = Complaint.objects.get(tracking_no=number)
    (appeal,) = [a for a in complainant_actions(complaint) if a.type == "appeal"]
    move((timezone.now() + timedelta(days=31)).isoformat())
    assert client.get(f"/portal/track/{number}/?code={code}").status_code == 302
    response = client.post(
        f"/portal/track/{number}/act/{appeal.key}/",
        {f"{appeal.key}-version": complaint.version, f"{appeal.key}-reason": "认为补发金额有误"},
    )
    assert response.status_code == 409
    messages = re.findall(r'data-field="reason">([^<]*)<', response.content.decode())
    # The engine's own words: the window has closed, on which day.
    assert any(re.search(r"\d{4}-\d{2}-\d{2}", m) for m in messages), messages
    complaint.refresh_from_db()
    assert complaint.stage == "evaluation"


def test_an_appeal_within_the_window_is_heard(petition, client):
    number, _code = file_one(client, category="claim", title="拖欠工资")
    answered(petition, number)
    complaint = Complaint.objects.get(tracking_no=number)
    (appeal,) = [a for a in complainant_actions(complaint) if a.type == "appeal"]
    response = client.post(
        f"/portal/track/{number}/act/{appeal.key}/",
        {f"{appeal.key}-reason": "认为补发金额计算有误"},
    )
    assert response.status_code == 302
    complaint.refresh_from_db()
    assert complaint.stage != "evaluation"
    page = client.get(f"/portal/track/{number}/").content.decode()
    assert "认为补发金额计算有误" in page
