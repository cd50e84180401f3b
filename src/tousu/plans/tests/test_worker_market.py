"""The worker on the `market` template (市场投诉应急预案): what its deadlines do when they run
out, at the instants the plan and the working-day calendar give.

The plan's escalations: every warning goes to the assignee (or, before anyone is assigned,
the clerk who registered it) and the department head; every breach adds the leadership
group's supervision officer (督办员); missing the statutory acceptance (7 working days) or
settlement (60 days) limits also goes to the leadership group, whose lead becomes a
co-owner beside the department. The plan has no penalties and no follow-up visit.
"""

import pytest

from tousu.assessment.models import PenaltyEntry
from tousu.complaints.models import Complaint
from tousu.notifications.models import Notification
from tousu.plans.tests.scenario import at, clients, co_owners, registrar, row, step, told, worker

pytestmark = pytest.mark.django_db

register = registrar(
    {
        "channel": "walk_in",
        "title": "电热水壶使用一周漏水",
        "description": "在A区12号鑫达电器行购买电热水壶，使用一周后底座漏水，商家拒绝调换。",
        "category": "quality",
        "complainant": {"name": "张伟", "phone": "13912345678"},
    }
)

SLIP = {"department": "quality", "slip": "投诉接收单：调查结论及处理意见", "assignee": "handler"}


@pytest.fixture
def people():
    return clients("market")


def escalations(client, no) -> list[dict]:
    """The data of the worker's escalation events on the timeline, in order."""
    timeline = client.get(f"/api/v1/complaints/{no}/timeline").json()
    return [e["data"] for e in timeline if e["action"] == "complaint.escalated"]


def test_acceptance_missed_over_national_day_goes_to_the_leadership_group(people, clock):
    clerk = people["clerk"]
    clock("2026-09-30T16:05:00+08:00")
    no = register(clerk, received_at="2026-09-30T16:00:00+08:00")
    acceptance = row(no, "acceptance")
    # 7 working days from Wed Sep 30: Oct 1-7 off; Oct 8, 9, Sat 10 (调休), 12, 13, 14, 15.
    assert acceptance.due_at == at("2026-10-15T23:59:59+08:00")
    # Warned at half the wall time: Sep 30 16:00 + (15 d 07:59:59) / 2.
    assert acceptance.warn_at == at("2026-10-08T07:59:59+08:00")

    # Nobody accepted it over the holiday. A minute before the warning point: nothing.
    worker("2026-10-08T07:58:59+08:00")
    assert not Notification.objects.filter(key__startswith="deadline:").exists()
    worker("2026-10-08T08:00:59+08:00")
    # The warning goes to the clerk who registered it (no assignee yet); the office has
    # no department head. Nobody the warning rule does not name is told.
    assert told(acceptance, "warning") == {"clerk"}
    body = Notification.objects.get(key__startswith=f"deadline:{acceptance.pk}:warning:").body
    assert body.startswith("【时限预警】") and "2026-10-15 23:59" in body
    assert escalations(clerk, no)[-1]["at"] == "warning"
    assert co_owners(no) == set()

    # At the due instant it is not yet late; a second after, it is breached.
    worker("2026-10-15T23:59:59+08:00")
    assert told(acceptance, "breach") == set()
    for moment in ("2026-10-16T00:00:00+08:00", "2026-10-16T09:00:00+08:00"):
        worker(moment)
    # The clerk, the group's supervision officer and the leadership group (statutory limit).
    # The plan's "head" is the head of the case's department, and the office has none;
    # the quality department has no part in the case yet: it hears nothing.
    assert told(acceptance, "breach") == {"clerk", "supervisor", "leader"}
    breach = escalations(clerk, no)[-1]
    assert breach["at"] == "breach" and breach["deadline"] == "受理时限"
    assert at(breach["due_at"]) == at("2026-10-15T23:59:59+08:00")
    # The group lead is added as co-owner; severity, department and assignee stay.
    assert breach["changes"] == {"co_owners": [[], ["周国平"]]}
    assert co_owners(no) == {"leader"}
    complaint = Complaint.objects.get(tracking_no=no)
    assert (complaint.department.code, complaint.assignee, complaint.severity) == (
        "office",
        None,
        "ordinary",
    )
    assert [e["at"] for e in escalations(clerk, no)] == ["warning", "breach"]
    assert not Notification.objects.filter(recipient__username__in=["head", "handler"]).exists()
    assert not PenaltyEntry.objects.exists()  # the plan has no penalties


