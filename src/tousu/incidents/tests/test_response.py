"""The emergency half of a plan, run through the incident services and the worker on an
injected clock: activation from an urgent complaint, levels that scale the linked
complaints' deadlines, event reports, statements, closure and review."""

from datetime import date
from decimal import Decimal

import pytest

from tousu.accounts.models import User
from tousu.assessment.models import PenaltyEntry
from tousu.audit.models import AuditEvent
from tousu.complaints.models import Complaint
from tousu.core.problems import Conflict, InvalidInput, NotAllowed
from tousu.deadlines.models import Deadline
from tousu.incidents import activation, command, response, review, triggers
from tousu.incidents.choices import IncidentSource, IncidentStatus, StatementStatus
from tousu.incidents.models import Incident
from tousu.notifications.models import Notification, UserChannel
from tousu.plans.models import PlanRevision
from tousu.plans.tests.scenario import at, clients, clock, registrar, worker

pytestmark = pytest.mark.django_db

register = registrar(
    {
        "channel": "phone",
        "title": "冰箱起火冒烟",
        "description": "使用中冰箱后部起火冒烟，家中老人受到惊吓，要求立即处理。",
        "category": "product",
        "severity": "urgent",
        "complainant": {"name": "李娜", "phone": "13912345678"},
    }
)


def user(name: str) -> User:
    return User.objects.get(username=name)


def told(incident: Incident, event_key: str) -> set[str]:
    return set(
        Notification.objects.filter(
            incident=incident, channel="in_app", key__contains=event_key
        ).values_list("recipient__username", flat=True)
    )


def due(no: str, kind: str) -> Deadline:
    return Deadline.objects.get(complaint__tracking_no=no, kind=kind, closed_at=None)


@pytest.fixture
def enterprise():
    return clients("enterprise")


def test_an_urgent_complaint_activates_the_plan_and_its_level_shortens_the_deadlines(enterprise):
    with clock("2026-03-02T09:00:00+08:00"):
        no = register(enterprise["clerk"])
    incident = Incident.objects.get()
    plan = incident.plan
    assert incident.source == IncidentSource.TRIGGER and incident.trigger == "urgent"
    assert incident.status == IncidentStatus.ACTIVATED and incident.level == "III"
    assert list(incident.complaints.values_list("tracking_no", flat=True)) == [no]
    # The whole command structure is told at once, the commander (总经理) first in it.
    commander = incident.responders.order_by("position").first()
    assert commander.user.username == "leader" and commander.part == "commander"
    assert told(incident, ":activated") == set(
        incident.responders.values_list("user__username", flat=True)
    )
    # Level III (较大) has factor 0.75: the 24-hour reporting limit becomes 18 hours.
    factor = plan.emergency.level("III").deadline_factor
    assert factor == Decimal("0.75")
    row = due(no, "reporting")
    assert (row.base_amount, row.amount) == (Decimal(24), Decimal(18))
    assert row.due_at == at("2026-03-03T03:00:00+08:00")
    timeline = AuditEvent.objects.filter(
        complaint__tracking_no=no, action="complaint.emergency"
    ).get()
    assert timeline.data["incident"] == incident.number
    assert at(timeline.data["scaled"][0]["due_at"][1]) == row.due_at


def test_the_commander_raises_and_lowers_the_level_recomputing_from_the_start(enterprise):
    with clock("2026-03-02T09:00:00+08:00"):
        no = register(enterprise["clerk"])
    incident = Incident.objects.get()
    leader, clerk = user("leader"), user("clerk")
    with clock("2026-03-02T10:00:00+08:00"):
        with pytest.raises(NotAllowed):
            activation.incident_level_set(incident=incident, actor=clerk, level="I")
        with pytest.raises(InvalidInput) as bad:
            activation.incident_level_set(incident=incident, actor=leader, level="V")
        assert "level" in bad.value.field_errors
        activation.incident_level_set(incident=incident, actor=leader, level="I", reason="")
    # Level I (0.25): 24 hours → 6 hours from receipt, already past at 16:00.
    assert due(no, "reporting").due_at == at("2026-03-02T15:00:00+08:00")
    assert told(incident, ":level:") == set(
        incident.responders.values_list("user__username", flat=True)
    )
    with clock("2026-03-02T16:00:00+08:00"):
        with pytest.raises(InvalidInput) as bad:
            activation.incident_level_set(incident=incident, actor=leader, level="IV")
        assert "reason" in bad.value.field_errors
    # The worker breaches at once what the new level put in the past.
    worker("2026-03-02T16:00:01+08:00")
    assert due(no, "reporting").breached_at is not None
    with clock("2026-03-02T16:05:00+08:00"):
        activation.incident_level_set(
            incident=incident, actor=leader, level="IV", reason="火情已排除，无人员受伤"
        )
    row = due(no, "reporting")
    assert row.amount == Decimal(24) and row.due_at == at("2026-03-03T09:00:00+08:00")
    incident.refresh_from_db()
    assert incident.level == "IV"


