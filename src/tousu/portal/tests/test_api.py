"""The JSON twin under /api/v1/portal/: file, track, act — problem+json naming the field."""

import base64

import pytest

from tousu.complaints.models import Complaint
from tousu.portal.tests.helpers import JPEG, REPLY, api_json, solved, staff_reply

pytestmark = pytest.mark.django_db

BODY = {
    "category": "quality",
    "title": "电热水壶使用一周漏水",
    "description": "在A区12号鑫达电器行购买电热水壶，使用一周后底座漏水，商家拒绝调换。",
    "demand": "退货退款",
    "name": "张伟",
    "phone": "13912345678",
    "privacy_accepted": True,
}


def file_by_api(client, **over):
    body = {**BODY, "altcha": solved(client), **over}
    return api_json(client, "/api/v1/portal/complaints", body)


def opened(client, number, code) -> dict:
    response = api_json(client, "/api/v1/portal/track", {"tracking_no": number, "code": code})
    assert response.status_code == 200, response.content
    return {"Authorization": f"Bearer {response.json()['token']}"}


def test_file_track_and_rate_through_the_api(market, client):
    photo = {"name": "壶.jpg", "content_base64": base64.b64encode(JPEG).decode()}
    filed = file_by_api(client, attachments=[photo])
    assert filed.status_code == 201, filed.content
    number, code = filed.json()["tracking_no"], filed.json()["access_code"]
    assert filed.json()["stage_label"] == "投诉受理"
    assert Complaint.objects.get(tracking_no=number).attachments.count() == 1
    headers = opened(client, number, code)
    case = client.get("/api/v1/portal/case", headers=headers).json()
    assert case["stage_label"] == "投诉受理"
    assert {a["type"] for a in case["actions"]} >= {"add_material", "withdraw"}

    staff_reply(market, number)

    case = client.get("/api/v1/portal/case", headers=headers).json()
    assert case["reply"] == REPLY
    rate = next(a for a in case["actions"] if a["type"] == "record_satisfaction")
    assert [c["label"] for c in rate["choices"]] == ["满意", "基本满意", "不满意"]
    rated = api_json(
        client,
        f"/api/v1/portal/case/actions/{rate['key']}",
        {"satisfaction": "satisfied", "note": "处理及时"},
        **headers,
    )
    assert rated.status_code == 200, rated.content
    assert rated.json()["stage_label"] == "办结"
    assert rated.json()["satisfaction"] == "满意"


def test_a_bad_field_gets_a_problem_naming_it(market, client):
    response = file_by_api(client, phone="12345")
    assert response.status_code == 422
    assert response["Content-Type"] == "application/problem+json"
    assert [e["field"] for e in response.json()["errors"]] == ["phone"]


def test_filing_without_the_proof_of_work_is_refused(market, client):
    response = api_json(client, "/api/v1/portal/complaints", BODY)
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["altcha"]


def test_attachments_over_the_apis_limit_get_a_413_naming_them(market, client):
    photo = JPEG[:-2] + b"\x00" * (int(3.6 * 1024 * 1024)) + b"\xff\xd9"
    body = [{"name": "大图.jpg", "content_base64": base64.b64encode(photo).decode()}]
    response = file_by_api(client, attachments=body)
    assert response.status_code == 413, response.content[:500]
    assert response["Content-Type"] == "application/problem+json"
    assert [e["field"] for e in response.json()["errors"]] == ["attachments"]
    assert "3.5" in response.json()["detail"]
    assert not Complaint.objects.exists()


def test_the_schema_tells_the_apis_attachment_limit(client):
    schema = client.get("/api/openapi.json").json()
    text = str(schema["components"]["schemas"]["FilingIn"]["properties"]["attachments"])
    assert "3.5 MB" in text
