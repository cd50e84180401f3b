"""Two web servers and two workers on one PostgreSQL database, as on separate hosts:
a bounded load of registrations spread over both servers while both workers chase the
deadlines and deliver the notifications. Everything is counted where it happens — the
201s in the servers' own access logs and by the clients, complaints and events in the
database, mails at a loopback SMTP server, webhooks at a loopback receiver — and each
must be there exactly once.

The workers run the worker's own loop with a clock 30 days ahead, so each complaint's
deadlines are due as soon as it is registered: every pass breaches what the servers have
just committed, while they go on committing.
"""

from __future__ import annotations

import time

import pytest

from tousu.accounts.services import token_create
from tousu.assessment.models import PenaltyEntry
from tousu.audit.services import audit_verify
from tousu.complaints.models import Complaint
from tousu.demo.loader import demo_organisation_create
from tousu.notifications.choices import Channel
from tousu.notifications.services import user_channel_set
from tousu.notifications.tests.loopback import MailServer
from tousu.supervision.choices import RunStatus
from tousu.supervision.models import WorkerRun
from tousu.supervision.tests.checks import (
    RECEIPT,
    complaints_whole,
    deadline_events_once,
    delivered_once,
    settle,
)
from tousu.supervision.tests.intake_load import PATH, Load, registration
from tousu.supervision.tests.processes import Children, Receiver, WebProcess, mail_env

REGISTRATIONS = 100
SHIFT = 30 * 24 * 3600  # the workers' clock: 30 days ahead
LOAD_LIMIT = 60  # seconds for the whole load
SETTLE_LIMIT = 60  # seconds for the workers to finish what the load left
# The school's departments and categories: no five bodies share both, no thirty a
# department, so no mass complaint opens an emergency response during the load (the
# workers open one per complaint whose agreement deadline they breach).
DEPARTMENTS = [
    "gm_office",
    "admin_office",
    "teaching",
    "academic",
    "marketing",
    "finance",
    "campuses",
    "campus_donghu",
    "campus_guanggu",
]
CATEGORIES = [
    "campus_facilities",
    "campus_safety",
    "campus_reception",
    "teaching_upkeep",
    "teacher_attendance",
    "lesson_quality",
    "handout_quality",
]


def spread(n: int) -> dict:
    category = CATEGORIES[(n // len(DEPARTMENTS)) % len(CATEGORIES)]
    return registration(n, category=category, department=DEPARTMENTS[n % len(DEPARTMENTS)])


@pytest.mark.postgres
@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_two_web_servers_and_two_workers_do_everything_exactly_once(tmp_path, settings):
    settings.OUTBOUND_ALLOW_LOOPBACK = True  # the staff's webhook is on loopback
    users = demo_organisation_create("school")
    token = token_create(user=users["reception"], name="load")
    started = time.monotonic()
    with MailServer() as mail, Receiver() as receiver:
        for user in users.values():  # every staff message goes to the receiver too
            user_channel_set(user=user, channel=Channel.WEBHOOK, address=receiver.url)
        env = mail_env(mail.port)
        children = Children(tmp_path, env=env)
        servers = [WebProcess(tmp_path, f"web-{name}", env=env) for name in "ab"]
        try:
            for server in servers:
                server.start()
            workers = [
                children.worker_loop(shift=SHIFT, interval=0.2, name=f"worker-{name}")
                for name in "ab"
            ]

            def alive() -> None:
                for worker in workers:
                    assert worker.process.poll() is None, worker.stderr[-3000:]

            bodies = [spread(n) for n in range(REGISTRATIONS)]
            load = Load([s.url for s in servers], token, bodies, threads=4, seconds=LOAD_LIMIT)
            load.start().join(timeout=LOAD_LIMIT + 30)
            loaded = time.monotonic()
            settle(timeout=SETTLE_LIMIT, alive=alive)
            for worker in workers:
                assert worker.terminate(timeout=30) == 0, worker.stderr[-3000:]
            answered = [server.answered("POST", PATH) for server in servers]
        finally:
            children.stop_all()
            for server in servers:
                server.stop()
        mail_keys = [m["X-Tousu-Key"] for m in mail.delivered]
        hook_keys = list(receiver.counts().elements())

    # The clients saw a 201 for each body, with a tracking number of its own ...
    created = load.created()
    assert len(load.sent) == REGISTRATIONS
    assert [s for s in load.sent if s.status != 201] == []
    numbers = {s.tracking_no for s in created}
    assert len(numbers) == REGISTRATIONS
    # ... and the servers say they answered 201 as often, each about its half.
    assert sum(a[201] for a in answered) == REGISTRATIONS, answered
    assert [sum(a.values()) for a in answered] == [REGISTRATIONS // 2] * 2, answered

    # Each complaint once, whole; each deadline event once; each message arrived once.
    complaints_whole(numbers)
    assert Complaint.objects.count() == REGISTRATIONS
    deadlines = deadline_events_once()
    mails, hooks = delivered_once(mail_keys, hook_keys)
    receipts = [k for k in mail_keys if k.endswith(RECEIPT)]
    assert len(receipts) == REGISTRATIONS

    report = audit_verify()
    assert report.ok, report
    runs = list(WorkerRun.objects.all())
    assert {r.status for r in runs} == {RunStatus.DONE}, [r.error for r in runs if r.error]
    assert sum(r.counts.get("breached", 0) for r in runs) == deadlines
    assert sum(r.counts.get("penalties", 0) for r in runs) == PenaltyEntry.objects.count()
    assert len({r.worker for r in runs}) == 2
    print(
        f"\n{REGISTRATIONS} registrations over 2 servers in {loaded - started:.1f} s, "
        f"{deadlines} deadlines breached, {mails} mails and {hooks} webhooks arrived once; "
        f"{len(runs)} worker passes; settled {time.monotonic() - loaded:.1f} s after the load"
    )
