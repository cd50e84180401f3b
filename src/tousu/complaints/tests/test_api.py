import io
import json
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from openapi_spec_validator import validate

from tousu.accounts.models import ApiToken
from tousu.accounts.services import token_create
from tousu.complaints.models import Complainant, Complaint
from tousu.complaints.tests.factories import complaint_make

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def api(user=None, token=None) -> Client:
    raw = token or (token_create(user=user) if user else None)
    return Client(headers={"Authorization": f"Bearer {raw}"} if raw else {})


def body(**overrides):
    data = {
        "channel": "api",
        "title": "价签与结算价格不符",
        "description": "货架标价59.9元，结账按79.9元收取。",
        "category": "price",
        "complainant": {"name": "陈晨", "phone": "13912345678"},
    }
    data.update(overrides)
    return data


def post(client, url, data):
    return client.post(url, json.dumps(data), content_type="application/json")


def problem(response, status):
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    return response.json()


def test_create_read_and_list(org):
    client = api(org.clerk)
    created = post(client, "/api/v1/complaints", body(severity="major"))
    assert created.status_code == 201, created.content
    data = created.json()
    assert data["tracking_no"].startswith("TS-") and data["version"] == 1
    assert data["complainant"]["phone"] == "139****5678"
    assert data["complainant"]["name"] == "陈*"
    assert data["received_by"] == "clerk" and data["department"]["code"] == "office"
    read = client.get(f"/api/v1/complaints/{data['tracking_no']}")
    assert read.status_code == 200 and read.json()["severity"] == "major"
    listed = client.get("/api/v1/complaints", {"q": "标价", "severity": "major"}).json()
    assert listed["count"] == 1 and listed["results"][0]["tracking_no"] == data["tracking_no"]


def test_list_filters_sorts_and_pages(org):
    for index in range(7):
        complaint_make(
            org.clerk,
            title=f"投诉{index}",
            received_at=timezone.now() - timedelta(days=index),
            channel="walk_in" if index % 2 else "phone",
        )
    client = api(org.leader)
    page = client.get("/api/v1/complaints", {"page_size": 3, "page": 2}).json()
    assert page["count"] == 7 and page["pages"] == 3
    assert [r["title"] for r in page["results"]] == ["投诉3", "投诉4", "投诉5"]
    oldest = client.get("/api/v1/complaints", {"sort": "received", "page_size": 1}).json()
    assert oldest["results"][0]["title"] == "投诉6"
    walk_in = client.get("/api/v1/complaints", {"channel": "walk_in"}).json()
    assert walk_in["count"] == 3
    since = (timezone.localdate() - timedelta(days=2)).isoformat()
    recent = client.get("/api/v1/complaints", {"received_from": since}).json()
    assert recent["count"] == 3


def test_missing_and_bad_fields_get_a_problem_naming_each_field(org):
    client = api(org.clerk)
    data = body(title="", category="nope")
    data["complainant"] = {"name": "陈晨", "phone": "123"}
    result = problem(post(client, "/api/v1/complaints", data), 422)
    fields = {e["field"] for e in result["errors"]}
    assert {"title", "category", "complainant.phone"} <= fields
    missing = problem(post(client, "/api/v1/complaints", {"channel": "api"}), 422)
    assert {"title", "description", "category", "complainant"} <= {
        e["field"] for e in missing["errors"]
    }
    assert Complaint.objects.count() == 0 and Complainant.objects.count() == 0


def test_over_long_text_and_html(org):
    client = api(org.clerk)
    result = problem(post(client, "/api/v1/complaints", body(description="字" * 100_000)), 422)
    assert result["errors"][0]["field"] == "description"
    html = '<img src=x onerror="alert(1)">'
    created = post(client, "/api/v1/complaints", body(title=html)).json()
    assert created["title"] == html  # stored and returned as given; JSON is not HTML


def test_malformed_json_is_a_problem(org):
    client = api(org.clerk)
    response = client.post("/api/v1/complaints", "{not json", content_type="application/json")
    assert response.status_code in (400, 422)
    assert response["Content-Type"] == "application/problem+json"


def test_wrong_expired_and_revoked_tokens_are_401(org):
    for client in (api(), api(token="tsu_wrong"), api(token="garbage")):
        result = problem(client.get("/api/v1/complaints"), 401)
        assert "接口令牌" in result["detail"]
    raw = token_create(user=org.clerk, days=1)
    ApiToken.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    problem(api(token=raw).get("/api/v1/complaints"), 401)
    raw = token_create(user=org.clerk)
    ApiToken.objects.update(revoked_at=timezone.now())
    problem(api(token=raw).get("/api/v1/complaints"), 401)


