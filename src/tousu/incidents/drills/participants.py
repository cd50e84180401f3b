"""The scripted participants of an unattended drill: who takes a complaint's next plan
action and what they enter, as the people who would handle it. They act only through the
engine (``complaint_act``) and the incident services, like anyone else."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.utils import timezone

from tousu.accounts.choices import Role
from tousu.accounts.models import User
from tousu.complaints.models import Complaint
from tousu.complaints.workflow import complaint_act
from tousu.core.problems import ServiceError
from tousu.deadlines.models import Deadline
from tousu.plans.choices import MONEY_MEASURES, ActionType, Satisfaction
from tousu.plans.engine import AvailableAction, actions_available

# What people write, as a clerk would type it (the drill's own texts).
TEXTS = {
    "note": "演练：按预案办理。",
    "reason": "演练：经核实，按规定处理。",
    "findings": "演练：已调取凭证并询问当事人，情况属实。",
    "evidence": "演练：凭证、现场照片各一份。",
    "report": "演练：已按要求完成书面报告并报送。",
    "opinion": "演练：建议为投诉人办理退换并书面致歉。",
    "agenda": "演练：研究处理方案，明确责任人和处理时限。",
    "result": "演练：已按批准的方案处理完毕。",
    "reply": "演练：您反映的问题已核实并处理完毕，感谢您的监督。",
    "remarks": "演练：投诉人表示认可。",
    "slip": "演练：投诉接收单，请贵部门协助调查处理。",
}
# Exceptions, not the walk: participants never refuse, reopen, appeal, extend or pause,
# and ask for activation only where that is the plan's path on (a fund or life-safety
# class): a scenario's urgent complaints activate the plan through its triggers.
SKIPPED = {
    ActionType.REFUSE,
    ActionType.REOPEN,
    ActionType.APPEAL,
    ActionType.EXTEND,
    ActionType.WAIT,
    ActionType.SEND_BACK,
    ActionType.MARK_EMERGENCY,
}


@dataclass
class Staff:
    """The drill's people, read once."""

    people: list[User]
    by_pk: dict[int, User] = field(default_factory=dict)

    @classmethod
    def load(cls) -> Staff:
        people = list(
            User.objects.filter(is_active=True)
            .select_related("department__parent")
            .prefetch_related("groups", "notification_channels")
            .order_by("pk")
        )
        return cls(people=people, by_pk={p.pk: p for p in people})

    def registrar(self) -> User:
        """Who registers the simulated complaints: an intake clerk with a department."""
        clerks = [p for p in self.people if p.department_id and p.has_role(Role.INTAKE_CLERK)]
        others = [
            p for p in self.people if p.department_id and p.has_perm("complaints.add_complaint")
        ]
        if not (clerks or others):
            raise RuntimeError("nobody in the organisation may register complaints")
        return (clerks or others)[0]


