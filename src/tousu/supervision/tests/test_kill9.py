"""kill -9 of the web server and of the worker in the middle of a load of registrations.

One gunicorn (master and workers, one process group) and one worker loop serve a load
of registrations; twice both are killed with SIGKILL at once and started again, and the
clients go on: once after some registrations were answered, once while the worker is in
the middle of handing a receipt to the mail server (which has taken the mail and holds
back its answer). Afterwards:

* every registration the client saw a 201 for is in the database, and every complaint
  the database holds is whole (deadline rows, registration event, search document,
  receipt queued) — a request cut off by the kill either registered all of it or none;
* the audit chains verify;
* every receipt arrived at the mail server. Delivery is at least once: a mail the
  killed worker handed to the server but had not marked delivered is sent again once
  its claim (``LEASE``) ends, with the same Message-ID and ``X-Tousu-Key``, by which
  the receiving side recognises the repeat. So at most one mail per worker kill may
  arrive twice, and never under another Message-ID.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections import Counter
from datetime import timedelta

import pytest
from django.utils import timezone

from tousu.accounts.services import token_create
from tousu.audit.services import audit_verify
from tousu.complaints.models import Complaint
from tousu.demo.loader import demo_organisation_create
from tousu.notifications.channels import message_id
from tousu.notifications.choices import DeliveryStatus
from tousu.notifications.models import Notification
from tousu.notifications.services import LEASE
from tousu.notifications.tests.loopback import MailServer
from tousu.supervision.choices import RunStatus
from tousu.supervision.models import WorkerRun
from tousu.supervision.tests.checks import RECEIPT, complaints_whole, settle
from tousu.supervision.tests.intake_load import PATH, Load, registration
from tousu.supervision.tests.processes import Children, WebProcess, mail_env

REGISTRATIONS = 100
KILL_AFTER = 30  # 201s seen before the first kill
HOLD_AT = 50  # the mail the server takes and holds its answer to: the second kill
LOAD_LIMIT = 70  # seconds


class HoldingMailServer(MailServer):
    """Takes the ``hold_at``-th mail (it has arrived) and keeps its sender waiting for
    the answer until ``released``: the sender is caught mid-delivery."""

    def __init__(self, hold_at: int):
        super().__init__()
        self.hold_at = hold_at
        self.holding = threading.Event()
        self.released = threading.Event()

    async def handle_DATA(self, server, session, envelope):
        answer = await super().handle_DATA(server, session, envelope)
        if len(self.delivered) == self.hold_at and not self.holding.is_set():
            self.holding.set()
            await asyncio.get_running_loop().run_in_executor(None, self.released.wait, 60)
        return answer

    def __enter__(self) -> HoldingMailServer:
        super().__enter__()
        return self

    def __exit__(self, *exc_info) -> None:
        self.released.set()
        super().__exit__(*exc_info)


@pytest.mark.slow
@pytest.mark.postgres  # a heavy test: one leg runs it, on the production database
@pytest.mark.django_db(transaction=True)
def test_kill_9_of_web_server_and_worker_loses_no_registered_complaint(tmp_path):
    users = demo_organisation_create("school")
    token = token_create(user=users["reception"], name="load")
    started = time.monotonic()
    with HoldingMailServer(HOLD_AT) as mail:
        env = mail_env(mail.port)
        children = Children(tmp_path, env=env)
        server = WebProcess(tmp_path, "web", env=env)
        try:
            server.start()
            worker = children.worker_loop(shift=0, interval=0.2, name="worker-1")
            bodies = [registration(n, category="teacher_attendance") for n in range(REGISTRATIONS)]
            load = Load([server.url], token, bodies, threads=4, seconds=LOAD_LIMIT).start()
            load.wait_for(KILL_AFTER, timeout=LOAD_LIMIT)
            server.kill9()
            worker.kill9()
            server.start()
            worker = children.worker_loop(shift=0, interval=0.2, name="worker-2")
            assert mail.holding.wait(timeout=LOAD_LIMIT), worker.stderr[-3000:]
            in_flight = mail.delivered[HOLD_AT - 1]["X-Tousu-Key"]
            server.kill9()
            worker.kill9()
            mail.released.set()
            server.start()
            worker = children.worker_loop(shift=0, interval=0.2, name="worker-3")
            load.join(timeout=LOAD_LIMIT + 30)

            def alive() -> None:
                assert worker.process.poll() is None, worker.stderr[-3000:]

            settle(timeout=60, alive=alive, deadlines=False)
            # SIGTERM stops a worker after its pass in hand once its loop runs; before that
            # (still starting) it simply ends. Wait for its first pass, bounded.
            started = time.monotonic()
            while not WorkerRun.objects.filter(
                worker__endswith=f":{worker.process.pid}", status=RunStatus.DONE
            ).exists():
                alive()
                assert time.monotonic() - started < 60, "the restarted worker made no pass"
                time.sleep(0.1)
            assert worker.terminate(timeout=30) == 0, worker.stderr[-3000:]
            # What the killed workers had claimed waits for the claim to end; a pass after
            # that takes it up again.
            later = timezone.now() + LEASE + timedelta(minutes=1)
            children.command("worker", "--once", "--now", later.isoformat(), name="late").succeed(
                timeout=60
            )
            answered = server.answered("POST", PATH)
        finally:
            children.stop_all()
            server.stop()
        delivered = list(mail.delivered)

    created = {s.tracking_no for s in load.created()}
    cut_off = [s for s in load.sent if s.status is None and not s.error.startswith("not sent")]
    # Bounded by time too: on a busy machine the last bodies may not have been sent.
    assert len(created) >= KILL_AFTER
    assert {s.status for s in load.sent} <= {201, None}, Counter(s.status for s in load.sent)
    # No complaint that got a 201 is lost, and each one in the database is whole ...
    complaints_whole(created)
    stored = Complaint.objects.count()
    # ... and those without a 201 are requests the kill cut off (all or nothing).
    assert len(created) <= stored <= len(created) + len(cut_off)
    # The server's own log: no more 201s than complaints (a line may die with it).
    assert answered[201] <= stored
    report = audit_verify()
    assert report.ok, report

    # Every receipt arrived; a repeat only for a mail in flight at a kill, recognisable.
    receipts = set(Notification.objects.filter(key__endswith=RECEIPT).values_list("key", flat=True))
    assert len(receipts) == stored
    assert set(Notification.objects.filter(key__in=receipts).values_list("status", flat=True)) == {
        DeliveryStatus.DELIVERED
    }
    arrived = Counter(m["X-Tousu-Key"] for m in delivered)
    assert set(arrived) == receipts
    repeats = {k: n for k, n in arrived.items() if n > 1}
    # The held one came twice; the first kill may have caught one in flight as well.
    assert repeats.pop(in_flight, None) == 2
    assert len(repeats) <= 1 and set(repeats.values()) <= {2}, repeats
    assert all(m["Message-ID"] == message_id(m["X-Tousu-Key"]) for m in delivered)
    print(
        f"\n{len(load.sent)} bodies in {time.monotonic() - started:.1f} s with "
        f"2 kill -9 rounds: {len(created)} 201s, {len(cut_off)} cut off, "
        f"{stored} complaints, {len(delivered)} mails for {len(receipts)} receipts "
        f"({len(repeats) + 1} repeated)"
    )
