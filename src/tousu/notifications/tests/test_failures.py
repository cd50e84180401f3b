"""Hosts that fail, hang or answer nonsense: which failures are tried again, that one slow
host never holds up the others, and that no personal data reaches the logs."""

from __future__ import annotations

import pytest

from tousu.notifications.choices import Channel, DeliveryStatus
from tousu.notifications.models import Notification
from tousu.notifications.services import (
    backoff,
    outbox_deliver,
    user_channel_set,
)
from tousu.notifications.services import notify_users as _notify_users

pytestmark = pytest.mark.django_db


def notify_users(**kwargs):
    """The outbox itself, without a subject's gate (the gate has its own tests)."""
    return _notify_users(can_see=lambda user: True, **kwargs)


def _queue(user, channel, address, complaint, t0):
    """``user`` told over ``channel`` at ``address``; returns the outbox row."""
    user_channel_set(user=user, channel=channel, address=address)
    notify_users(users=[user], key=f"test:{user.pk}", complaint=complaint, event="warning", now=t0)
    return Notification.objects.get(recipient=user, channel=channel)


@pytest.mark.parametrize(
    ("status", "outcome"),
    [
        (500, DeliveryStatus.PENDING),
        (502, DeliveryStatus.PENDING),
        (503, DeliveryStatus.PENDING),
        (408, DeliveryStatus.PENDING),
        (429, DeliveryStatus.PENDING),
        (400, DeliveryStatus.DEAD),
        (403, DeliveryStatus.DEAD),
        (404, DeliveryStatus.DEAD),
    ],
)
def test_server_errors_are_tried_again_and_client_errors_are_not(
    org, web, complaint, t0, status, outcome
):
    row = _queue(org.handler, Channel.WEBHOOK, web.url(f"/status/{status}"), complaint, t0)

    outbox_deliver(now=t0)

    row.refresh_from_db()
    assert (row.status, row.attempts, row.last_error) == (outcome, 1, f"HTTP {status}")
    if outcome == DeliveryStatus.PENDING:
        assert row.next_attempt_at == t0 + backoff(1)


def test_a_hanging_host_times_out_and_does_not_hold_up_the_others(
    org, web, complaint, settings, t0
):
    settings.NOTIFICATION_TIMEOUT = 1
    hanging = _queue(org.handler, Channel.DINGTALK, web.url("/hang"), complaint, t0)
    good = _queue(org.head, Channel.WECOM, web.url("/wecom"), complaint, t0)
    assert hanging.pk < good.pk  # the hanging one is tried first

    assert outbox_deliver(now=t0) == {"delivered": 1, "retried": 1, "dead": 0}

    hanging.refresh_from_db()
    assert (hanging.status, hanging.attempts) == (DeliveryStatus.PENDING, 1)
    # The client gave up (had the host closed the connection, the error would say so).
    assert hanging.last_error == "no answer: timed out"
    assert hanging.next_attempt_at == t0 + backoff(1)
    good.refresh_from_db()
    assert good.status == DeliveryStatus.DELIVERED
    assert len(web.at("/hang")) == len(web.at("/wecom")) == 1


def test_a_host_answering_drop_by_drop_is_cut_off_at_the_timeout(org, web, complaint, settings, t0):
    settings.NOTIFICATION_TIMEOUT = 1
    row = _queue(org.handler, Channel.WECOM, web.url("/drip"), complaint, t0)

    assert outbox_deliver(now=t0) == {"delivered": 0, "retried": 1, "dead": 0}

    row.refresh_from_db()
    assert row.status == DeliveryStatus.PENDING and row.last_error == "no answer: timed out"


@pytest.mark.parametrize("path", ["/not-http", "/json-null"])
def test_a_nonsense_answer_is_a_failed_try_and_the_pass_goes_on(org, web, complaint, t0, path):
    odd = _queue(org.handler, Channel.DINGTALK, web.url(path), complaint, t0)
    good = _queue(org.head, Channel.WECOM, web.url("/wecom"), complaint, t0)

    assert outbox_deliver(now=t0) == {"delivered": 1, "retried": 1, "dead": 0}

    odd.refresh_from_db()
    good.refresh_from_db()
    assert odd.status == DeliveryStatus.PENDING and odd.lease_until is None and odd.last_error
    assert good.status == DeliveryStatus.DELIVERED


def test_failures_are_logged_without_personal_data(complaint, web, settings, caplog, t0):
    settings.SMS_WEBHOOK_URL = web.url("/status/404")  # the gateway refuses: final
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", 9  # nothing listens: try again
    from tousu.notifications.services import notify_complainant

    notify_complainant(complaint=complaint, event="received", now=t0)
    rows = list(Notification.objects.order_by("pk"))

    assert outbox_deliver(now=t0) == {"delivered": 0, "retried": 1, "dead": 1}

    # The test's own SMTP server logs the envelope: that is not Tousu's log.
    records = [r for r in caplog.records if not r.name.startswith("mail.log")]
    warnings = [r for r in records if r.name == "tousu.notifications.services"]
    assert len(warnings) == 2  # the failures are logged…
    assert {(r.args[0], r.args[1]) for r in warnings} == {(r.pk, r.channel) for r in rows}
    logged = "\n".join(f"{r.getMessage()}\n{r.exc_text or ''}" for r in records)
    for secret in ("13812345678", "zhang.wei@example.cn", "张伟", rows[0].body, rows[0].subject):
        assert secret not in logged  # …without the address, the number or the text