def test_a_statement_needs_a_second_person_and_closing_needs_an_outcome(enterprise):
    with clock("2026-03-02T09:00:00+08:00"):
        register(enterprise["clerk"])
    incident = Incident.objects.get()
    leader = user("leader")
    member = incident.responders.filter(part="member").first().user
    with clock("2026-03-02T09:30:00+08:00"):
        statement = response.statement_draft(
            incident=incident, actor=member, text="我司已派员上门处置，用户家中无人员受伤。"
        )
        with pytest.raises(Conflict) as early:
            response.statement_publish(statement=statement, actor=member)
        assert "批准" in early.value.detail  # approved by someone other than its author
        with pytest.raises(NotAllowed):
            response.statement_approve(statement=statement, actor=member)
    assert "leader" in told(incident, f":statement:{statement.pk}")
    with clock("2026-03-02T09:40:00+08:00"):
        statement = response.statement_approve(statement=statement, actor=leader)
    with clock("2026-03-02T09:45:00+08:00"):
        statement = response.statement_publish(statement=statement, actor=member)
    assert statement.status == StatementStatus.PUBLISHED
    assert statement.approved_by == leader and statement.published_by == member
    # What the commander writes, a deputy approves — never the commander.
    own = response.statement_draft(incident=incident, actor=leader, text="致歉声明")
    with pytest.raises(NotAllowed):
        response.statement_approve(statement=own, actor=leader)
    with pytest.raises(InvalidInput) as bad:
        response.incident_close(incident=incident, actor=leader, outcome="   ")
    assert "outcome" in bad.value.field_errors
    with clock("2026-03-02T12:00:00+08:00"):
        response.incident_close(
            incident=incident, actor=leader, outcome="已更换新机并赔偿，用户满意。"
        )
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.CLOSED
    assert not Deadline.objects.filter(incident=incident, closed_at=None).exists()


def test_a_review_improvement_is_chased_and_a_revision_waits_for_the_administrator(enterprise):
    with clock("2026-03-02T09:00:00+08:00"):
        register(enterprise["clerk"])
    incident = Incident.objects.get()
    leader, head = user("leader"), user("head")
    with clock("2026-03-02T12:00:00+08:00"):
        with pytest.raises(Conflict):
            review.review_file(incident=incident, actor=leader, causes="x", lessons="y")
        response.incident_close(incident=incident, actor=leader, outcome="已处置完毕。")
    active = incident.plan_revision
    source = active.source + "\n# 复盘建议：紧急投诉上报时限缩短为1小时\n"
    with clock("2026-03-03T10:00:00+08:00"):
        filed = review.review_file(
            incident=incident,
            actor=leader,
            causes="温控器批次缺陷",
            lessons="紧急投诉应在1小时内上报总经理",
            improvements=[
                review.Improvement(title="排查同批次温控器", owner=head, due_on=date(2026, 3, 6))
            ],
            accountability=[
                review.Accountability(person=head, reason="上报迟延", amount=Decimal(100))
            ],
            revision_source=source,
        )
    assert filed.figures["activate"]["took"] == 0
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.REVIEWED
    draft = filed.proposed_revision
    assert draft is not None and draft.plan.active_revision_id == active.pk
    assert PlanRevision.objects.filter(plan=active.plan).count() == 2
    entry = PenaltyEntry.objects.get(incident=incident)
    assert entry.person == head and entry.amount == Decimal(100)
    action = incident.improvements.get()
    assert action.deadline.due_at == at("2026-03-07T00:00:00+08:00")
    worker("2026-03-07T00:00:01+08:00")
    assert "head" in told(incident, f"deadline:{action.deadline_id}:breach")


@pytest.fixture
def service():
    return clients("service_incident")


