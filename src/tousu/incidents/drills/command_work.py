"""What the drill's scripted command structure does on its incidents: activates a
reported one, completes its tasks, files its upward and situation reports, and drafts,
approves and publishes a statement after a media contact — each when its (paced)
deadline comes, or deliberately not, as the scenario says. ``DrillEngine`` runs it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Count, Max, Q, Sum

from tousu.accounts.models import User
from tousu.core.problems import ServiceError
from tousu.deadlines.models import Deadline
from tousu.incidents.activation import incident_activate, may_activate
from tousu.incidents.choices import OPEN_STATUSES, IncidentStatus, ResponderPart
from tousu.incidents.command import commanders
from tousu.incidents.drills.participants import Staff
from tousu.incidents.drills.scenario import Scenario
from tousu.incidents.models import Incident, Statement, Task, UpwardReport
from tousu.incidents.response import (
    situation_file,
    statement_approve,
    statement_draft,
    statement_publish,
    task_done,
    upward_file,
)
from tousu.plans import schema

# What the scripted command structure writes.
SITUATION = "演练：第%(n)d次信息报送，现场情况稳定，处置按计划推进。"
UPWARD = "演练：已按预案向%(authority)s报告事件概况、响应级别和处置进展。"
STATEMENT = (
    "演练：我们已关注到相关反映，已启动应急响应并成立专项小组，将依法依规妥善处理并及时公布进展。"
)
# The gaps between a statement's draft, its approval by a second commander, publication.
APPROVE_AFTER = timedelta(minutes=10)
PUBLISH_AFTER = timedelta(minutes=5)


@dataclass
class Press:
    """A media contact's statement, drafted → approved → published by the participants."""

    incident: int
    draft_at: datetime
    statement: int | None = None
    author: int | None = None
    approved: bool = False


