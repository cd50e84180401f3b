"""The public timeline never shows an internal note, findings, an opinion, a transfer
slip, a staff member's name or an internal key — only what the complainant is told."""

import html
import re

import pytest
from django.utils import translation

from tousu.complaints.models import Complaint
from tousu.complaints.public import public_timeline
from tousu.portal.services import complainant_actions
from tousu.portal.tests.helpers import (
    FINDINGS,
    INTERNAL_NOTE,
    REPLY,
    api_json,
    file_one,
    staff_reply,
)

pytestmark = pytest.mark.django_db

STAFF_NAMES = ("王晓梅", "李建国", "刘洋", "周国平", "孙志强")
PRIVATE = (
    FINDINGS,
    INTERNAL_NOTE,
    "商家退货退款299元",  # the opinion
    "投诉接收单",  # the transfer slip
    "商品质量管理部",  # the department it was transferred to
    *STAFF_NAMES,
)
KEYS = (
    "investigation",
    "findings",
    "propose",
    "approval",
    "execution",
    "transfer",
    "refund",
    "satisfied",
    "basically_satisfied",
    "dissatisfied",
)


def visible_text(page: str) -> str:
    body = page.split("<main", 1)[1]
    return html.unescape(re.sub(r"<[^>]+>", " ", body))


def test_the_public_timeline_shows_what_the_complainant_is_told(market, client):
    number, _code = file_one(client)
    staff_reply(market, number)
    entries = public_timeline(Complaint.objects.get(tracking_no=number))
    shown = " ".join(
        f"{e.title} {e.who} {e.stage} " + " ".join(f"{k} {v}" for k, v in e.texts) for e in entries
    )
    assert REPLY in shown
    for text in (*PRIVATE, *KEYS):
        assert text not in shown, text
    # The staff appear by the plan's role labels.
    assert "投诉受理员" in shown and "调查员" in shown


def test_the_tracking_page_and_the_api_show_nothing_private(market, client):
    number, code = file_one(client)
    staff_reply(market, number)
    text = visible_text(client.get(f"/portal/track/{number}/").content.decode())
    assert REPLY in text
    for word in (*PRIVATE, *KEYS):
        assert word not in text, word
    token = client.post(
        "/api/v1/portal/track",
        {"tracking_no": number, "code": code},
        content_type="application/json",
    ).json()["token"]
    body = client.get("/api/v1/portal/case", headers={"Authorization": f"Bearer {token}"})
    data = body.json()
    dumped = str(data["timeline"]) + data["reply"]
    for word in (*PRIVATE, *KEYS):
        assert word not in dumped, word


def rating_of(number: str):
    complaint = Complaint.objects.get(tracking_no=number)
    (rate,) = [a for a in complainant_actions(complaint) if a.type == "record_satisfaction"]
    return complaint, rate


def test_a_rating_sent_without_a_value_is_refused_beside_the_field(market, client):
    number, _code = file_one(client)
    staff_reply(market, number)
    complaint, rate = rating_of(number)
    response = client.post(
        f"/portal/track/{number}/act/{rate.key}/",
        {f"{rate.key}-version": complaint.version, f"{rate.key}-note": "还行"},
    )
    assert response.status_code == 422
    page = response.content.decode()
    (message,) = re.findall(r'data-field="satisfaction">([^<]*)<', page)
    with translation.override("zh-hans"):
        assert message == translation.gettext("Choose how satisfied you are with the result.")
    for word in KEYS:
        assert word not in visible_text(page), word
    complaint.refresh_from_db()
    assert complaint.satisfaction == "" and complaint.stage == "confirmation"


@pytest.mark.parametrize("value", ["", "great"])
def test_the_api_refuses_a_rating_without_a_known_value_naming_the_field(market, client, value):
    number, code = file_one(client)
    staff_reply(market, number)
    complaint, rate = rating_of(number)
    token = api_json(client, "/api/v1/portal/track", {"tracking_no": number, "code": code})
    headers = {"Authorization": f"Bearer {token.json()['token']}"}
    response = api_json(
        client, f"/api/v1/portal/case/actions/{rate.key}", {"satisfaction": value}, **headers
    )
    assert response.status_code == 422
    problem = response.json()
    assert [e["field"] for e in problem["errors"]] == ["satisfaction"]
    assert "满意" in problem["detail"] and "基本满意" in problem["detail"]
    for word in KEYS:
        assert word not in response.content.decode(), word
    complaint.refresh_from_db()
    assert complaint.satisfaction == ""
