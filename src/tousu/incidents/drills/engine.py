"""The drill engine: runs in the drill's own process, on the drill's own database and
clock. It replays the scenario's complaints and events through the real services, lets
the scripted participants respond (or, attended, leaves that to people), runs the
worker's jobs on the drill clock, and measures what happened.

Time moves from one moment that matters to the next — the next scenario event, the next
scripted action, the next worker pass — so an unattended drill at speed 0 runs as fast as
the services allow; at speed N the clock runs N drill-seconds per real second.
"""

from __future__ import annotations

import heapq
import io
import itertools
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.core.management import call_command
from django.db.models import Count, Max, Q, Sum

from tousu.accounts.models import User
from tousu.complaints import services as complaint_services
from tousu.complaints.checks import ComplainantData
from tousu.complaints.models import Complaint
from tousu.core.problems import ServiceError
from tousu.deadlines.models import Deadline
from tousu.incidents.activation import incident_activate, may_activate
from tousu.incidents.choices import OPEN_STATUSES, IncidentStatus, ResponderPart
from tousu.incidents.command import commanders
from tousu.incidents.drills.clock import DrillClock
from tousu.incidents.drills.figures import drill_figures
from tousu.incidents.drills.participants import Staff, complaint_step
from tousu.incidents.drills.scenario import ComplaintsSpec, Scenario, offset
from tousu.incidents.models import Incident, Statement, Task, UpwardReport
from tousu.incidents.response import (
    media_log,
    situation_file,
    statement_approve,
    statement_draft,
    statement_publish,
    task_done,
    upward_file,
)
from tousu.incidents.triggers import event_report, may_report
from tousu.notifications.choices import Channel, DeliveryStatus
from tousu.notifications.models import Notification
from tousu.plans import schema
from tousu.plans.models import PlanRevision

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘"
GIVEN = ["伟", "芳", "娜", "秀英", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰"]
# What the scripted command structure writes.
SITUATION = "演练：第%(n)d次信息报送，现场情况稳定，处置按计划推进。"
UPWARD = "演练：已按预案向%(authority)s报告事件概况、响应级别和处置进展。"
STATEMENT = (
    "演练：我们已关注到相关反映，已启动应急响应并成立专项小组，将依法依规妥善处理并及时公布进展。"
)
# The gaps between a statement's draft, its approval by a second commander, publication.
APPROVE_AFTER = timedelta(minutes=10)
PUBLISH_AFTER = timedelta(minutes=5)


@dataclass(order=True)
class _Due:
    at: datetime
    seq: int
    kind: str = field(compare=False)
    payload: Any = field(compare=False)


@dataclass
class _Case:
    """A simulated complaint as the participants see it."""

    tag: str
    classify: dict[str, str]
    transfer_to: str
    steps: int  # how many plan actions they take on it
    miss: str = ""  # the deadline kind they leave it alone at
    done: int = 0


@dataclass
class _Press:
    """A media contact's statement, drafted → approved → published by the participants."""

    incident: int
    draft_at: datetime
    statement: int | None = None
    author: int | None = None
    approved: bool = False


def _cycle(value: str | list[str], index: int) -> str:
    if isinstance(value, str):
        return value
    return value[index % len(value)] if value else ""


class DrillEngine:
    def __init__(
        self,
        scenario: Scenario,
        revision: PlanRevision,
        clock: DrillClock,
        *,
        attended: bool = False,
    ):
        self.scenario = scenario
        self.revision = revision
        self.plan: schema.Plan = revision.plan_model
        self.clock = clock
        self.attended = attended
        self.staff = Staff.load()
        self.registrar = self.staff.registrar()
        participants = scenario.file.participants
        self.acknowledge = offset(participants.acknowledge) or timedelta(minutes=10)
        self.step = offset(participants.step) or timedelta(minutes=20)
        self.activate_after = offset(participants.activate) or timedelta(minutes=15)
        self.statement_after = offset(participants.statement) or timedelta(minutes=30)
        self.pace = participants.pace
        self.misses = [m.model_copy() for m in participants.miss]
        self.miss_left = {i: m.complaints for i, m in enumerate(self.misses) if m.deadline}
        self.miss_tasks = {m.task for m in self.misses if m.task}
        self.miss_upward = {m.upward for m in self.misses if m.upward}
        self.miss_situations = {m.situation for m in self.misses if m.situation}
        self.queue: list[_Due] = []
        self.seq = itertools.count()
        self.cases: dict[int, _Case] = {}
        self.press: list[_Press] = []
        self.press_changed = 0
        self.commanders: dict[int, User | None] = {}
        self.deliberate: list[dict[str, str]] = []
        self.recorded: set[tuple[str, str]] = set()
        self.stuck: list[dict[str, str]] = []
        self.skipped: list[dict[str, str]] = []
        self.events = 0
        self.actions = 0
        self.passes = 0
        self.suppressed = 0
        self.complainants = 0

    # -- the loop -------------------------------------------------------------------

    def _push(self, at: datetime, kind: str, payload: Any) -> None:
        heapq.heappush(self.queue, _Due(at, next(self.seq), kind, payload))

    def _schedule_scenario(self) -> None:
        start = self.scenario.start
        for index, event in enumerate(self.scenario.file.events):
            at = start + (offset(event.at) or timedelta())
            if event.complaints is not None:
                spec = event.complaints
                over = offset(spec.over) or timedelta()
                for n in range(spec.count):
                    share = over * n / (spec.count - 1) if spec.count > 1 else timedelta()
                    self._push(at + share, "complaint", (index, n, spec))
            elif event.event_report is not None:
                self._push(at, "event_report", index)
            elif event.media is not None:
                self._push(at, "media", index)

    def run(self) -> dict[str, Any]:
        """Replay the scenario to its end; returns the figures."""
        began = time.monotonic()
        end = self.scenario.end
        every = self.scenario.worker_every
        self._schedule_scenario()
        next_pass = self.scenario.start + every
        self.clock.set(self.scenario.start)
        wake: datetime | None = None
        stamp: tuple[Any, ...] = ()
        while True:
            moments = [next_pass]
            if self.queue:
                moments.append(self.queue[0].at)
            if wake is not None:
                moments.append(wake)
            now = min(moments)
            if now > end:
                break
            self.clock.set(now)
            while self.queue and self.queue[0].at <= now:
                item = heapq.heappop(self.queue)
                self._perform(item, now)
            if now >= next_pass:
                self._worker(now)
                next_pass += every
            if not self.attended:
                # The command structure looks again when its work falls due or an
                # incident changed (opened, activated, a level raised).
                current = self._stamp()
                if current != stamp or (wake is not None and wake <= now):
                    wake = self._incidents(now)
                    stamp = self._stamp()
        self.clock.set(end)
        self._worker(end)
        seconds = time.monotonic() - began
        return drill_figures(
            plan=self.plan,
            start=self.scenario.start,
            end=end,
            deliberate=self.deliberate,
            engine={
                "events": self.events,
                "actions": self.actions,
                "worker_passes": self.passes,
                "seconds": round(seconds, 3),
                "rate": round(self.events / seconds, 1) if seconds else None,
                "suppressed": self.suppressed,
                "stuck": self.stuck,
                "skipped": self.skipped,
                "attended": self.attended,
                "speed": self.clock.speed,
            },
        )

    def _perform(self, item: _Due, now: datetime) -> None:
        if item.kind == "complaint":
            self._register(*item.payload, now=now)
        elif item.kind == "step":
            self._step(item.payload, now)
        elif item.kind == "event_report":
            self._event_report(item.payload, now)
        elif item.kind == "media":
            self._media(item.payload, now)

    def _worker(self, now: datetime) -> None:
        """One pass of the real worker (``tousu worker --once``) as of drill time:
        deadlines (warnings, breaches, escalations, penalties, breach triggers, incident
        chases), the outbox and the audit seal. The worker sits above this app, so it is
        called by its command, not imported. In the app only: the drill's settings give
        mail, webhooks and SMS nowhere to go, and anything addressed outside the app is
        marked undeliverable here, unsent."""
        call_command("worker", "--once", "--now", now.isoformat(), stdout=io.StringIO())
        self.suppressed += (
            Notification.objects.exclude(channel=Channel.IN_APP)
            .filter(status__in=[DeliveryStatus.PENDING, DeliveryStatus.DELIVERING])
            .update(
                status=DeliveryStatus.DEAD,
                last_error="drill: delivered in the app only",
                lease_until=None,
            )
        )
        self.passes += 1
        self.events += 1

    # -- complaints -----------------------------------------------------------------

    def _register(self, index: int, n: int, spec: ComplaintsSpec, *, now: datetime) -> None:
        self.complainants += 1
        k = self.complainants
        product = _cycle(spec.product, n).format(n=n + 1)
        words = {"n": n + 1, "product": product}
        severities = self.plan.keys_of("severities")
        try:
            complaint = complaint_services.complaint_register(
                actor=self.registrar,
                channel=_cycle(spec.channel, n) or self.plan.channels[0],
                title=_cycle(spec.title, n).format(**words)[:200],
                description=_cycle(spec.text, n).format(**words),
                category=_cycle(spec.category, n),
                severity=_cycle(spec.severity, n) or severities[0],
                nature=spec.nature or self.plan.natures[0].key,
                occurred_at=now - timedelta(days=1),
                occurred_place=spec.place,
                merchant=_cycle(spec.merchant, n).format(**words),
                product=product,
                amount_involved=spec.amount_involved,
                people_injured=spec.people_injured,
                media_involved=spec.media_involved,
                complainant=ComplainantData(
                    name=SURNAMES[k % len(SURNAMES)] + GIVEN[k % len(GIVEN)],
                    phone=f"139{k:08d}",
                ),
                received_at=now,
            )
        except ServiceError as exc:
            self.stuck.append(
                {"what": "complaint", "event": f"events.{index}", "error": str(exc.detail)}
            )
            return
        self.events += 1
        steps = self.scenario.file.participants.steps if spec.steps is None else spec.steps
        case = _Case(
            tag=spec.tag, classify=dict(spec.classify), transfer_to=spec.transfer_to, steps=steps
        )
        for i, miss in enumerate(self.misses):
            if self.miss_left.get(i, 0) > 0 and (not miss.tag or miss.tag == spec.tag):
                self.miss_left[i] -= 1
                case.miss = miss.deadline
                break
        self.cases[complaint.pk] = case
        if not self.attended and case.steps:
            self._push(now + self.acknowledge, "step", complaint.pk)

    def _step(self, pk: int, now: datetime) -> None:
        case = self.cases[pk]
        complaint = Complaint.objects.select_related(
            "plan_revision", "department", "category", "assignee"
        ).get(pk=pk)
        if (
            case.miss
            and Deadline.objects.filter(
                complaint=complaint, kind=case.miss, closed_at__isnull=True
            ).exists()
        ):
            # Left alone on purpose: the deadline runs out, as the scenario asks.
            self._deliberate(complaint.tracking_no, case.miss, "complaint")
            return
        if self.plan.stage(complaint.stage).terminal:
            return
        complaint, done = complaint_step(
            complaint,
            self.staff,
            first=case.done == 0,
            classify=case.classify if case.done == 0 else {},
            transfer_to=case.transfer_to,
        )
        if done is None:
            self.stuck.append(
                {
                    "what": "complaint",
                    "subject": complaint.tracking_no,
                    "stage": self.plan.stage(complaint.stage).label,
                }
            )
            return
        self.events += 1
        self.actions += 1
        case.done += 1
        if case.done < case.steps:
            self._push(now + self.step, "step", pk)

    def _deliberate(self, subject: str, kind: str, type_: str = "incident") -> None:
        if (subject, kind) not in self.recorded:
            self.recorded.add((subject, kind))
            self.deliberate.append({"subject": subject, "kind": kind, "type": type_})

    # -- events without a complaint, the press --------------------------------------

    def _event_report(self, index: int, now: datetime) -> None:
        spec = self.scenario.file.events[index].event_report
        assert spec is not None
        reporter = next((p for p in self.staff.people if may_report(self.plan, p)), None)
        if reporter is None:
            self.stuck.append({"what": "event_report", "event": f"events.{index}"})
            return
        try:
            event_report(
                revision=self.revision,
                actor=reporter,
                title=spec.title,
                description=spec.description or spec.title,
                category=spec.category,
                severity=spec.severity,
                amount_involved=spec.amount_involved,
                people_injured=spec.people_injured,
                now=now,
            )
        except ServiceError as exc:
            self.stuck.append(
                {"what": "event_report", "event": f"events.{index}", "error": str(exc.detail)}
            )
            return
        self.events += 1

    def _media(self, index: int, now: datetime) -> None:
        spec = self.scenario.file.events[index].media
        assert spec is not None
        incidents = list(Incident.objects.order_by("opened_at", "pk"))
        if spec.incident:
            incident = incidents[spec.incident - 1] if len(incidents) >= spec.incident else None
        else:
            running = [i for i in incidents if i.status in OPEN_STATUSES[1:]]
            incident = running[-1] if running else None
        if incident is None or incident.status not in OPEN_STATUSES[1:]:
            self.skipped.append({"what": "media", "event": f"events.{index}"})
            return
        recorder = self._commander(incident)
        if recorder is None:
            self.skipped.append({"what": "media", "event": f"events.{index}"})
            return
        try:
            media_log(
                incident=incident,
                actor=recorder,
                outlet=spec.outlet,
                person=spec.person,
                summary=spec.summary,
                at=now,
            )
        except ServiceError as exc:
            self.stuck.append({"what": "media", "subject": incident.number, "error": exc.detail})
            return
        self.events += 1
        if not self.attended:
            self.press.append(_Press(incident=incident.pk, draft_at=now + self.statement_after))
            self.press_changed += 1

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


def _serve(port: int) -> Any:
    """Serve the drill's pages on 127.0.0.1:``port`` from this process, in threads, so
    that what people do there is stamped by the drill clock and lands in the drill's
    database; every page carries the drill banner (``TOUSU_DRILL``)."""
    from django.core.handlers.wsgi import WSGIHandler
    from django.core.servers.basehttp import ThreadedWSGIServer, WSGIRequestHandler

    server = ThreadedWSGIServer(("127.0.0.1", port), WSGIRequestHandler)
    server.set_app(WSGIHandler())
    threading.Thread(target=server.serve_forever, name="drill-pages", daemon=True).start()
    return server


def drill_run(
    *,
    scenario: Scenario,
    revision: PlanRevision,
    speed: int = 0,
    attended: bool = False,
    serve: int | None = None,
) -> dict[str, Any]:
    """Run the scenario on a clock installed for this process; returns the figures.
    Attended, the drill's pages are served on port ``serve`` while it runs and people
    respond there; the scripted participants stay away."""
    clock = DrillClock(scenario.start, speed=speed).install()
    server = _serve(serve) if serve else None
    try:
        return DrillEngine(scenario, revision, clock, attended=attended).run()
    finally:
        if server is not None:
            server.shutdown()
            server.server_close()
        clock.uninstall()
