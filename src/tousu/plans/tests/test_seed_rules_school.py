"""The school plan's 家长投诉处理规定 rules on reception conduct (接待咨询方面): the apology
call that must be made at once, with its time limit chased by the worker, and the fines for
the person at fault and the management responsibility of their direct superior.

Demo people (school.demo.yaml): reception/investigator/handler/head = 东湖校区 (head is the
campus supervisor, the receptionist's direct superior), clerk/office_head = 行政部,
supervisor = 绩效考核专员.
"""

import pytest

from tousu.assessment.models import PenaltyEntry
from tousu.notifications.models import Notification
from tousu.plans.tests.scenario import (
    act,
    at,
    clients,
    events,
    fields,
    keys,
    registrar,
    row,
    step,
    worker,
)

pytestmark = [pytest.mark.django_db, pytest.mark.clock(utc=False)]

register = registrar(
    {
        "channel": "phone",
        "title": "前台接待态度恶劣，当众呵斥孩子",
        "description": "家长来校区咨询续费，前台人员态度恶劣并当众呵斥孩子，引起现场围观。",
        "category": "campus_reception",
        "nature": "problem",
        "complainant": {"name": "陈女士", "phone": "13807151111"},
    }
)


@pytest.fixture
def s(db):
    return clients("school")


def told(no: str, kind: str, moment: str) -> set[str]:
    rows = Notification.objects.filter(
        channel="in_app", key__startswith=f"deadline:{row(no, kind).pk}:{moment}:"
    )
    return set(rows.values_list("recipient__username", flat=True))


def ledger(no: str) -> list[tuple]:
    return [
        (e.rule, e.person.username, int(e.amount), e.performance)
        for e in PenaltyEntry.objects.filter(complaint__tracking_no=no).order_by("pk")
    ]


def test_the_apology_call_is_due_within_a_day_and_chased_when_missed(s, clock):
    clock("2026-11-02T09:00:00+08:00")
    no = register(s["reception"], received_at="2026-11-02T09:00:00+08:00")
    apology = row(no, "apology_call")
    # 第一时间: 24 hours from the complaint (a working assumption), warned at half-time.
    assert (apology.due_at, apology.warn_at) == (
        at("2026-11-03T09:00:00+08:00"),
        at("2026-11-02T21:00:00+08:00"),
    )
    worker("2026-11-02T20:59:00+08:00")
    assert told(no, "apology_call", "warning") == set()
    worker("2026-11-02T21:00:01+08:00")
    # Nobody holds the case yet: the plan's warning goes to the first contact.
    assert told(no, "apology_call", "warning") == {"reception", "head"}
    worker("2026-11-03T09:00:01+08:00")
    assert told(no, "apology_call", "breach") == {"supervisor", "office_head"}
    # Late, but still owed: the call is recorded on whichever step the case is at.
    step(s["investigator"], no, "slip_findings", "slip", findings="前台承认语气过重")
    assert "apology_call" in keys(s["reception"], no)
    step(s["reception"], no, "apology_call", "slip", report="11月3日10时电话致歉，家长接受")
    assert row(no, "apology_call").closed_reason == "apology_call"


def test_a_conduct_fault_fines_the_person_and_holds_their_superior_responsible(s, clock):
    clock("2026-11-02T09:00:00+08:00")
    no = register(s["reception"], received_at="2026-11-02T09:00:00+08:00")
    step(s["reception"], no, "apology_call", "intake", report="当日电话致歉")
    assert row(no, "apology_call").closed_reason == "apology_call"
    step(s["investigator"], no, "slip_findings", "slip", findings="监控显示前台呵斥学生")
    slip = {"department": "campus_donghu", "slip": "接待不当，请校区协调处理"}
    step(s["reception"], no, "transfer", "coordination", **slip)
    head = s["head"]
    assert {"conduct_fault", "conduct_fault_personal"} <= set(keys(head, no))
    assert "conduct_fault" not in keys(s["handler"], no)  # the campus supervisor decides
    # ② 当事人罚款100–200元: a fine outside the range, or no person, is refused.
    fault = {"complained_person": "reception", "report": "因个人原因服务不当"}
    assert fields(act(head, no, "conduct_fault_personal", **fault, fine="250")) == ["fine"]
    assert fields(act(head, no, "conduct_fault_personal", fine="150", report="x")) == [
        "complained_person"
    ]
    unknown = {**fault, "complained_person": "nobody", "fine": "150"}
    assert fields(act(head, no, "conduct_fault_personal", **unknown)) == ["complained_person"]
    assert ledger(no) == []  # nothing half-written
    step(head, no, "conduct_fault_personal", "coordination", **fault, fine="150")
    assert ledger(no) == [
        ("conduct_personal", "reception", 150, ""),
        # Her direct superior is the head of her campus — the supervisor who recorded it.
        ("conduct_personal_superior", "head", 0, "management_zero"),
    ]
    # Recording it again names the same person: no second entry.
    step(head, no, "conduct_fault_personal", "coordination", **fault, fine="200")
    assert len(ledger(no)) == 2
    recorded = [e for e in events(head, no) if e["action"] == "conduct_fault_personal"]
    assert recorded[0]["complained_person"] == "何佳" and recorded[0]["fine"] == "150.00"
    # The ledger page shows labels, never the internal keys.
    page = _ledger_page(s, "2026-11")
    assert "管理绩效为零" in page and "management_zero" not in page


def _ledger_page(s, period: str) -> str:
    from django.test import Client

    from tousu.accounts.models import User

    client = Client()
    client.force_login(User.objects.get(username="supervisor"))
    response = client.get(f"/supervision/penalties/?period={period}")
    assert response.status_code == 200
    return response.content.decode()


def test_a_repeat_complaint_costs_the_head_of_the_department_that_handled_it_200(s, clock):
    clock("2026-11-02T09:00:00+08:00")
    no = register(s["reception"], category="campus_facilities", nature="suggestion")
    step(s["reception"], no, "answer_directly", "feedback", reply="饮水机已当场更换滤芯。")
    step(s["reception"], no, "satisfaction", "closed", satisfaction="satisfied")
    assert ledger(no) == []
    # 三、1③ (line 447): 投诉处理后再次触犯 — the same parent, the same kind of problem.
    clock("2026-11-20T09:00:00+08:00")
    again = register(s["reception"], category="campus_facilities", nature="problem")
    entries = PenaltyEntry.objects.filter(rule="repeat")
    assert [(e.person.username, int(e.amount), e.period) for e in entries] == [
        ("head", 200, "2026-11")
    ]
    # Another kind of problem from the same parent is no repeat.
    register(s["reception"], category="campus_safety", nature="suggestion")
    assert PenaltyEntry.objects.filter(rule="repeat").count() == 1
    assert again != no