def executing_with_quality(people, clock) -> str:
    """Received Wed Sep 30 16:00, accepted at once, the opinion proposed on Fri Oct 9 and
    approved on Sat Oct 10 09:00 (a make-up working day), then handed to quality."""
    clock("2026-09-30T16:05:00+08:00")
    no = register(people["clerk"], received_at="2026-09-30T16:00:00+08:00")
    step(people["clerk"], no, "accept", "investigation")
    clock("2026-10-09T10:00:00+08:00")
    step(people["investigator"], no, "propose", "approval", opinion="商家退货退款299元")
    clock("2026-10-10T09:00:00+08:00")
    step(people["leader"], no, "approve", "execution")
    step(people["clerk"], no, "transfer", "execution", **SLIP)
    return no


def test_the_execution_limit_warns_and_chases_the_quality_department(people, clock):
    no = executing_with_quality(people, clock)
    execution = row(no, "execution")
    # 5 working days from Sat Oct 10: Oct 12, 13, 14, 15, 16.
    assert execution.due_at == at("2026-10-16T23:59:59+08:00")
    # 60 % of the wall time (6 d 14:59:59) after Oct 10 09:00: 3 d 23:23:59.4.
    assert execution.warn_at == at("2026-10-14T08:23:59+08:00")

    worker("2026-10-14T08:22:59+08:00")
    assert told(execution, "warning") == set()
    worker("2026-10-14T08:24:59+08:00")
    # The assignee and the head of the department the case sits with.
    assert told(execution, "warning") == {"handler", "head"}

    worker("2026-10-16T23:59:59+08:00")
    assert told(execution, "breach") == set()
    worker("2026-10-17T00:00:00+08:00")
    # The supervision officer joins; this is no statutory limit, so the leadership group
    # is not involved and nobody is added as co-owner.
    assert told(execution, "breach") == {"handler", "head", "supervisor"}
    breach = escalations(people["clerk"], no)[-1]
    assert breach["deadline"] == "部门执行时限" and breach["changes"] == {}
    assert co_owners(no) == set()
    # The settlement limit runs on, not yet warned; nobody outside is told anything.
    assert row(no, "settlement").warned_at is None
    outsiders = ["pricing_handler", "advertising_handler", "after_sales_handler", "leader"]
    assert not Notification.objects.filter(
        key__startswith="deadline:", recipient__username__in=outsiders
    ).exists()


def test_the_60_day_settlement_limit_adds_the_group_lead_beside_quality(people, clock):
    no = executing_with_quality(people, clock)
    settlement = row(no, "settlement")
    # 60 calendar days from Sep 30: Nov 29, a Sunday, moves to Mon Nov 30.
    assert settlement.due_at == at("2026-11-30T23:59:59+08:00")
    # 75 % of 61 d 07:59:59 after Sep 30 16:00: 45 d 23:59:59.25.
    assert settlement.warn_at == at("2026-11-15T15:59:59+08:00")
    worker("2026-11-15T15:58:59+08:00")
    assert told(settlement, "warning") == set()
    worker("2026-11-15T16:00:59+08:00")
    assert told(settlement, "warning") == {"handler", "head"}

    worker("2026-11-30T23:59:59+08:00")
    assert told(settlement, "breach") == set()
    for _ in range(3):  # however often the worker runs, one escalation
        worker("2026-12-01T00:00:00+08:00")
    assert told(settlement, "breach") == {"handler", "head", "supervisor", "leader"}
    settled = [e for e in escalations(people["clerk"], no) if e["deadline"] == "调解处理总时限"]
    assert [e["at"] for e in settled] == ["warning", "breach"]
    assert settled[-1]["changes"] == {"co_owners": [[], ["周国平"]]}
    assert co_owners(no) == {"leader"}
    # The quality department keeps the case, its assignee and its action.
    complaint = Complaint.objects.get(tracking_no=no)
    assert (complaint.department.code, complaint.assignee.username, complaint.stage) == (
        "quality",
        "handler",
        "execution",
    )
    assert complaint.severity == "ordinary"
    step(
        people["handler"], no, "execute", "feedback", measure="refund", amount="299", result="已退"
    )
    # Escalation is told once, however many passes: one message per person and channel.
    leader_rows = Notification.objects.filter(
        key__startswith=f"deadline:{settlement.pk}:breach", recipient__username="leader"
    )
    assert leader_rows.filter(channel="in_app").count() == 1


def test_a_warning_names_the_limit_that_runs_out(people, clock):
    no = executing_with_quality(people, clock)
    worker("2026-11-15T16:00:59+08:00")
    settlement = row(no, "settlement")
    body = Notification.objects.get(
        key__startswith=f"deadline:{settlement.pk}:warning:", recipient__username="handler"
    ).body
    assert "2026-11-30 23:59" in body
    assert "调解处理总时限" in body
