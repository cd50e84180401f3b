"""The dashboard: every figure equals a plain count of the complaints it stands for, and
its link opens a list that shows the same count; the JSON goes through the gate; bad
filters are refused by field; a drill changes nothing."""

from __future__ import annotations

import re
from collections import Counter
from datetime import timedelta

import pytest
from django.db.models import Q
from django.test import Client
from django.utils import timezone
from django.utils.html import escape

from tousu.accounts.models import User
from tousu.complaints import services
from tousu.complaints.checks import ComplainantData
from tousu.complaints.models import Complaint
from tousu.deadlines.models import Deadline
from tousu.deadlines.services import deadline_open
from tousu.demo.loader import demo_load
from tousu.reports.dashboard.stats import dashboard_figures, dashboard_filter_parse

pytestmark = pytest.mark.django_db
CLOSED = ("closed", "archived")


def _register(clerk: User, *, phone: str, **fields) -> Complaint:
    defaults = {
        "channel": "phone",
        "title": "电梯故障",
        "description": "商场三楼电梯停运，无人处理。",
        "category": "quality",
    }
    defaults.update(fields)
    return services.complaint_register(
        actor=clerk, complainant=ComplainantData(name="张伟", phone=phone), **defaults
    )


@pytest.fixture
def demo(db):
    """The market demo, plus a repeat caller and complaints about one place and merchant."""
    demo_load(plan="market", complaints=30, seed=5)
    clerk = User.objects.get(username="clerk")
    category = Complaint.objects.values_list("category__key", flat=True).first()
    for _ in range(2):
        _register(
            clerk,
            phone="13800138000",
            category=category,
            occurred_place="三楼东区",
            merchant="好运来超市",
        )
    _register(clerk, phone="13900139000", category=category, occurred_place="一楼大厅")
    return {u.username: u for u in User.objects.all()}


def _count_on_list(client: Client, url: str) -> int:
    response = client.get(url)
    assert response.status_code == 200, url
    found = re.search(r'id="result-count" data-count="(\d+)"', response.content.decode())
    assert found, url
    return int(found[1])


def _root(category) -> str:
    while category.parent_id is not None:
        category = category.parent
    return category.key


def test_every_figure_is_a_plain_count_and_its_list_shows_it(demo):
    leader = demo["leader"]
    dash = dashboard_filter_parse(period="year")
    figures = dashboard_figures(user=leader, dash=dash)
    start, end = dash.period.bounds()
    now = timezone.now()
    # The leadership sees every complaint: the plain counts need no gate.
    rows = Complaint.objects.filter(received_at__gte=start, received_at__lt=end)
    assert rows.count() > 30
    assert figures["received"]["count"] == rows.count()
    assert sum(p["count"] for p in figures["trend"]) == rows.count()
    # Open work is now: every open complaint, whenever received.
    opened = Complaint.objects.exclude(status__in=CLOSED)
    assert figures["open"]["count"] == opened.count()
    assert {r["key"]: r["count"] for r in figures["by_stage"]} == dict(
        Counter(opened.values_list("stage", flat=True))
    )
    running = Q(closed_at__isnull=True, paused_at__isnull=True)
    overdue_ids = set(
        Deadline.objects.filter(running, due_at__lte=now, complaint__in=opened).values_list(
            "complaint_id", flat=True
        )
    )
    warned_ids = set(
        Deadline.objects.filter(
            running, warn_at__lte=now, due_at__gt=now, complaint__in=opened
        ).values_list("complaint_id", flat=True)
    )
    assert figures["overdue"]["count"] == len(overdue_ids)
    assert figures["due_soon"]["count"] == len(warned_ids - overdue_ids)
    missed, kept = set(), set()
    for d in Deadline.objects.filter(complaint__in=rows):
        late = d.breached_at is not None or (d.closed_at and d.closed_at > d.due_at)
        if late or (d.closed_at is None and d.paused_at is None and d.due_at <= now):
            missed.add(d.complaint_id)
        elif d.closed_at is not None:
            kept.add(d.complaint_id)
    assert figures["deadlines_missed"]["count"] == len(missed)
    assert figures["deadlines_met"]["count"] == len(kept - missed)
    rated = Counter(rows.exclude(satisfaction="").values_list("satisfaction", flat=True))
    assert figures["rated"]["count"] == sum(rated.values())
    assert {r["key"]: r["count"] for r in figures["by_satisfaction"]} == dict(rated)
    by_root = Counter(_root(c.category) for c in rows.select_related("category__parent"))
    assert {r["key"]: r["count"] for r in figures["by_category"]} == dict(by_root)
    assert {r["key"]: r["count"] for r in figures["by_channel"]} == dict(
        Counter(rows.values_list("channel", flat=True))
    )
    assert {r["key"]: r["count"] for r in figures["by_department"]} == dict(
        Counter(rows.values_list("department__code", flat=True))
    )
    assert {r["key"]: r["count"] for r in figures["by_place"]} == {"三楼东区": 2, "一楼大厅": 1}
    merchants = Counter(m for m in rows.values_list("merchant", flat=True) if m)
    top = figures["top_merchants"][0]
    assert top["count"] == max(merchants.values()) == merchants[top["key"]]
    callers = Counter(d for d in rows.values_list("complainant__phone_digest", flat=True) if d)
    repeats = {d: n for d, n in callers.items() if n > 1}
    assert figures["repeat"]["complainants"] == len(repeats) >= 1
    assert figures["repeat"]["count"] == sum(repeats.values())
    # Labels come from the plan and catalogues, never keys.
    for row in figures["by_stage"] + figures["by_channel"] + figures["by_category"]:
        assert row["label"] != row["key"], row

    client = Client()
    client.force_login(leader)
    followed = [
        figures["received"],
        figures["open"],
        figures["overdue"],
        figures["due_soon"],
        figures["deadlines_met"],
        figures["deadlines_missed"],
        figures["rated"],
        figures["repeat"],
        figures["by_stage"][0],
        figures["by_category"][0],
        figures["by_channel"][0],
        figures["by_department"][0],
        figures["by_place"][0],
        figures["top_merchants"][0],
        figures["trend"][-1],
    ]
    for figure in followed:
        assert _count_on_list(client, figure["url"]) == figure["count"], figure
    # The list says where the filters came from, and a chip takes one off.
    page = client.get(figures["repeat"]["url"]).content.decode()
    assert 'id="filter-chips"' in page and "138" not in page.split('id="results"')[0]


