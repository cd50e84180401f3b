"""What a drill measured, read from the drill's database at its end: the times to
acknowledge, classify and activate against the plan's targets, each incident's tasks and
reports, and every deadline that fell due — met or missed. The result is plain JSON: it
travels from the drill's process to the real database's ``Drill.figures``."""

from __future__ import annotations

import re
from datetime import datetime
from statistics import median
from typing import Any

from tousu.audit.models import AuditEvent
from tousu.complaints.models import Complaint
from tousu.complaints.presenters import deadline_label
from tousu.deadlines.models import Deadline
from tousu.deadlines.selectors import due_compute
from tousu.incidents.models import Incident, Statement, Task
from tousu.notifications.choices import Channel
from tousu.notifications.models import Notification
from tousu.plans import schema
from tousu.plans.choices import ActionType

ACTION = "complaint.action"


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def _target(duration: schema.Duration | None) -> dict[str, str] | None:
    if duration is None:
        return None
    return {"amount": format(duration.amount.normalize(), "f"), "unit": duration.unit.value}


def _due(anchor: datetime, duration: schema.Duration) -> datetime:
    return due_compute(anchor_at=anchor, amount=duration.amount, unit=duration.unit.value).at


def _measure(
    samples: list[tuple[datetime, datetime | None]],
    duration: schema.Duration | None,
    end: datetime,
) -> dict[str, Any]:
    """Times from each anchor to its response against the target: counts, median, 90th
    percentile and worst (seconds); a response still missing counts as missed once the
    target's time has passed."""
    seconds = sorted((at - anchor).total_seconds() for anchor, at in samples if at is not None)
    met = missed = waiting = 0
    for anchor, at in samples:
        if duration is None:
            continue
        due = _due(anchor, duration)
        if at is not None and at <= due:
            met += 1
        elif at is not None or due <= end:
            missed += 1
        else:
            waiting += 1
    return {
        "target": _target(duration),
        "count": len(samples),
        "measured": len(seconds),
        "median": median(seconds) if seconds else None,
        "p90": seconds[min(len(seconds) - 1, int(len(seconds) * 0.9))] if seconds else None,
        "max": seconds[-1] if seconds else None,
        "met": met,
        "missed": missed,
        "waiting": waiting,
    }


def split_kind(kind: str) -> tuple[str, str]:
    """An incident deadline's kind and key: ``task.assess`` (or ``task:assess``) →
    ("task", "assess"); ``situation`` → ("situation", "")."""
    found = re.match(r"^([a-z_]+)[.:](.*)$", kind)
    return (found.group(1), found.group(2)) if found else (kind, "")


def _deadline_label(plan: schema.Plan, row: Deadline, tasks: dict[int, str]) -> str:
    kind, key = split_kind(row.kind)
    if row.incident_id is not None:
        if kind == "task":
            return tasks.get(row.pk, key)
        if kind == "upward" and plan.emergency is not None:
            found = next((a for a in plan.emergency.report_to if a.key == key), None)
            return found.label if found else key
        return row.kind
    return str(deadline_label(plan, row.kind))


