"""Defects of the dashboard and its list found in review: a figure whose category,
department, stage or channel is no longer current still lists what it counts; a stage
is labelled by the revision that has it, never by its key; a named period shows as its
range so Show asks for the same days again; the list's click-through filters refuse what
they cannot read, naming the field."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from tousu.accounts.models import Department, User
from tousu.complaints import services
from tousu.complaints.checks import ComplainantData
from tousu.complaints.choices import Channel
from tousu.complaints.models import Category, Complaint
from tousu.plans.models import PlanRevision
from tousu.plans.services import organisation_plan_adopt, plan_load, template_source
from tousu.reports.dashboard.stats import dashboard_figures, dashboard_filter_parse

pytestmark = pytest.mark.django_db


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


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _list(client: Client, url: str) -> tuple[int, str]:
    response = client.get(url)
    assert response.status_code == 200, url
    html = response.content.decode()
    found = re.search(r'id="result-count" data-count="(\d+)"', html)
    assert found, (url, re.findall(r'<div class="alert[^>]*>.*?</div>', html, re.S))
    return int(found[1]), html


def _options(html: str, name: str) -> list[str]:
    select = re.search(rf'<select name="{name}".*?</select>', html, re.S)
    assert select, name
    return re.findall(r'<option value="([^"]*)"', select[0])


def _row(rows: list[dict], key: str) -> dict:
    return next(row for row in rows if row["key"] == key)


def test_a_category_or_department_no_longer_current_still_lists_what_its_figure_counts(org):
    for phone in ("13800138101", "13800138102"):
        _register(org.clerk, phone=phone, category="price", department=org.after_sales.code)
    _register(org.clerk, phone="13800138103", category="quality")
    Category.objects.filter(key="price").update(is_active=False)
    Department.objects.filter(pk=org.after_sales.pk).update(is_active=False)

    figures = dashboard_figures(user=org.leader, dash=dashboard_filter_parse(period="month"))
    client = _client(org.leader)
    price = _row(figures["by_category"], "price")
    assert price["count"] == 2
    count, html = _list(client, price["url"])
    assert count == 2
    # The switched-off category is offered only while it is selected.
    assert "price" in _options(html, "category")
    assert re.search(r'<option value="price" selected>价格欺诈</option>', html)
    _count, plain = _list(client, "/complaints/")
    assert "price" not in _options(plain, "category")
    assert org.after_sales.code not in _options(plain, "department")

    department = _row(figures["by_department"], org.after_sales.code)
    assert department["count"] == 2
    assert _list(client, department["url"])[0] == 2
    # The dashboard keeps the closed department selectable while it is selected.
    page = client.get("/reports/dashboard/", {"department": org.after_sales.code})
    assert page.status_code == 200
    assert f'value="{org.after_sales.code}" selected' in page.content.decode()

    # A key that names nothing is still refused beside the field, not an empty list.
    for name in ("category", "department", "stage", "channel"):
        response = client.get("/complaints/", {name: "no-such-key"})
        assert 'id="result-count"' not in response.content.decode(), name
        api = client.get("/api/v1/complaints", {name: "no-such-key"})
        assert api.status_code == 422, name
        assert name in {e["field"] for e in api.json()["errors"]}, name


def test_stage_and_channel_of_another_plan_are_labelled_and_listed(org):
    """The organisation runs the market plan; a complaint still held under the school
    plan sits in a stage and came by a channel the market plan does not have."""
    school = plan_load(source=template_source("school"))
    plan_load(source=template_source("market"))
    organisation_plan_adopt(key="market")
    moved = _register(org.clerk, phone="13800138111")
    ghost = _register(org.clerk, phone="13800138112")
    Complaint.objects.filter(pk=moved.pk).update(plan_revision=school, stage="coordination")
    Complaint.objects.filter(pk=ghost.pk).update(stage="no_such_stage")
    market_channels = PlanRevision.objects.get(plan__key="market").plan_model.channels
    # A channel the market plan does not take (the list offers only the plan's).
    other_channel = next(key for key in Channel.values if key not in market_channels)
    Complaint.objects.filter(pk=moved.pk).update(channel=other_channel)

    figures = dashboard_figures(user=org.leader, dash=dashboard_filter_parse(period="month"))
    labels = {row["key"]: row["label"] for row in figures["by_stage"]}
    assert labels["coordination"] == "协调处理"  # the school plan's own label
    assert labels["no_such_stage"] not in ("no_such_stage", "")
    for row in figures["by_stage"]:
        assert row["label"] != row["key"], row
    client = _client(org.leader)
    count, html = _list(client, _row(figures["by_stage"], "coordination")["url"])
    assert count == 1
    assert re.search(r'<option value="coordination" selected>协调处理</option>', html)
    assert "coordination" not in _options(_list(client, "/complaints/")[1], "stage")
    assert client.get("/api/v1/complaints", {"stage": "coordination"}).json()["count"] == 1

    channel = _row(figures["by_channel"], other_channel)
    assert channel["count"] == 1
    count, html = _list(client, channel["url"])
    assert count == 1
    assert other_channel not in _options(_list(client, "/complaints/")[1], "channel")


def test_a_named_period_shows_as_its_range_and_show_asks_for_it_again(org):
    _register(org.clerk, phone="13800138121")
    last_month = (timezone.localdate().replace(day=1) - timedelta(days=1)).strftime("%Y-%m")
    client = _client(org.leader)
    page = client.get("/reports/dashboard/", {"period": last_month})
    assert page.status_code == 200
    html = page.content.decode()
    start = re.search(r'name="start" id="id_start" value="([^"]*)"', html)[1]
    end = re.search(r'name="end" id="id_end" value="([^"]*)"', html)[1]
    assert start == f"{last_month}-01" and end.startswith(last_month)
    assert re.search(r'<option value="custom" selected>', html)
    # Pressing Show sends the form as it stands: the same days, not a 400.
    again = client.get("/reports/dashboard/", {"period": "custom", "start": start, "end": end})
    assert again.status_code == 200
    figures = again.context["figures"]["period"]
    assert (figures["start"], figures["end"]) == (start, end)


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"plan": "nope"}, "plan"),
        ({"incident": "XYZ"}, "incident"),
        ({"open": "abc"}, "open"),
        ({"due_soon": "abc"}, "due_soon"),
        ({"repeat": "abc"}, "repeat"),
        ({"open": "true"}, "open"),
    ],
)
def test_click_through_filters_refuse_what_they_cannot_read(org, params, field):
    _register(org.clerk, phone="13800138131")
    client = _client(org.leader)
    response = client.get("/complaints/", params)
    html = response.content.decode()
    assert 'id="result-count"' not in html  # no list that silently ignores it
    assert "alert-warning" in html
    api = client.get("/api/v1/complaints", params)
    assert api.status_code == 422, api.content
    assert field in {e["field"] for e in api.json()["errors"]}, api.json()


def test_click_through_flags_read_one_as_set(org):
    _register(org.clerk, phone="13800138141")
    closed = _register(org.clerk, phone="13800138142")
    Complaint.objects.filter(pk=closed.pk).update(status="closed")
    client = _client(org.leader)
    count, html = _list(client, "/complaints/?open=1")
    assert count == 1
    chips = re.search(r'id="filter-chips".*?</div>', html, re.S)[0]
    assert "True" not in chips
    assert _list(client, "/complaints/?open=")[0] == 2
    assert client.get("/api/v1/complaints", {"open": "1"}).json()["count"] == 1
    assert client.get("/api/v1/complaints", {"open": ""}).json()["count"] == 2
    plan_load(source=template_source("market"))
    assert _list(client, "/complaints/?plan=market")[0] == 0  # a plan that exists
