"""Registration's cost is pinned: the speed issue brought it down, nothing may add to it
unnoticed (a plan's workflow start, deadline rows, digests, messages and audit included).
Configuration (plan, categories, departments, calendar, permissions) comes from the
process's caches, which a change made anywhere — ``.update()`` included — drops."""

from __future__ import annotations

import json

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils.dateparse import parse_datetime

from tousu.accounts.models import Department
from tousu.accounts.services import token_create
from tousu.audit.models import AuditEvent
from tousu.audit.services import audit_verify
from tousu.complaints.models import Complaint
from tousu.complaints.schemas import ComplaintOut
from tousu.deadlines.models import Deadline
from tousu.demo.loader import demo_organisation_create
from tousu.plans.models import Category

pytestmark = pytest.mark.django_db

BODY = {
    "channel": "phone",
    "title": "电热水壶使用一周漏水",
    "description": "使用一周后底座漏水，商家拒绝调换。",
    "category": "quality",
    "complainant": {"name": "张伟", "phone": "13912345678", "email": "zw@example.cn"},
}


def _client(users) -> Client:
    return Client(headers={"Authorization": f"Bearer {token_create(user=users['clerk'])}"})


def _post(client: Client, body: dict | None = None):
    return client.post(
        "/api/v1/complaints", json.dumps(body or BODY), content_type="application/json"
    )


def test_registering_under_the_market_plan_takes_a_fixed_number_of_queries(db):
    users = demo_organisation_create("market")
    client = _client(users)
    first = _post(client)
    assert first.status_code == 201
    with CaptureQueriesContext(connection) as queries:
        response = _post(client)
    assert response.status_code == 201
    # The answer still shows the deadlines registration opened, read from nowhere.
    assert [d["key"] for d in response.json()["deadlines"]] == [
        d["key"] for d in first.json()["deadlines"]
    ]
    assert response.json()["deadlines"], "the market plan opens deadlines on intake"
    # A repeat caller (same phone and category) is looked up, not assessed: still fixed.
    assert len(queries) == PINNED[connection.vendor], "\n".join(q["sql"][:120] for q in queries)


# 50 before the speed issue (13). On SQLite: the token (with the configuration token in
# the same statement), savepoint, tracking number, complainant, its keys, complaint, its
# search document, deadlines, repeat look-up, outbox, audit chain, its events, release.
# On PostgreSQL the tracking number comes first, in its own transaction, and the new rows
# go in two statements (complainant, keys, complaint, search document and deadlines;
# audit chain and events: ``objects_insert_linked``).
PINNED = {"sqlite": 13, "postgresql": 8}


# Beyond the market plan's: assurance looks up nothing more; government's mass detection
# reads candidates, writes the signature and bands (with its matter, or on PostgreSQL
# locking the matter joined in the same statement; on PostgreSQL the registration's first
# statement locks its buckets) and counts the matter's members.
@pytest.mark.parametrize(
    ("plan", "pinned"),
    [
        ("assurance", PINNED),
        ("government", {"sqlite": 17, "postgresql": 11}),
    ],
)
def test_other_plans_register_in_a_fixed_number_of_queries(db, plan, pinned):
    users = demo_organisation_create(plan)
    key = (
        Category.objects.filter(is_active=True, parent=None)
        .order_by("key")
        .values_list("key", flat=True)[0]
    )
    body = {**BODY, "category": key}
    client = _client(users)
    assert _post(client, body).status_code == 201
    with CaptureQueriesContext(connection) as queries:
        response = _post(client, body)
    assert response.status_code == 201, response.content
    assert len(queries) == pinned[connection.vendor], "\n".join(q["sql"][:120] for q in queries)


def test_a_category_deactivated_by_update_is_refused_at_the_next_registration(db):
    users = demo_organisation_create("market")
    client = _client(users)
    assert _post(client).status_code == 201  # the caches are warm now
    Category.objects.filter(key="quality").update(is_active=False)
    response = _post(client)
    assert response.status_code == 422
    assert "category" in json.dumps(response.json())


def test_a_department_closed_by_raw_sql_is_refused_at_the_next_registration(db):
    """Raw SQL, as another process or an operator would send it: the trigger sees it."""
    users = demo_organisation_create("market")
    client = _client(users)
    code = (
        Department.objects.filter(is_active=True).order_by("pk").values_list("code", flat=True)[0]
    )
    assert _post(client, {**BODY, "department": code}).status_code == 201
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE accounts_department SET is_active = %s WHERE code = %s", [False, code]
        )
    response = _post(client, {**BODY, "department": code})
    assert response.status_code == 422
    assert "department" in json.dumps(response.json())


def test_a_permission_taken_away_is_seen_at_the_next_registration(db):
    users = demo_organisation_create("market")
    client = _client(users)
    assert _post(client).status_code == 201
    clerk = users["clerk"]
    clerk.groups.clear()
    clerk.user_permissions.clear()
    assert _post(client).status_code == 403


def test_registrations_keep_the_audit_log_valid(db):
    users = demo_organisation_create("market")
    client = _client(users)
    numbers = [_post(client).json()["tracking_no"] for _ in range(3)]
    report = audit_verify()
    assert report.ok, report
    complaint = Complaint.objects.get(tracking_no=numbers[-1])
    events = AuditEvent.objects.filter(complaint_id=complaint.pk).order_by("chain_seq")
    # One event for the registration: it lists the deadlines it opened, with their times.
    assert [(e.action, e.chain_seq) for e in events] == [("complaint.registered", 1)]
    listed = events[0].data["deadlines"]
    rows = Deadline.objects.filter(complaint=complaint).order_by("pk")
    assert rows.exists()
    assert [d["deadline"] for d in listed] == [row.pk for row in rows]
    for entry, row in zip(listed, rows, strict=True):
        assert (entry["stage"], entry["kind"], entry["unit"]) == (row.stage, row.kind, row.unit)
        for name in ("due_at", "anchor_at", "warn_at"):  # JSON keeps milliseconds
            kept = getattr(row, name)
            kept = kept.replace(microsecond=kept.microsecond // 1000 * 1000)
            assert parse_datetime(entry[name]) == kept, name
    assert not AuditEvent.objects.filter(action="deadline.opened").exists()


def test_the_registration_answer_is_the_schema_s_answer(db):
    """The 201 body is rendered from what registration wrote, without ninja's validation
    of it: it must be exactly what the schema makes of the same complaint read back
    (``GET``, which goes through it), every field of the schema and no other."""
    users = demo_organisation_create("market")
    client = _client(users)
    full = {
        **BODY,
        "severity": "major",
        "occurred_at": "2026-03-01T09:30:00+08:00",
        "occurred_place": "A区12号",
        "merchant": "好运家电",
        "product": "电热水壶",
        "amount_involved": "129.50",
        "people_injured": 1,
        "media_involved": True,
    }
    created = _post(client, full)
    assert created.status_code == 201, created.content
    answer = created.json()
    assert set(answer) == set(ComplaintOut.model_fields)
    assert answer["deadlines"] and answer["amount_involved"] == "129.50"
    read = client.get(f"/api/v1/complaints/{answer['tracking_no']}")
    assert read.status_code == 200
    assert answer == read.json()
    assert created["Content-Type"] == read["Content-Type"] == "application/json; charset=utf-8"