def test_an_event_report_without_a_complaint_waits_for_the_relay_unless_lives_are_at_risk(
    service,
):
    revision = PlanRevision.objects.get(plan__key="service_incident")
    clerk, head = user("clerk"), user("head")
    with clock("2026-05-11T08:00:00+08:00"):
        outage = triggers.event_report(
            revision=revision,
            actor=clerk,
            title="营业厅叫号系统故障",
            description="三楼叫号机无法出号。",
            category="equipment_failure",
            severity="ordinary",
        )
    assert outage.status == IncidentStatus.REPORTED and outage.level == "IV"
    assert not Complaint.objects.exists()
    assert "head" in told(outage, ":reported")
    with pytest.raises(NotAllowed):
        activation.incident_activate(incident=outage, actor=clerk)
    with clock("2026-05-11T08:10:00+08:00"):
        activation.incident_activate(incident=outage, actor=head)
    outage.refresh_from_db()
    assert outage.status == IncidentStatus.ACTIVATED
    with clock("2026-05-11T09:00:00+08:00"):
        injured = triggers.event_report(
            revision=revision,
            actor=clerk,
            title="营业厅扶梯夹伤客户",
            description="一名客户在扶梯摔伤，已呼叫120。",
            category="casualty",
            severity="urgent",
            people_injured=1,
        )
    assert injured.status == IncidentStatus.ACTIVATED and injured.level == "I"
    assert told(injured, ":activated")
    with pytest.raises(InvalidInput) as bad:
        triggers.event_report(
            revision=revision,
            actor=clerk,
            title="",
            description="",
            category="nope",
            severity="nope",
        )
    assert set(bad.value.field_errors) >= {"title", "category", "severity"}


def test_activating_from_a_complaint_needs_the_role_and_a_reason(enterprise):
    register_ordinary = registrar(
        {
            "channel": "phone",
            "title": "冰箱噪音大",
            "description": "冰箱运行时噪音很大。",
            "category": "product",
            "complainant": {"name": "王芳", "phone": "13912340000"},
        }
    )
    with clock("2026-03-02T09:00:00+08:00"):
        no = register_ordinary(enterprise["clerk"])
    complaint = Complaint.objects.get(tracking_no=no)
    assert not Incident.objects.exists()
    with pytest.raises(NotAllowed):
        triggers.complaint_escalate_to_incident(
            complaint=complaint, actor=user("clerk"), level="IV", reason="客户情绪激动"
        )
    with pytest.raises(InvalidInput) as bad:
        triggers.complaint_escalate_to_incident(
            complaint=complaint, actor=user("leader"), level="IV", reason=""
        )
    assert "reason" in bad.value.field_errors
    with pytest.raises(InvalidInput) as bad:
        triggers.complaint_escalate_to_incident(
            complaint=complaint, actor=user("leader"), level="X", reason="同批次多台"
        )
    assert "level" in bad.value.field_errors
    assert not Incident.objects.exists()
    incident = triggers.complaint_escalate_to_incident(
        complaint=complaint, actor=user("supervisor"), level="IV", reason="同批次多台"
    )
    assert incident.source == IncidentSource.ESCALATION and incident.level == "IV"


def test_a_proposed_revision_activated_by_the_administrator_is_announced(enterprise):
    from tousu.plans.services import plan_activate, plan_load

    active = PlanRevision.objects.get(plan__key="enterprise")
    draft = plan_load(source=active.source + "\n# 复盘：缩短上报时限\n", note="复盘建议")
    assert draft.plan.active_revision_id == active.pk  # a draft until activated
    plan_activate(revision=draft, actor=user("admin"))
    heads = set(
        Notification.objects.filter(
            key__startswith="plan:enterprise:", channel="in_app"
        ).values_list("recipient__username", flat=True)
    )
    assert heads and heads == set(
        User.objects.filter(groups__name="department_head").values_list("username", flat=True)
    )


def test_the_next_response_follows_who_left_and_where_they_are_told(enterprise):
    """The people of a command structure are kept in the process between incidents; a
    commander's new address, and a member who leaves, reach the next incident at once."""
    with clock("2026-03-02T09:00:00+08:00"):
        register(enterprise["clerk"])
    first = Incident.objects.get()
    leaving = first.responders.exclude(user__username="leader").order_by("position")[0].user
    role = next(iter(leaving.role_codes()))
    # Kept: asked again without a change, the same people answer.
    kept, again = command.staff_of_roles({role})[role], command.staff_of_roles({role})[role]
    assert kept and all(a is b for a, b in zip(kept, again, strict=True))

    def next_incident(hour: int, phone: str) -> Incident:
        with clock(f"2026-03-02T{hour}:00:00+08:00"):
            register(enterprise["clerk"], complainant={"name": "王强", "phone": phone})
        return Incident.objects.order_by("-pk")[0]

    UserChannel.objects.create(user=user("leader"), channel="email", address="zong@example.cn")
    second = next_incident(10, "13912345679")
    emailed = Notification.objects.get(
        incident=second, channel="email", recipient__username="leader", key__contains=":activated"
    )
    assert emailed.address == "zong@example.cn"
    assert leaving.username in {r.user.username for r in second.responders.all()}

    leaving.is_active = False
    leaving.save(update_fields=["is_active"])
    third = next_incident(11, "13912345680")
    assert leaving.username not in {r.user.username for r in third.responders.all()}
