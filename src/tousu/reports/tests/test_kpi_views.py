"""The KPI page (/reports/kpi/) and ``tousu kpi``: what people see, and bad input."""

import io
import json
from datetime import date

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from tousu.accounts.models import User
from tousu.plans.tests.scenario import clients, fake_clock, registrar, step
from tousu.reports.kpi.scores import kpi_table
from tousu.reports.periods import period_parse

pytestmark = pytest.mark.django_db

register = registrar(
    {
        "channel": "phone",
        "title": "空调APP升级后无法远程控制",
        "description": "手机APP自动升级后，家中两台空调一直显示离线。",
        "category": "product_function",
        "complainant": {"name": "孙女士", "phone": "13607100009"},
    }
)


@pytest.fixture
def a(monkeypatch):
    people = clients("assurance")
    clock = fake_clock(monkeypatch)
    clock("2026-10-12T09:10:00+08:00")
    no = register(people["clerk"], received_at="2026-10-12T09:00:00+08:00")
    step(people["head"], no, "assign", "intake", assignee="handler")
    step(people["handler"], no, "first_response", "confirmation", reply="您好，已收到。")
    clock("2026-12-01T09:00:00+08:00")
    return people


def page(username: str, **query) -> tuple[int, str]:
    client = Client()
    client.force_login(User.objects.get(username=username))
    response = client.get("/reports/kpi/", query)
    return response.status_code, response.content.decode()


def test_leadership_sees_departments_and_people_with_scores(a):
    status, html = page("leader", period="2026-10", plan="assurance")
    assert status == 200
    assert 'id="kpi-departments"' in html and 'id="kpi-people"' in html
    assert "客服部" in html and "刘洋" in html
    # Indicator labels from the plan, never its keys.
    assert "1小时回复及时率" in html and "handling_time" not in html
    # Nothing closed, nothing rated: those rates are shown as a dash.
    assert "—" in html
    assert "客诉应急保障预案" in html


def test_a_period_that_does_not_parse_is_named_beside_the_field(a):
    status, html = page("leader", period="2026-13")
    assert status == 200
    assert 'id="period-error"' in html and "2026-13" in html
    assert 'id="kpi-departments"' not in html


def test_a_future_period_is_refused_beside_the_field(a):
    _status, html = page("leader", period="2099-01")
    assert 'id="period-error"' in html and "2099-01" in html


def test_an_unknown_plan_is_refused_beside_its_field(a):
    _status, html = page("leader", period="2026-10", plan="nowhere")
    assert 'id="plan-error"' in html and "nowhere" in html


def test_a_period_without_complaints_says_so(a):
    _status, html = page("leader", period="2026-09")
    assert 'id="kpi-empty"' in html and 'id="kpi-departments"' not in html


def test_the_page_goes_through_the_gate(a):
    # The head of production sees none of customer service's work.
    _status, html = page("production_head", period="2026-10")
    assert 'id="kpi-empty"' in html and "刘洋" not in html
    # A handler is no assessor.
    assert page("handler", period="2026-10")[0] == 403


def test_the_number_of_queries_does_not_grow_with_the_complaints(a):
    october = period_parse("2026-10", today=date(2026, 12, 1))
    with CaptureQueriesContext(connection) as few:
        kpi_table(period=october)
    for index in range(3):
        register(
            a["clerk"],
            received_at=f"2026-10-1{index + 3}T09:00:00+08:00",
            complainant={"name": "顾客", "phone": f"1360710002{index}"},
        )
    with CaptureQueriesContext(connection) as more:
        table = kpi_table(period=october)
    assert table["departments"][0]["received"] == 4
    assert len(more) == len(few) <= 12


def test_the_command_prints_the_table_and_json(a):
    out = io.StringIO()
    call_command("kpi", "2026-10", "--plan", "assurance", stdout=out)
    text = out.getvalue()
    assert "客服部" in text and "刘洋" in text
    out = io.StringIO()
    call_command("kpi", "2026-10", "--json", stdout=out)
    data = json.loads(out.getvalue())
    assert data["plan"]["key"] == "assurance"
    row = data["departments"][0]
    assert (row["name"], row["received"], row["closed"], row["satisfaction_rate"]) == (
        "客服部",
        1,
        0,
        None,
    )
    assert set(row["points"]) == {i["key"] for i in data["standard"]["indicators"]}


def test_the_command_says_so_for_a_quiet_period(a):
    out = io.StringIO()
    call_command("kpi", "2026-09", stdout=out)
    assert out.getvalue().strip().endswith("No complaints in this period.") or "没有投诉" in (
        out.getvalue()
    )


def test_the_command_refuses_bad_input_with_exit_code_2(a):
    for arguments, words in [
        (["2026-13"], "2026-13"),
        (["next month"], "next month"),
        (["2099-01"], "2099-01"),
        (["2026-10", "--plan", "nowhere"], "nowhere"),
    ]:
        with pytest.raises(CommandError) as refused:
            call_command("kpi", *arguments, stdout=io.StringIO())
        assert refused.value.returncode == 2
        assert words in str(refused.value)