def _data(
    action: AvailableAction,
    complaint: Complaint,
    staff: Staff,
    classify: dict[str, str],
    transfer_to: str,
) -> list[dict[str, Any]]:
    """What the person enters for ``action``: one or more tries (a transfer tries each
    department that has someone to take the case)."""
    data: dict[str, Any] = {name: TEXTS[name] for name in action.requires if name in TEXTS}
    kind = action.type
    if kind in (ActionType.INVESTIGATE,):
        data.setdefault("findings", TEXTS["findings"])
    if kind in (ActionType.REPORT, ActionType.PROPOSE, ActionType.REPLY):
        name = {"report": "report", "propose": "opinion", "reply": "reply"}[kind]
        data[name] = TEXTS[name]
    if kind == ActionType.CLASSIFY:
        data.update(classify)
    if kind == ActionType.CONVENE_MEETING:
        heads = [p for p in staff.people if p.has_role(Role.DEPARTMENT_HEAD)] or staff.people
        data.update(
            owner=heads[0].username,
            due_at=timezone.now() + timedelta(days=1),
            agenda=TEXTS["agenda"],
        )
    if kind == ActionType.EXECUTE:
        measure = (action.measures or ["rectify"])[0]
        data.update(measure=measure, result=TEXTS["result"])
        if measure in MONEY_MEASURES:
            data["amount"] = "500"
    if kind in (ActionType.RECORD_SATISFACTION, ActionType.RECORD_FOLLOW_UP):
        data.update(satisfaction=Satisfaction.SATISFIED, reached=True, remarks=TEXTS["remarks"])
    if "items" in action.requires:
        data["items"] = 1
    if "fine" in action.requires:
        data["fine"] = "100"
    if "complained_person" in action.requires:
        handlers = [p for p in staff.people if p.has_role(Role.DEPARTMENT_HANDLER)]
        if handlers:
            data["complained_person"] = handlers[0].username
    if kind == ActionType.ASSIGN:
        people = [
            p
            for p in staff.people
            if p.department_id == complaint.department_id and p.pk != complaint.assignee_id
        ]
        return [{**data, "assignee": p.username} for p in people[:3]] or [data]
    if kind == ActionType.TRANSFER:
        handlers = [
            p
            for p in staff.people
            if p.department is not None
            and p.department_id != complaint.department_id
            and (p.has_role(Role.DEPARTMENT_HANDLER) or p.has_role(Role.DEPARTMENT_HEAD))
        ]
        handlers.sort(key=lambda p: (p.department.code != transfer_to, p.pk))  # type: ignore[union-attr]
        return (
            [
                {**data, "department": p.department.code, "assignee": p.username}  # type: ignore[union-attr]
                for p in handlers[:4]
            ]
            or [data]
        )
    return [data]


def _rank(action: AvailableAction, first: bool, due: set[str]) -> int:
    """Which action a participant takes first: the classification the scenario asks for
    on the first step, then what a running deadline waits for, then whatever moves the
    case on."""
    if action.type == ActionType.CLASSIFY:
        return 0 if first else 9
    if action.key in due:
        return 1
    if action.to:
        return 2
    if action.type in (ActionType.RECORD_SATISFACTION, ActionType.RECORD_FOLLOW_UP):
        return 2
    return 5


def _awaited(complaint: Complaint) -> set[str]:
    """The actions that close a deadline of the complaint that is running."""
    plan = complaint.plan
    running = Deadline.objects.filter(complaint=complaint, closed_at__isnull=True)
    keys: set[str] = set()
    for kind in running.values_list("kind", flat=True):
        rule = plan.deadline_rule(kind)
        if rule is not None and rule.closes_on:
            keys.update(rule.closes_on)
    return keys


def complaint_step(
    complaint: Complaint,
    staff: Staff,
    *,
    first: bool,
    classify: dict[str, str],
    transfer_to: str = "",
) -> tuple[Complaint, str | None]:
    """One plan action by whoever may take it; returns the complaint and the action key
    (None when nobody could act)."""
    choices: list[tuple[int, int, User, AvailableAction]] = []
    due = _awaited(complaint)
    for person in staff.people:
        for action in actions_available(complaint=complaint, user=person):
            if action.type in SKIPPED and not (
                action.type == ActionType.MARK_EMERGENCY and action.to
            ):
                continue
            if action.type == ActionType.CLASSIFY and not classify:
                continue
            choices.append((_rank(action, first, due), len(choices), person, action))
    choices.sort(key=lambda c: (c[0], c[1]))
    for _position, _order, person, action in choices[:6]:
        for data in _data(action, complaint, staff, classify, transfer_to):
            try:
                complaint = complaint_act(
                    complaint=complaint,
                    actor=person,
                    action=action.key,
                    version=complaint.version,
                    data=data,
                )
            except ServiceError:
                complaint = Complaint.objects.select_related(
                    "plan_revision", "department", "category", "assignee"
                ).get(pk=complaint.pk)
                continue
            return complaint, action.key
    return complaint, None
