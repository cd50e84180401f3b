"""The complaint page lists every message sent to the complainant and whether it
arrived — delivered by the outbox to a real SMTP server on loopback, or not."""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils import timezone, translation

from tousu.complaints.deliveries import complaint_deliveries, error_short
from tousu.complaints.services import ComplainantData, complaint_register
from tousu.complaints.workflow import complaint_act
from tousu.demo.loader import demo_organisation_create
from tousu.notifications.services import outbox_deliver
from tousu.notifications.tests.loopback import MailServer

pytestmark = pytest.mark.django_db

EMAIL = "zhang.wei@example.cn"


@pytest.fixture
def mail(settings):
    """A real SMTP server on loopback, and Django sending to it."""
    with MailServer() as server:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST = "127.0.0.1"
        settings.EMAIL_PORT = server.port
        settings.EMAIL_HOST_USER = ""
        settings.EMAIL_HOST_PASSWORD = ""
        settings.EMAIL_USE_TLS = False
        settings.EMAIL_USE_SSL = False
        yield server


@pytest.fixture
def market(db):
    return demo_organisation_create("market")


def _register(users, email: str = EMAIL):
    return complaint_register(
        actor=users["clerk"],
        channel="phone",
        title="电热水壶使用一周漏水",
        description="使用一周后底座漏水，商家拒绝调换。",
        category="quality",
        complainant=ComplainantData(
            name="张伟", phone="13812345678", email=email, address="东湖区幸福路88号3单元502室"
        ),
    )


def _section(client: Client, complaint) -> str:
    html = client.get(f"/complaints/{complaint.tracking_no}/").content.decode()
    start = html.index('id="deliveries"')
    return html[start : html.index("</ol>", start)]


def test_delivered_messages_are_listed_with_their_kind_channel_and_masked_address(market, mail):
    complaint = _register(market)
    complaint.refresh_from_db()
    complaint_act(
        complaint=complaint, actor=market["clerk"], action="accept", version=complaint.version
    )
    assert outbox_deliver()["delivered"] >= 2
    assert {m["To"] for m in mail.delivered} >= {EMAIL}

    client = Client()
    client.force_login(market["clerk"])
    section = _section(client, complaint)
    assert section.count('data-state="delivered"') == 2
    assert "z***@example.cn" in section and EMAIL not in section
    assert "幸福路" not in section and "complainant:" not in section  # no address, no keys
    with translation.override("en"):
        kinds = [(d.kind, d.channel) for d in complaint_deliveries(complaint)]
    assert kinds == [("Receipt", "Email"), ("Accepted", "Email")]


def test_a_refused_and_a_deferred_delivery_are_shown_as_failed_and_retrying(market, mail):
    refused = _register(market, email="nobody@example.cn")
    deferred = _register(market, email="later@example.cn")
    mail.unknown = {"nobody@example.cn"}  # 550: final
    mail.tempfail_rcpt = 1  # the next address is greylisted once: try again later
    now = timezone.now()
    outbox_deliver(now=now)

    client = Client()
    client.force_login(market["clerk"])
    failed = _section(client, refused)
    assert 'data-state="failed"' in failed and "the mail server refused the address" in failed
    retrying = _section(client, deferred)
    assert 'data-state="retrying"' in retrying and "l***@example.cn" in retrying
    [row] = complaint_deliveries(deferred)
    assert row.state == "retrying" and row.attempts == 1
    assert row.next_attempt_at is not None and row.next_attempt_at > now

    outbox_deliver(now=row.next_attempt_at)  # the greylisting is over
    assert 'data-state="delivered"' in _section(client, deferred)


def test_listing_the_deliveries_takes_one_query(market, django_assert_num_queries):
    complaint = _register(market)
    complaint.refresh_from_db()
    complaint_act(
        complaint=complaint, actor=market["clerk"], action="accept", version=complaint.version
    )
    with django_assert_num_queries(1):
        deliveries = complaint_deliveries(complaint)
    assert len(deliveries) == 2 and {d.state for d in deliveries} == {"queued"}


def test_a_delivery_error_is_shown_short_without_addresses_or_numbers():
    text = "550 5.1.1 <zhang.wei@example.cn>: mailbox unavailable, call 13812345678\nmore"
    shown = error_short(text)
    assert "zhang.wei@example.cn" not in shown and "z***@example.cn" in shown
    assert "13812345678" not in shown and "138****5678" in shown and "more" not in shown
    assert len(error_short("x" * 500)) == 80