def test_page_and_json_gate_and_query_counts(demo, django_assert_max_num_queries):
    _json_through_the_gate(demo)
    _query_counts(demo, django_assert_max_num_queries)
    client = Client()
    client.force_login(demo["leader"])
    response = client.get("/reports/dashboard/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "vendor/echarts/echarts.min.js" in html and "reports/dashboard.js" in html
    assert 'id="dash-data"' in html and "<script>" not in html
    figures = dashboard_figures(user=demo["leader"], dash=dashboard_filter_parse())
    assert f'href="{figures["open"]["url"].replace("&", "&amp;")}"' in html
    assert "本月" in html or "This month" in html
    # Beside 我的待办, not instead of it: home is still the work list.
    assert client.get("/").url == "/work/"


def _json_through_the_gate(demo):
    client = Client()
    client.force_login(demo["leader"])
    body = client.get("/api/v1/stats/", {"period": "year"}).json()
    assert (
        body["received"]["count"]
        == Complaint.objects.filter(
            received_at__gte=dashboard_filter_parse(period="year").period.bounds()[0]
        ).count()
    )
    handler = demo["handler"]
    client.force_login(handler)
    mine = client.get("/api/v1/stats/", {"period": "year"}).json()
    start, end = dashboard_filter_parse(period="year").period.bounds()
    visible = Complaint.objects.visible_to(handler).filter(
        received_at__gte=start, received_at__lt=end
    )
    assert mine["received"]["count"] == visible.count() < body["received"]["count"]
    assert sum(r["count"] for r in mine["by_department"]) == visible.count()
    # An anonymous caller gets nothing.
    assert Client().get("/api/v1/stats/").status_code == 401


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"period": "2026-13"}, "period"),
        ({"period": "next-week"}, "period"),
        ({"period": "2099-01"}, "period"),
        ({"period": "custom", "start": "2026-01-01"}, "end"),
        ({"period": "custom", "start": "2026-02-30", "end": "2026-03-01"}, "period"),
        ({"department": "no-such-department"}, "department"),
        ({"plan": "no-such-plan"}, "plan"),
        # Before the earliest date a complaint can have: refused, not a 500.
        ({"period": "0001"}, "period"),
        ({"period": "0001-01"}, "period"),
        ({"period": "custom", "start": "0001-01-01", "end": "0001-01-02"}, "period"),
    ],
)
def test_bad_filters_are_refused_naming_the_field(org, params, field):
    client = Client()
    client.force_login(org.leader)
    response = client.get("/api/v1/stats/", params)
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert field in {e["field"] for e in response.json()["errors"]}
    message = next(e["message"] for e in response.json()["errors"] if e["field"] == field)
    page = client.get("/reports/dashboard/", params)
    assert page.status_code == 400
    assert "is-invalid" in page.content.decode()
    assert escape(message) in page.content.decode()


def test_a_custom_range_is_read_as_given(org):
    today = timezone.localdate()
    dash = dashboard_filter_parse(
        period="custom", start=(today - timedelta(days=3)).isoformat(), end=today.isoformat()
    )
    assert dash.preset == "custom" and dash.period.days == 4


def _query_counts(demo, django_assert_max_num_queries):
    client = Client()
    client.force_login(demo["leader"])
    client.get("/api/v1/stats/")  # warm the per-process plan cache
    with django_assert_max_num_queries(32):
        assert client.get("/api/v1/stats/", {"period": "year"}).status_code == 200
    with django_assert_max_num_queries(40):
        assert client.get("/reports/dashboard/", {"period": "year"}).status_code == 200


