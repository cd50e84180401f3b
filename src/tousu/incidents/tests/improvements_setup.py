"""What the improvement-action tests share: the organisation's usual action, the
notifications a person was sent, the audit events of an action, a finished drill that
proposes one, and an urgent registration that opens an incident."""

from datetime import date

from django.test import Client

from tousu.audit.models import AuditEvent
from tousu.core.actors import SystemActor
from tousu.incidents.choices import DrillStatus
from tousu.incidents.improvements import (
    improvement_add,
)
from tousu.incidents.models import (
    Drill,
    ImprovementAction,
)
from tousu.notifications.models import Notification
from tousu.plans.models import Plan, PlanRevision
from tousu.plans.tests.scenario import at, registrar

NOW = "2026-11-02T10:00:00+08:00"
REPORT = SystemActor("report")


def web(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def add(org, **overrides) -> ImprovementAction:
    data = {
        "title": "鑫达电器行进货查验制度整改",
        "owner": org.head,
        "due_on": date(2026, 11, 20),
        "actor": org.leader,
        "source_ref": "客诉分析报告 2026-10",
        "category_key": "quality",
    }
    data.update(overrides)
    return improvement_add(**data)


def told(user, key: str) -> list[str]:
    return list(
        Notification.objects.filter(recipient=user, channel="in_app", key__contains=key)
        .order_by("pk")
        .values_list("body", flat=True)
    )


def finished_drill() -> Drill:
    """A finished drill of a bare plan, whose evaluation proposes one improvement."""
    plan = Plan.objects.create(key="drillplan", name="演练预案")
    revision = PlanRevision.objects.create(
        plan=plan,
        number=1,
        source="",
        definition={},
        sha256="0" * 64,
        effective_date=date(2026, 1, 1),
    )
    improvements = [
        {"kind": "deadline", "type": "task", "deadline": "task.x", "label": "现场处置"}
        | {"missed": 1, "met": 0, "deliberate": 0, "owner": "现场处置组", "within_days": 7}
    ]
    return Drill.objects.create(
        plan=plan,
        plan_revision=revision,
        scenario="演练情景",
        scenario_sha256="0" * 64,
        status=DrillStatus.FINISHED,
        finished_at=at(NOW),
        figures={"evaluation": {"improvements": improvements}},
    )


def audited(action: ImprovementAction, verb: str) -> int:
    return AuditEvent.objects.filter(
        object_type="improvement", object_id=str(action.pk), action__endswith=verb
    ).count()


register_urgent = registrar(
    {
        "channel": "phone",
        "title": "冰箱起火冒烟",
        "description": "使用中冰箱后部起火冒烟，家中老人受到惊吓，要求立即处理。",
        "category": "product",
        "severity": "urgent",
        "complainant": {"name": "李娜", "phone": "13912345678"},
    }
)