class CommandWork:
    """The command structure's part of ``DrillEngine`` (whose ``__init__`` sets these)."""

    scenario: Scenario
    plan: schema.Plan
    staff: Staff
    activate_after: timedelta
    pace: Any
    miss_tasks: set[str]
    miss_upward: set[str]
    miss_situations: set[int]
    press: list[Press]
    press_changed: int
    commanders: dict[int, User | None]
    deliberate: list[dict[str, str]]
    recorded: set[tuple[str, str]]
    stuck: list[dict[str, str]]
    events: int
    actions: int

    def _deliberate(self, subject: str, kind: str, type_: str = "incident") -> None:
        if (subject, kind) not in self.recorded:
            self.recorded.add((subject, kind))
            self.deliberate.append({"subject": subject, "kind": kind, "type": type_})

    # -- the command structure's work ----------------------------------------------

    def _stamp(self) -> tuple[Any, ...]:
        """Changes whenever an incident is opened or changed (its version)."""
        found = Incident.objects.aggregate(n=Count("pk"), versions=Sum("version"), last=Max("pk"))
        return (found["n"], found["versions"], found["last"], self.press_changed)

    def _commander(self, incident: Incident) -> User | None:
        if incident.pk not in self.commanders:
            found = commanders(incident)
            first = incident.responders.select_related("user").first()
            self.commanders[incident.pk] = found[0] if found else (first.user if first else None)
        return self.commanders[incident.pk]

    def _paced(self, row: Deadline) -> datetime:
        return row.anchor_at + (row.due_at - row.anchor_at) * float(self.pace)

    def _act(self, subject: str, what: str, call: Any, **kwargs: Any) -> bool:
        try:
            call(**kwargs)
        except ServiceError as exc:
            self.stuck.append({"what": what, "subject": subject, "error": str(exc.detail)})
            return False
        self.events += 1
        self.actions += 1
        return True

    def _incidents(self, now: datetime) -> datetime | None:
        """Do the command structure's work that is due; returns when the next is. Work
        done opens more (the next situation report): look again until nothing is due."""
        for _round in range(10):
            before = self.events
            wake = self._incidents_once(now)
            if self.events == before:
                return wake
        return wake

    def _incidents_once(self, now: datetime) -> datetime | None:
        wake: list[datetime] = []
        for incident in Incident.objects.filter(status__in=OPEN_STATUSES).order_by(
            "opened_at", "pk"
        ):
            if incident.status == IncidentStatus.REPORTED:
                due = incident.opened_at + self.activate_after
                if due > now:
                    wake.append(due)
                    continue
                person = next(
                    (p for p in self.staff.people if may_activate(self.plan, p, None)), None
                )
                if person is not None and self._act(
                    incident.number, "activate", incident_activate, incident=incident, actor=person
                ):
                    incident.refresh_from_db()
                else:
                    continue
            commander = self._commander(incident)
            if commander is None:
                continue
            wake += self._tasks(incident, commander, now)
            wake += self._upward(incident, commander, now)
            wake += self._situation(incident, commander, now)
        wake += self._statements(now)
        later = [moment for moment in wake if moment > now]
        return min(later) if later else None

    def _tasks(self, incident: Incident, commander: User, now: datetime) -> list[datetime]:
        wake = []
        tasks = Task.objects.filter(incident=incident, done_at__isnull=True).select_related(
            "deadline", "owner"
        )
        for task in tasks.filter(Q(deadline__isnull=True) | Q(deadline__closed_at__isnull=True)):
            if task.key in self.miss_tasks:
                self._deliberate(incident.number, task.deadline.kind if task.deadline else task.key)
                continue
            due = self._paced(task.deadline) if task.deadline else now
            if due > now:
                wake.append(due)
                continue
            self._act(
                incident.number,
                "task",
                task_done,
                task=task,
                actor=task.owner or commander,
                note="演练：已完成。",
                now=now,
            )
        return wake

    def _upward(self, incident: Incident, commander: User, now: datetime) -> list[datetime]:
        wake = []
        reports = UpwardReport.objects.filter(
            incident=incident, reported_at__isnull=True
        ).select_related("deadline")
        for report in reports:
            if report.authority in self.miss_upward:
                self._deliberate(
                    incident.number, report.deadline.kind if report.deadline else report.authority
                )
                continue
            due = self._paced(report.deadline) if report.deadline else now
            if due > now:
                wake.append(due)
                continue
            self._act(
                incident.number,
                "upward",
                upward_file,
                report=report,
                actor=commander,
                content=UPWARD % {"authority": report.authority_label},
                now=now,
            )
        return wake

    def _situation(self, incident: Incident, commander: User, now: datetime) -> list[datetime]:
        row = (
            Deadline.objects.filter(incident=incident, kind="situation", closed_at__isnull=True)
            .order_by("due_at")
            .first()
        )
        if row is None:
            return []
        number = incident.situations.count() + 1
        if number in self.miss_situations:
            # Skipped on purpose: filed late, after the worker has seen the breach.
            self._deliberate(incident.number, "situation")
            due = row.due_at + self.scenario.worker_every
        else:
            due = self._paced(row)
        if due > now:
            return [due]
        self._act(
            incident.number,
            "situation",
            situation_file,
            incident=incident,
            actor=commander,
            text=SITUATION % {"n": number},
            now=now,
        )
        return []

    def _statements(self, now: datetime) -> list[datetime]:
        wake = []
        for press in self.press:
            incident = Incident.objects.get(pk=press.incident)
            if incident.status not in OPEN_STATUSES[1:]:
                continue
            if press.statement is None:
                if press.draft_at > now:
                    wake.append(press.draft_at)
                    continue
                people = list(incident.responders.select_related("user"))
                authors = [r.user for r in people if r.part != ResponderPart.COMMANDER] or [
                    r.user for r in people
                ]
                if not authors:
                    continue
                try:
                    statement = statement_draft(
                        incident=incident, actor=authors[0], text=STATEMENT, now=now
                    )
                except ServiceError as exc:
                    self.stuck.append(
                        {"what": "statement", "subject": incident.number, "error": exc.detail}
                    )
                    press.draft_at = now + timedelta(days=3650)
                    continue
                self.events += 1
                self.actions += 1
                press.statement, press.author = statement.pk, authors[0].pk
                wake.append(now + APPROVE_AFTER)
                continue
            statement = Statement.objects.get(pk=press.statement)
            if not press.approved:
                at = statement.created_at + APPROVE_AFTER
                if at > now:
                    wake.append(at)
                    continue
                approver = next((u for u in commanders(incident) if u.pk != press.author), None)
                if approver is None:
                    self.stuck.append(
                        {"what": "statement", "subject": incident.number, "error": "no approver"}
                    )
                    press.approved = True  # nobody can: stop trying
                    continue
                press.approved = self._act(
                    incident.number,
                    "statement",
                    statement_approve,
                    statement=statement,
                    actor=approver,
                    now=now,
                )
                wake.append(now + PUBLISH_AFTER)
                continue
            if statement.approved_at is None or statement.published_at is not None:
                continue
            at = statement.approved_at + PUBLISH_AFTER
            if at > now:
                wake.append(at)
                continue
            author = self.staff.by_pk.get(press.author or 0)
            self._act(
                incident.number,
                "statement",
                statement_publish,
                statement=statement,
                actor=author,
                now=now,
            )
        return wake