def test_open_work_is_now_not_received_in_the_period(org):
    """A complaint received last month that is open and overdue today is on this
    month's dashboard as open and overdue (and its links carry no received dates), but
    not among the complaints received this month."""
    today = timezone.localdate()
    old = _register(org.clerk, phone="13800138001")
    fresh = _register(org.clerk, phone="13800138002")
    done = _register(org.clerk, phone="13800138003")
    Complaint.objects.filter(pk=old.pk).update(received_at=timezone.now() - timedelta(days=70))
    Complaint.objects.filter(pk=done.pk).update(status="closed")
    deadline_open(
        complaint=old,
        stage="investigation",
        kind="stage",
        anchor_at=timezone.now() - timedelta(days=70),
        amount=5,
        unit="working_days",
    )

    figures = dashboard_figures(user=org.leader, dash=dashboard_filter_parse(period="month"))
    assert figures["received"]["count"] == 2  # fresh and done, received this month
    assert figures["open"]["count"] == 2  # old and fresh, open now
    assert figures["overdue"]["count"] == 1
    assert sum(row["count"] for row in figures["by_stage"]) == 2
    for figure in (figures["open"], figures["overdue"], *figures["by_stage"]):
        assert "received_" not in figure["url"], figure["url"]
    assert f"received_from={today.replace(day=1).isoformat()}" in figures["received"]["url"]
    client = Client()
    client.force_login(org.leader)
    assert _count_on_list(client, figures["overdue"]["url"]) == 1
    assert _count_on_list(client, figures["open"]["url"]) == 2
    page = client.get("/reports/dashboard/").content.decode()
    assert "当前" in page or " now" in page
    # A department filter narrows open work too.
    narrowed = dashboard_figures(
        user=org.leader,
        dash=dashboard_filter_parse(period="month", department=org.after_sales.code),
    )
    assert (
        narrowed["open"]["count"]
        == Complaint.objects.filter(
            department=org.after_sales, status__in=("registered", "assigned")
        ).count()
    )
    assert fresh.pk  # registered through the services


def test_the_api_list_filters_as_the_list_does(org):
    for merchant, phone in (("好运来超市", "13800138010"), ("好运来超市", "13800138010")):
        _register(org.clerk, phone=phone, merchant=merchant)
    _register(org.clerk, phone="13800138011", merchant="别家")
    closed = _register(org.clerk, phone="13800138012", merchant="好运来超市")
    Complaint.objects.filter(pk=closed.pk).update(status="closed", satisfaction="satisfied")
    client = Client()
    client.force_login(org.leader)
    params = {"merchant": "好运来超市", "open": "1"}
    api = client.get("/api/v1/complaints", params).json()
    assert api["count"] == 2 == _count_on_list(client, "/complaints/?merchant=好运来超市&open=1")
    assert client.get("/api/v1/complaints", {"repeat": "1"}).json()["count"] == 2
    rated = client.get("/api/v1/complaints", {"satisfaction": "rated"}).json()
    assert [r["tracking_no"] for r in rated["results"]] == [closed.tracking_no]
    # A value the list would not take is refused naming the field.
    for bad in ({"deadlines": "sometimes"}, {"satisfaction": "happy"}, {"merchant": "x" * 201}):
        response = client.get("/api/v1/complaints", bad)
        assert response.status_code == 422, bad
        assert next(iter(bad)) in str(response.json()), response.json()


def test_satisfaction_is_labelled_by_the_plan_where_it_labels_it(org, monkeypatch):
    from types import SimpleNamespace

    from tousu.reports.dashboard import stats

    rated = _register(org.clerk, phone="13800138020")
    other = _register(org.clerk, phone="13800138021")
    Complaint.objects.filter(pk=rated.pk).update(satisfaction="basically_satisfied")
    Complaint.objects.filter(pk=other.pk).update(satisfaction="dissatisfied")
    dash = dashboard_filter_parse(period="month")
    figures = dashboard_figures(user=org.leader, dash=dash)
    labels = {row["key"]: row["label"] for row in figures["by_satisfaction"]}
    assert labels["dissatisfied"] in ("不满意", "Dissatisfied")
    assert figures["satisfaction_rate"] == 50.0

    policy = SimpleNamespace(
        scale=["dissatisfied", "basically_satisfied", "satisfied"],
        labels={"basically_satisfied": "还行"},
    )
    monkeypatch.setattr(
        stats, "plan_revisions", lambda user: [(1, SimpleNamespace(satisfaction=policy))]
    )
    monkeypatch.setattr(stats, "_stage_labels", lambda user, revision_ids: {})
    rows = dashboard_figures(user=org.leader, dash=dash)["by_satisfaction"]
    assert [(r["key"], r["label"]) for r in rows] == [
        ("dissatisfied", labels["dissatisfied"]),
        ("basically_satisfied", "还行"),
    ]
