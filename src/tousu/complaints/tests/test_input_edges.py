"""Edge input is refused with a 422 naming the field (a message beside it on the pages),
never a 500, and refused input burns no tracking number: lone surrogates and control
characters, texts that only look filled, dates out of range, astronomically large pages."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from tousu.accounts.services import token_create
from tousu.complaints.models import Complaint, DailySequence

pytestmark = pytest.mark.django_db

BODY = {
    "channel": "phone",
    "title": "电热水壶漏水",
    "description": "使用一周后底座漏水。",
    "category": "quality",
    "complainant": {"name": "张伟", "phone": "13800000000"},
}
BAD = [
    ({"title": "\ud800坏"}, "title"),
    ({"title": "\u200b\u200b \u200d"}, "title"),
    ({"description": "a\x00b"}, "description"),
    ({"title": "响铃\x07"}, "title"),
    ({"complainant": {"name": "张\x1b伟", "phone": "13800000000"}}, "complainant.name"),
    ({"occurred_at": "0001-01-01T00:00:00+08:00"}, "occurred_at"),
    ({"occurred_at": "9999-12-31T23:59:59+08:00"}, "occurred_at"),
    ({"received_at": "0001-01-01T00:00:00+08:00"}, "received_at"),
]


@pytest.fixture
def api(org):
    return Client(headers={"Authorization": f"Bearer {token_create(user=org.clerk)}"})


@pytest.mark.parametrize(("change", "field"), BAD)
def test_a_bad_body_is_422_naming_the_field_and_burns_no_number(api, change, field):
    response = api.post(
        "/api/v1/complaints", json.dumps({**BODY, **change}), content_type="application/json"
    )
    assert response.status_code == 422, response.content
    assert field in [e["field"] for e in response.json()["errors"]]
    assert not Complaint.objects.exists() and not DailySequence.objects.filter(last__gt=0)
    good = api.post("/api/v1/complaints", json.dumps(BODY), content_type="application/json")
    assert good.json()["tracking_no"].endswith("-000001")


@pytest.mark.parametrize(
    "query",
    ["page=1000000000000000000", "received_from=0001-01-01", "received_to=9999-12-31"],
)
def test_an_out_of_range_filter_is_422(api, query):
    response = api.get(f"/api/v1/complaints?{query}")
    assert response.status_code == 422
    assert response["Content-Type"] == "application/problem+json"


@pytest.mark.parametrize(
    "query", ["received_from=0001-01-01", "received_to=9999-12-31", "q=%00", "page=10000000000"]
)
def test_the_list_page_says_why_beside_the_field(org, query):
    client = Client()
    client.force_login(org.clerk)
    response = client.get(f"/complaints/?{query}")
    assert response.status_code == 200
    page = response.content.decode()
    if query.startswith("received"):
        assert "2000-01-01" in page  # 应在 2000-01-01 至 2100-12-31 之间
    elif query.startswith("q"):
        assert "空字符" in page


def test_the_loser_of_an_assignment_race_gets_409_not_422(org):
    from tousu.complaints.changes import complaint_assign
    from tousu.complaints.tests.factories import complaint_make
    from tousu.core.problems import Conflict

    complaint = complaint_make(org.clerk)
    seen = complaint.version
    same = {"department": complaint.department.code, "assignee": org.clerk.username}
    complaint_assign(actor=org.clerk, complaint=complaint, version=seen, **same)
    complaint.refresh_from_db()  # the loser reads the winner's result, with its old version
    with pytest.raises(Conflict):
        complaint_assign(actor=org.clerk, complaint=complaint, version=seen, **same)
