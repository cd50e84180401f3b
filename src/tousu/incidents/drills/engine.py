"""The drill engine: runs in the drill's own process, on the drill's own database and
clock. It replays the scenario's complaints and events through the real services, lets
the scripted participants respond (or, attended, leaves that to people), runs the
worker's jobs on the drill clock, and measures what happened. What the scripted command
structure does on the incidents is ``command_work.CommandWork``, which the engine runs.

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

from tousu.accounts.models import User
from tousu.complaints import services as complaint_services
from tousu.complaints.checks import ComplainantData
from tousu.complaints.models import Complaint
from tousu.core.problems import ServiceError
from tousu.deadlines.models import Deadline
from tousu.incidents.choices import OPEN_STATUSES
from tousu.incidents.drills.clock import DrillClock
from tousu.incidents.drills.command_work import CommandWork, Press
from tousu.incidents.drills.figures import drill_figures
from tousu.incidents.drills.participants import Staff, complaint_step
from tousu.incidents.drills.scenario import ComplaintsSpec, Scenario, offset
from tousu.incidents.models import Incident
from tousu.incidents.response import (
    media_log,
)
from tousu.incidents.triggers import event_report, may_report
from tousu.notifications.choices import Channel, DeliveryStatus
from tousu.notifications.models import Notification
from tousu.plans import schema
from tousu.plans.models import PlanRevision

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘"
GIVEN = ["伟", "芳", "娜", "秀英", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰"]


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


def _cycle(value: str | list[str], index: int) -> str:
    if isinstance(value, str):
        return value
    return value[index % len(value)] if value else ""


class DrillEngine(CommandWork):
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
        self.press: list[Press] = []
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
            self.press.append(Press(incident=incident.pk, draft_at=now + self.statement_after))
            self.press_changed += 1


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
