"""Acceptance: `tousu drill run dealer_315 --scenario <the shipped 3·15 scenario>` finishes
unattended, leaves the real lists, counts and ledger unchanged, sends nothing to a real
channel, and writes the evaluation report (HTML and PDF) with times against targets and
the scenario's missed deadline.

The real organisation has live channels: its people have e-mail addresses and a webhook
robot on loopback servers that work (the control below proves it), and the environment
names the mail server and an SMS gateway — the drill reaches none of them."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from tousu.accounts.models import Organisation, User
from tousu.assessment.models import PenaltyEntry
from tousu.audit.models import AuditEvent
from tousu.complaints.models import Complaint
from tousu.deadlines.models import Deadline
from tousu.demo.loader import demo_organisation_create
from tousu.incidents.choices import DrillStatus
from tousu.incidents.models import Drill, Incident
from tousu.notifications.models import Notification, UserChannel
from tousu.notifications.services import outbox_deliver
from tousu.notifications.tests.loopback import MailServer, WebServer
from tousu.plans.models import PlanRevision
from tousu.supervision.models import WorkerRun


def _counts() -> dict[str, int]:
    return {
        "complaints": Complaint.objects.count(),
        "incidents": Incident.objects.count(),
        "deadlines": Deadline.objects.count(),
        "notifications": Notification.objects.count(),
        "penalties": PenaltyEntry.objects.count(),
        "audit": AuditEvent.objects.count(),
        "worker_runs": WorkerRun.objects.count(),
        "plan_revisions": PlanRevision.objects.count(),
    }


@pytest.fixture
def live_channels(settings, monkeypatch):
    with MailServer() as mail, WebServer() as web:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", mail.port
        settings.OUTBOUND_ALLOW_LOOPBACK = True
        for name, value in {
            "TOUSU_EMAIL_HOST": "127.0.0.1",
            "TOUSU_EMAIL_PORT": str(mail.port),
            "TOUSU_SMS_WEBHOOK_URL": web.url("/sms"),
            "TOUSU_OUTBOUND_HOSTS": "127.0.0.1",
        }.items():
            monkeypatch.setenv(name, value)
        yield mail, web


@pytest.mark.slow
def test_the_315_drill_runs_unattended_in_isolation_and_reports(db, live_channels):
    mail, web = live_channels
    people = demo_organisation_create("dealer_315")
    for person in people.values():
        person.email = f"{person.username}@dealer.example.cn"
        person.save(update_fields=["email"])
    UserChannel.objects.create(
        user=people["leader"], channel="webhook", address=web.url("/robot"), enabled=True
    )
    # The control: the real outbox reaches the real channels.
    Notification.objects.create(
        key="control", channel="email", address="gm@dealer.example.cn", subject="s", body="b"
    )
    outbox_deliver(now=timezone.now())
    assert len(mail.delivered) == 1
    before = _counts()

    out = io.StringIO()
    call_command("drill", "run", "dealer_315", "--scenario", "dealer_315.yaml", stdout=out)

    drill = Drill.objects.get()
    assert drill.status == DrillStatus.FINISHED, drill.error
    assert "finished" in out.getvalue() and "events/s" in out.getvalue()
    # Nothing reached a real channel, and the real database is as it was.
    assert len(mail.delivered) == 1 and not mail.refused
    assert web.received == []
    assert _counts() == before
    figures = drill.figures
    assert figures["notifications"]["external_sent"] == 0
    assert figures["notifications"]["in_app"] > 0
    # The 3·15 surge: 200 complaints in two hours (one of them about failing brakes),
    # measured against the plan's targets.
    assert figures["complaints"]["count"] == 200
    times = figures["times"]
    assert times["acknowledge"]["target"] == {"amount": "2", "unit": "hours"}
    assert times["acknowledge"]["measured"] == 198  # the two left alone on purpose
    assert figures["incidents"], "the surge activates the response"
    # The scenario's deliberate miss is found, missed, and in the report.
    deliberate = [m for m in figures["missed"] if m["deliberate"]]
    assert {m["kind"] for m in deliberate} >= {"notify_department"}
    assert all(d["found"] for d in figures["deliberate"])
    html = drill.report_html
    for text in ("演练评估报告", "预案目标", "受理响应", "通知责任部门时限", "情景设定故意未办"):
        assert text in html, text
    assert "预案修订建议" in html and figures["evaluation"]["proposal"]
    pdf = bytes(drill.report_pdf)
    assert pdf.startswith(b"%PDF") and b"/FontFile3" in pdf  # the CJK font is embedded
    # The drill's own database is gone with it.
    from tousu.incidents.drills.services import drill_directory

    assert not drill_directory(drill).exists()


@pytest.mark.slow
def test_a_template_the_organisation_does_not_run_is_drilled_with_its_demo_staff(db):
    if connection.vendor == "postgresql":
        pytest.skip("a drill's own database is SQLite either way: the SQLite leg runs it")
    # A market office drills the 3·15 plan: its own people hold none of the plan's roles,
    # so the template's demo staff play them — in the drill's database only.
    demo_organisation_create("market")
    before = _counts()
    people = set(User.objects.values_list("username", flat=True))
    call_command(
        "drill", "run", "dealer_315", "--scenario", "dealer_315.yaml", stdout=io.StringIO()
    )
    drill = Drill.objects.get()
    assert drill.status == DrillStatus.FINISHED, drill.error
    assert drill.plan.key == "dealer_315" and "演练评估报告" in drill.report_html
    assert Organisation.objects.get().plan.key == "market"
    assert set(User.objects.values_list("username", flat=True)) == people
    after = _counts()
    # The drilled template is stored as a plan (configuration, with its audit events);
    # nothing else changed.
    assert after.pop("plan_revisions") == before.pop("plan_revisions") + 1
    added = AuditEvent.objects.order_by("-seq")[: after.pop("audit") - before.pop("audit")]
    assert {event.object_type for event in added} == {"plan"}
    assert after == before
