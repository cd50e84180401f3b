"""Every answer carries a CSP that the pages meet (no inline script or style), a
Permissions-Policy and no-store; the API answers unauthenticated writes with 401, a
wrong content type with 415 and an oversized body with 413, all problem+json."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from django.test import Client

import tousu
from tousu.accounts.services import token_create

pytestmark = pytest.mark.django_db

PACKAGE = Path(tousu.__file__).parent


def test_pages_carry_the_policies_and_are_not_cached(org):
    anonymous = Client().get("/accounts/login/")
    assert "script-src 'self'" in anonymous["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in anonymous["Content-Security-Policy"]
    assert "camera=()" in anonymous["Permissions-Policy"]
    staff = Client()
    staff.force_login(org.clerk)
    page = staff.get("/complaints/")
    assert page.status_code == 200 and page["Cache-Control"] == "no-store"


def test_no_template_has_inline_script_style_or_handlers():
    offenders = []
    for path in PACKAGE.rglob("templates/**/*.html"):
        text = path.read_text(encoding="utf-8")
        inline_script = re.search(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>", text)
        if inline_script or re.search(r"\sstyle=\"|\son[a-z]+=\"", text):
            offenders.append(str(path.relative_to(PACKAGE)))
    assert offenders == []


def test_an_unauthenticated_write_is_401_problem_json(org):
    response = Client().post(
        "/api/v1/complaints", json.dumps({"title": "x"}), content_type="application/json"
    )
    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"
    assert "CSRF" not in response.content.decode()


def test_a_body_that_is_not_json_is_415_and_a_huge_one_413(org, settings):
    bearer = {"Authorization": f"Bearer {token_create(user=org.clerk)}"}
    client = Client(headers=bearer)
    text = client.post("/api/v1/complaints", '{"title": "x"}', content_type="text/plain")
    assert text.status_code == 415 and text["Content-Type"] == "application/problem+json"
    assert "application/json" in text.json()["detail"]
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    big = client.post(
        "/api/v1/complaints",
        json.dumps({"description": "x" * 2000}),
        content_type="application/json",
    )
    assert big.status_code == 413 and big["Content-Type"] == "application/problem+json"
    assert big["Cache-Control"] == "no-store"


def test_a_bad_host_is_400_problem_json_on_the_api_and_the_400_page_elsewhere(org):
    """Django refuses a malformed Host before any view runs (found by the API fuzz run:
    ``Host: [``); the API still answers with its documented problem body."""
    token = token_create(user=org.clerk)
    client = Client(headers={"Authorization": f"Bearer {token}"})
    api = client.post("/api/v1/complaints", "{}", content_type="application/json", HTTP_HOST="[")
    assert api.status_code == 400
    assert api["Content-Type"] == "application/problem+json"
    assert json.loads(api.content)["status"] == 400
    page = Client().get("/accounts/login/", HTTP_HOST="[")
    assert page.status_code == 400
    assert page["Content-Type"].startswith("text/html")
    assert "请求有误" in page.content.decode()


def test_a_path_nothing_answers_is_404_problem_json_on_the_api(org):
    token = token_create(user=org.clerk)
    client = Client(headers={"Authorization": f"Bearer {token}"})
    for path in ("/api/v1/nothing", "/api/v1/complaints/TS-1/nothing"):
        answer = client.get(path)
        assert answer.status_code == 404
        assert answer["Content-Type"] == "application/problem+json"
        assert json.loads(answer.content)["title"] == "未找到"
    page = Client().get("/nothing/")
    assert page.status_code == 404 and page["Content-Type"].startswith("text/html")
    assert "未找到" in page.content.decode()
