"""The public timeline never shows an internal note, findings, an opinion, a transfer
slip, a staff member's name or an internal key — only what the complainant is told."""

import html
import re

import pytest

from tousu.complaints.models import Complaint
from tousu.portal.tests.helpers import FINDINGS, INTERNAL_NOTE, REPLY, file_one, staff_reply
from tousu.portal.timeline import public_timeline

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
KEYS = ("investigation", "findings", "propose", "approval", "execution", "transfer", "refund")


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