def test_another_departments_complaint_is_404_without_its_data(org):
    complaint = complaint_make(org.clerk, title="机密内容不应泄露")
    client = api(org.after_sales_handler)
    result = problem(client.get(f"/api/v1/complaints/{complaint.tracking_no}"), 404)
    assert "机密内容" not in json.dumps(result, ensure_ascii=False)
    for path in ("", "/timeline", "/complainant"):
        problem(client.get(f"/api/v1/complaints/{complaint.tracking_no}{path}"), 404)
    patch = client.patch(
        f"/api/v1/complaints/{complaint.tracking_no}",
        json.dumps({"version": 1, "title": "x"}),
        content_type="application/json",
    )
    problem(patch, 404)
    assert client.get("/api/v1/complaints").json()["count"] == 0


def test_stale_version_is_409_and_the_first_change_survives(org):
    complaint = complaint_make(org.clerk)
    url = f"/api/v1/complaints/{complaint.tracking_no}"
    clerk, investigator = api(org.clerk), api(org.investigator)
    first = clerk.patch(
        url, json.dumps({"version": 1, "title": "新标题"}), content_type="application/json"
    )
    assert first.status_code == 200 and first.json()["version"] == 2
    second = investigator.patch(
        url, json.dumps({"version": 1, "severity": "urgent"}), content_type="application/json"
    )
    result = problem(second, 409)
    assert result["errors"][0]["field"] == "version"
    saved = clerk.get(url).json()
    assert saved["title"] == "新标题" and saved["severity"] == "ordinary"


def test_assign_and_transfer(org):
    complaint = complaint_make(org.clerk)
    url = f"/api/v1/complaints/{complaint.tracking_no}/assignment"
    client = api(org.clerk)
    no_note = problem(post(client, url, {"version": 1, "department": "quality"}), 422)
    assert no_note["errors"][0]["field"] == "note"
    unknown = problem(post(client, url, {"version": 1, "department": "mars", "note": "x"}), 422)
    assert unknown["errors"][0]["field"] == "department"
    moved = post(
        client,
        url,
        {"version": 1, "department": "quality", "assignee": "handler", "note": "质量问题"},
    )
    assert moved.status_code == 200
    assert moved.json()["department"]["code"] == "quality" and moved.json()["assignee"] == "handler"
    timeline = client.get(f"/api/v1/complaints/{complaint.tracking_no}/timeline").json()
    assert [e["action"] for e in timeline] == ["complaint.registered", "complaint.transferred"]
    assert problem(
        post(api(org.handler), url, {"version": 2, "department": "office", "note": "退回"}), 403
    )


def test_complainant_endpoint_reveals_and_logs(org):
    complaint = complaint_make(org.clerk)
    data = api(org.clerk).get(f"/api/v1/complaints/{complaint.tracking_no}/complainant").json()
    assert data["phone"] == "13812345678"
    problem(api(org.supervisor).get(f"/api/v1/complaints/{complaint.tracking_no}/complainant"), 403)


def test_attachment_upload_and_download(org):
    complaint = complaint_make(org.clerk)
    client = api(org.clerk)
    url = f"/api/v1/complaints/{complaint.tracking_no}/attachments"
    good = client.post(url, {"file": _named(PNG, "照片.png")})
    assert good.status_code == 201, good.content
    download = client.get(good.json()["url"])
    assert download.status_code == 200 and b"".join(download.streaming_content) == PNG
    bad = problem(client.post(url, {"file": _named(b"MZ\x00", "x.exe")}), 422)
    assert bad["errors"][0]["field"] == "file"
    problem(api(org.after_sales_handler).get(good.json()["url"]), 404)


def _named(content: bytes, name: str):
    f = io.BytesIO(content)
    f.name = name
    return f


def test_openapi_document_is_valid_and_lists_the_complaint_endpoints(client):
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    spec = response.json()
    validate(spec)
    assert spec["openapi"].startswith("3.")
    paths = spec["paths"]
    assert {"post", "get"} <= set(paths["/api/v1/complaints"])
    assert {"get", "patch"} <= set(paths["/api/v1/complaints/{tracking_no}"])
    assert "post" in paths["/api/v1/complaints/{tracking_no}/assignment"]
    assert client.get("/api/docs").status_code == 200


def test_list_query_count_does_not_grow_with_rows(org, django_assert_max_num_queries):
    for _ in range(30):
        complaint_make(org.clerk)
    client = api(org.leader)
    client.get("/api/v1/complaints")  # warm the token's last-used stamp
    with django_assert_max_num_queries(6):
        response = client.get("/api/v1/complaints", {"page_size": 25})
    assert len(response.json()["results"]) == 25