def _deadlines(
    plan: schema.Plan, end: datetime, deliberate: list[dict[str, str]]
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    wanted = {(d["subject"], d["kind"]) for d in deliberate}
    # A complaint left alone on purpose misses its other deadlines on purpose too.
    left_alone = {d["subject"] for d in deliberate if d.get("type") == "complaint"}
    rows = Deadline.objects.select_related("complaint", "incident").order_by("due_at", "pk")
    tasks = {
        row.deadline_id: row.label
        for row in Task.objects.exclude(deadline=None)
        if row.deadline_id is not None
    }
    totals = {"due": 0, "met": 0, "missed": 0, "pending": 0}
    kinds: dict[tuple[str, str], dict[str, Any]] = {}
    missed: list[dict[str, Any]] = []
    for row in rows:
        subject = row.complaint.tracking_no if row.complaint else row.incident.number  # type: ignore[union-attr]
        kind = split_kind(row.kind)[0] if row.incident_id else "complaint"
        if row.closed_at is None and row.due_at > end:
            totals["pending"] += 1
            continue
        late = (
            row.breached_at is not None
            or (row.closed_at is not None and row.closed_at > row.due_at)
            or (row.closed_at is None and row.due_at <= end)
        )
        if not late and row.closed_reason == "incident closed":
            continue  # dropped with the response, neither met nor missed
        label = _deadline_label(plan, row, tasks)
        entry = kinds.setdefault(
            (kind, row.kind),
            {"kind": row.kind, "type": kind, "label": label, "met": 0, "missed": 0},
        )
        totals["due"] += 1
        if late:
            totals["missed"] += 1
            entry["missed"] += 1
            closed = row.closed_at if row.closed_at and row.closed_at > row.due_at else None
            missed.append(
                {
                    "subject": subject,
                    "type": kind,
                    "kind": row.kind,
                    "label": label,
                    "due_at": _iso(row.due_at),
                    "closed_at": _iso(closed),
                    "breached_at": _iso(row.breached_at),
                    "late": ((closed or end) - row.due_at).total_seconds(),
                    "deliberate": (subject, row.kind) in wanted
                    or (row.complaint_id is not None and subject in left_alone),
                }
            )
        else:
            totals["met"] += 1
            entry["met"] += 1
    return {**totals, "by_kind": list(kinds.values())}, missed


def _incident(incident: Incident, targets: schema.Targets, end: datetime) -> dict[str, Any]:
    first = min(
        [link.complaint.received_at for link in incident.links.select_related("complaint")]
        or [incident.opened_at]
    )
    activation = _measure([(first, incident.activated_at)], targets.activate, end)
    statements = Statement.objects.filter(incident=incident).order_by("created_at")
    media = list(incident.media.order_by("at"))
    return {
        "number": incident.number,
        "title": incident.title,
        "level": incident.level,
        "source": incident.source,
        "trigger": incident.trigger,
        "status": incident.status,
        "complaints": incident.links.count(),
        "first_signal": _iso(first),
        "opened_at": _iso(incident.opened_at),
        "activated_at": _iso(incident.activated_at),
        "activate_seconds": activation["median"],
        "activate_met": bool(activation["met"]),
        "tasks": [
            {
                "key": task.key,
                "label": task.label,
                "group": task.group,
                "owner": task.owner.display_name if task.owner else "",
                "created_at": _iso(task.created_at),
                "due_at": _iso(task.deadline.due_at if task.deadline else None),
                "done_at": _iso(task.done_at),
                "seconds": (task.done_at - task.created_at).total_seconds()
                if task.done_at
                else None,
                "state": (
                    "pending"
                    if task.deadline is None
                    else "met"
                    if task.done_at and task.done_at <= task.deadline.due_at
                    else "missed"
                    if task.done_at or task.deadline.due_at <= end
                    else "pending"
                ),
            }
            for task in incident.tasks.select_related("deadline", "owner").order_by("pk")
        ],
        "upward": [
            {
                "authority": report.authority_label,
                "due_at": _iso(report.deadline.due_at if report.deadline else None),
                "reported_at": _iso(report.reported_at),
            }
            for report in incident.upward.select_related("deadline").order_by("pk")
        ],
        "situations": incident.situations.count(),
        "media": [{"outlet": m.outlet, "at": _iso(m.at)} for m in media],
        "statements": [
            {
                "created_at": _iso(s.created_at),
                "approved_at": _iso(s.approved_at),
                "published_at": _iso(s.published_at),
                "seconds": (s.published_at - media[0].at).total_seconds()
                if s.published_at and media
                else None,
            }
            for s in statements
        ],
    }


def drill_figures(
    *,
    plan: schema.Plan,
    start: datetime,
    end: datetime,
    deliberate: list[dict[str, str]],
    engine: dict[str, Any],
) -> dict[str, Any]:
    """The drill's figures as of its ``end`` (read from the drill's database)."""
    emergency = plan.emergency
    targets = emergency.targets if emergency else schema.Targets()
    classify_keys = {
        action.key
        for stage in plan.stages.values()
        for action in stage.actions
        if action.type == ActionType.CLASSIFY
    }
    complaints = list(Complaint.objects.order_by("received_at", "pk"))
    first_action: dict[int, datetime] = {}
    classified: dict[int, datetime] = {}
    for event in (
        AuditEvent.objects.filter(action=ACTION, actor__isnull=False, complaint__isnull=False)
        .order_by("at", "seq")
        .only("complaint_id", "at", "data")
    ):
        assert event.complaint_id is not None
        first_action.setdefault(event.complaint_id, event.at)
        if (event.data or {}).get("action") in classify_keys:
            classified.setdefault(event.complaint_id, event.at)
    acknowledge = _measure(
        [(c.received_at, first_action.get(c.pk)) for c in complaints], targets.acknowledge, end
    )
    left_alone = {d["subject"] for d in deliberate if d.get("type") == "complaint"}
    acknowledge["deliberate"] = sum(
        1 for c in complaints if c.tracking_no in left_alone and c.pk not in first_action
    )
    classify = _measure(
        [(c.received_at, classified[c.pk]) for c in complaints if c.pk in classified],
        targets.classify,
        end,
    )
    incidents = [
        _incident(incident, targets, end)
        for incident in Incident.objects.order_by("opened_at", "pk")
    ]
    activation = _measure(
        [(datetime.fromisoformat(i["first_signal"]), _parse(i["activated_at"])) for i in incidents],
        targets.activate,
        end,
    )
    deadlines, missed = _deadlines(plan, end, deliberate)
    found = {(m["subject"], m["kind"]) for m in missed}
    situations = {m["subject"] for m in missed if m["kind"] == "situation"}
    notifications = Notification.objects.all()
    return {
        "window": {"start": _iso(start), "end": _iso(end)},
        "complaints": {
            "count": len(complaints),
            "acknowledged": len(first_action),
            "classified": len(classified),
            "classify_offered": bool(classify_keys),
        },
        "times": {"acknowledge": acknowledge, "classify": classify, "activate": activation},
        "incidents": incidents,
        "deadlines": deadlines,
        "missed": missed,
        "deliberate": [
            {
                **d,
                "found": (d["subject"], d["kind"]) in found
                or (d["kind"] == "situation" and d["subject"] in situations),
            }
            for d in deliberate
        ],
        "notifications": {
            "in_app": notifications.filter(channel=Channel.IN_APP).count(),
            "external": notifications.exclude(channel=Channel.IN_APP).count(),
            "external_sent": notifications.exclude(channel=Channel.IN_APP)
            .filter(delivered_at__isnull=False)
            .count(),
        },
        "engine": engine,
    }


def _parse(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None
