"""The case file (案卷) of a complaint: its heading and facts, the complainant as the
reader may see them, every decision on the case with what it said, and the timeline —
read through the gate, with the plan's labels."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.utils.translation import gettext as _

from tousu.audit.models import AuditEvent
from tousu.complaints.choices import EventAction
from tousu.complaints.models import Complaint
from tousu.complaints.presenters import (
    ACTION_FIELDS,
    deadline_label,
    timeline_rows,
    value_label,
)
from tousu.complaints.selectors import complaint_timeline
from tousu.deadlines.models import Deadline
from tousu.plans.choices import ActionType
from tousu.reports.documents.content import (
    Heading,
    Person,
    complainant_for,
    facts,
    heading,
)

# Plan actions whose event is a decision on the case (the case file's 处理决定).
DECISIONS = frozenset(
    {
        ActionType.ACCEPT,
        ActionType.REFUSE,
        ActionType.PROPOSE,
        ActionType.APPROVE,
        ActionType.SEND_BACK,
        ActionType.EXECUTE,
        ActionType.REPLY,
        ActionType.RECORD_SATISFACTION,
        ActionType.APPEAL,
        ActionType.REOPEN,
        ActionType.CLOSE,
        ActionType.TRANSFER,
    }
)
# What a decision says, in the order it is shown (the event's own text fields).
DECISION_TEXTS = ("reason", "opinion", "measure", "amount", "result", "reply", "note")


@dataclass(frozen=True)
class Decision:
    at: datetime
    actor: str
    action: str
    texts: list[tuple[str, str]]


@dataclass(frozen=True)
class CaseFileDocument:
    head: Heading
    facts: list[tuple[str, str]]
    description: str
    complainant: Person
    attachments: list[Any]
    timeline: list[dict]
    decisions: list[Decision]
    satisfaction: str
    deadlines: list[dict[str, Any]] = field(default_factory=list)


def _decision(event: AuditEvent, row: dict) -> Decision:
    data = event.data or {}
    labels = {c["field"]: c for c in row["changes"]}
    texts: list[tuple[str, str]] = []
    for name in DECISION_TEXTS:
        value = data.get(name)
        if value in (None, "", []):
            continue
        label = str(ACTION_FIELDS.get(name, _("Note")))
        shown = labels.get(label, {}).get("after") if name in ACTION_FIELDS else None
        texts.append((label, str(shown or value_label(name, value))))
    return Decision(at=event.at, actor=row["actor"], action=row["action"], texts=texts)


def case_file_document(*, user, complaint: Complaint) -> CaseFileDocument:
    """The whole case for the archive (案卷): particulars, the complainant (masked unless
    the reader's role may see personal data — then the view is logged), the evidence
    list, the timeline with the plan's labels, the decisions, satisfaction and the time
    limits with how they ended."""
    plan = complaint.plan if complaint.plan_revision_id else None
    events = list(complaint_timeline(complaint))
    rows = timeline_rows(events, plan)
    decisions = [
        _decision(event, row)
        for event, row in zip(events, rows, strict=True)
        if event.action == EventAction.ACTION and (event.data or {}).get("type") in DECISIONS
    ]
    deadlines = []
    if plan is not None:
        for d in Deadline.objects.filter(complaint=complaint).order_by("anchor_at", "pk"):
            if d.closed_at is None:
                state = _("open")
            elif d.closed_at <= d.due_at:
                state = _("met")
            else:
                state = _("late")
            deadlines.append(
                {
                    "label": deadline_label(plan, d.kind),
                    "due_at": d.due_at,
                    "closed_at": d.closed_at,
                    "state": state,
                }
            )
    return CaseFileDocument(
        head=heading(complaint),
        facts=facts(complaint),
        description=complaint.description,
        complainant=complainant_for(user=user, complaint=complaint, purpose="案卷"),
        attachments=list(complaint.attachments.select_related("uploaded_by")),
        timeline=rows,
        decisions=decisions,
        satisfaction=value_label("satisfaction", complaint.satisfaction)
        if complaint.satisfaction
        else "—",
        deadlines=deadlines,
    )
