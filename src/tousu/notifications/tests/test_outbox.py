"""The outbox: retries with exponential backoff, the end of the road (dead), an operator's
retry, and idempotency — time moves by passing ``now=``, never by sleeping."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tousu.notifications.choices import Channel, DeliveryStatus
from tousu.notifications.models import Notification
from tousu.notifications.services import (
    backoff,
    notification_retry,
    notify_complainant,
    outbox_deliver,
    user_channel_set,
)
from tousu.notifications.services import notify_users as _notify_users

pytestmark = pytest.mark.django_db


def notify_users(**kwargs):
    """The outbox itself, without a subject's gate (the gate has its own tests)."""
    return _notify_users(can_see=lambda user: True, **kwargs)


NOTHING = {"delivered": 0, "retried": 0, "dead": 0}
RETRIED = {"delivered": 0, "retried": 1, "dead": 0}
DELIVERED = {"delivered": 1, "retried": 0, "dead": 0}


@pytest.fixture(autouse=True)
def _retry_settings(settings):
    settings.NOTIFICATION_BACKOFF_SECONDS = 30
    settings.NOTIFICATION_BACKOFF_CAP_SECONDS = 3600
    settings.NOTIFICATION_MAX_ATTEMPTS = 4


@pytest.mark.parametrize(
    ("base", "cap", "attempts", "seconds"),
    [
        (30, 3600, 0, 30),
        (30, 3600, 1, 30),
        (30, 3600, 2, 60),
        (30, 3600, 3, 120),
        (30, 3600, 4, 240),
        (30, 3600, 7, 1920),
        (30, 3600, 8, 3600),  # 3840 capped
        (30, 3600, 9, 3600),
        (30, 3600, 1000, 3600),  # no overflow however long it has failed
        (10, 45, 1, 10),
        (10, 45, 3, 40),
        (10, 45, 4, 45),
    ],
)
def test_backoff_doubles_up_to_the_cap(settings, base, cap, attempts, seconds):
    settings.NOTIFICATION_BACKOFF_SECONDS = base
    settings.NOTIFICATION_BACKOFF_CAP_SECONDS = cap
    assert backoff(attempts) == timedelta(seconds=seconds)


def _dingtalk_row() -> Notification:
    return Notification.objects.get(channel=Channel.DINGTALK)


def test_a_robot_error_is_retried_with_backoff_until_dead_then_an_operator_retries(
    org, web, complaint, t0
):
    web.dingtalk_secret = "SECrobot"
    user_channel_set(
        user=org.handler,
        channel=Channel.DINGTALK,
        address=web.url("/dingtalk?access_token=tok"),
        secret="SECtypo",
    )
    notify_users(
        users=[org.handler],
        key="deadline:1:warning",
        complaint=complaint,
        event="warning",
        now=t0,
        due_at=t0,
    )

    at = t0
    for attempt in (1, 2, 3):
        assert outbox_deliver(now=at) == RETRIED
        row = _dingtalk_row()
        assert (row.status, row.attempts) == (DeliveryStatus.PENDING, attempt)
        assert row.last_error == "robot error 310000: sign not match"
        assert row.next_attempt_at == at + timedelta(seconds=30 * 2 ** (attempt - 1))
        # Not due a second before its time.
        assert outbox_deliver(now=row.next_attempt_at - timedelta(seconds=1)) == NOTHING
        at = row.next_attempt_at

    assert outbox_deliver(now=at) == {"delivered": 0, "retried": 0, "dead": 1}
    row = _dingtalk_row()
    assert (row.status, row.attempts) == (DeliveryStatus.DEAD, 4)
    assert row.last_error == "robot error 310000: sign not match"
    assert len(web.at("/dingtalk")) == 4
    assert outbox_deliver(now=at + timedelta(days=30)) == NOTHING

    # The robot's secret is reset to the one Tousu holds, and an operator retries.
    web.dingtalk_secret = "SECtypo"
    later = at + timedelta(days=1)
    notification_retry(notification=row, now=later)
    row = _dingtalk_row()
    assert (row.status, row.attempts, row.last_error) == (DeliveryStatus.PENDING, 0, "")
    assert row.next_attempt_at == later

    assert outbox_deliver(now=later) == DELIVERED
    row = _dingtalk_row()
    assert (row.status, row.attempts, row.delivered_at) == (DeliveryStatus.DELIVERED, 1, later)
    assert len(web.at("/dingtalk")) == 5


def test_retry_leaves_a_notification_that_is_not_dead_alone(org, web, complaint, t0):
    user_channel_set(user=org.handler, channel=Channel.WECOM, address=web.url("/wecom"))
    notify_users(users=[org.handler], key="k", complaint=complaint, event="warning", now=t0)
    outbox_deliver(now=t0)

    notification_retry(notification=Notification.objects.get(channel=Channel.WECOM))

    assert Notification.objects.get(channel=Channel.WECOM).status == DeliveryStatus.DELIVERED
    assert outbox_deliver(now=t0 + timedelta(days=1)) == NOTHING
    assert len(web.at("/wecom")) == 1


def test_a_mail_server_saying_try_later_gets_the_same_message_again(mail, complaint, settings, t0):
    settings.SMS_WEBHOOK_URL = ""
    mail.tempfail_data = 2
    notify_complainant(complaint=complaint, event="received", now=t0)

    assert outbox_deliver(now=t0) == RETRIED
    assert Notification.objects.get().last_error == "SMTP 451"
    assert outbox_deliver(now=t0 + timedelta(seconds=30)) == RETRIED
    assert outbox_deliver(now=t0 + timedelta(seconds=89)) == NOTHING
    assert outbox_deliver(now=t0 + timedelta(seconds=90)) == DELIVERED

    row = Notification.objects.get()
    assert (row.status, row.attempts) == (DeliveryStatus.DELIVERED, 3)
    assert [len(mail.refused), len(mail.delivered)] == [2, 1]
    tries = [*mail.refused, *mail.delivered]
    assert {message["X-Tousu-Key"] for message in tries} == {row.key}
    assert {message.get_content() for message in tries} == {mail.delivered[0].get_content()}


def test_message_id_is_the_same_on_every_try(mail, complaint, settings, t0):
    settings.SMS_WEBHOOK_URL = ""
    mail.tempfail_data = 1
    notify_complainant(complaint=complaint, event="received", now=t0)

    outbox_deliver(now=t0)
    outbox_deliver(now=t0 + timedelta(seconds=30))

    assert mail.delivered[0]["Message-ID"] == mail.refused[0]["Message-ID"]


def test_a_refused_mailbox_is_dead_after_one_try(mail, complaint, settings, t0):
    settings.SMS_WEBHOOK_URL = ""
    mail.unknown = {"zhang.wei@example.cn"}
    notify_complainant(complaint=complaint, event="received", now=t0)

    assert outbox_deliver(now=t0) == {"delivered": 0, "retried": 0, "dead": 1}
    row = Notification.objects.get()
    assert (row.status, row.attempts) == (DeliveryStatus.DEAD, 1)
    assert row.last_error == "the mail server refused the address"
    assert outbox_deliver(now=t0 + timedelta(days=1)) == NOTHING
    assert mail.delivered == []


def test_a_greylisted_recipient_is_tried_again(mail, complaint, settings, t0):
    settings.SMS_WEBHOOK_URL = ""
    mail.tempfail_rcpt = 1
    notify_complainant(complaint=complaint, event="received", now=t0)

    assert outbox_deliver(now=t0) == RETRIED
    assert outbox_deliver(now=t0 + timedelta(seconds=30)) == DELIVERED


def test_the_same_cause_is_queued_and_delivered_once(org, mail, web, complaint, settings, t0):
    settings.SMS_WEBHOOK_URL = web.url("/sms")
    user_channel_set(user=org.handler, channel=Channel.EMAIL, address="liu.yang@example.cn")
    user_channel_set(user=org.handler, channel=Channel.DINGTALK, address=web.url("/dingtalk"))
    for _ in range(2):
        notify_users(
            users=[org.handler, org.handler],
            key="deadline:7:breach",
            complaint=complaint,
            event="breach",
            now=t0,
            due_at=t0,
        )
        notify_complainant(complaint=complaint, event="received", now=t0)

    assert sorted(Notification.objects.values_list("channel", flat=True)) == sorted(
        [Channel.IN_APP, Channel.EMAIL, Channel.DINGTALK, Channel.EMAIL, Channel.SMS]
    )
    assert outbox_deliver(now=t0) == {"delivered": 4, "retried": 0, "dead": 0}
    assert outbox_deliver(now=t0 + timedelta(days=1)) == NOTHING

    assert sorted(message["To"] for message in mail.delivered) == [
        "liu.yang@example.cn",
        "zhang.wei@example.cn",
    ]
    assert len(web.at("/dingtalk")) == 1
    assert len(web.at("/sms")) == 1


def test_queueing_the_same_cause_again_reports_nothing_queued(org, complaint, t0):
    user_channel_set(user=org.handler, channel=Channel.EMAIL, address="liu.yang@example.cn")
    arguments = {"users": [org.handler], "key": "k", "complaint": complaint, "event": "breach"}
    assert notify_users(**arguments, now=t0) == 2

    assert notify_users(**arguments, now=t0) == 0


def test_a_row_claimed_by_another_worker_waits_for_its_lease(org, web, complaint, t0):
    user_channel_set(user=org.handler, channel=Channel.WECOM, address=web.url("/wecom"))
    notify_users(users=[org.handler], key="k", complaint=complaint, event="warning", now=t0)
    # Another worker took it and has not finished (or died) — its lease runs 5 minutes.
    Notification.objects.filter(channel=Channel.WECOM).update(
        status=DeliveryStatus.DELIVERING, attempts=1, lease_until=t0 + timedelta(minutes=5)
    )

    assert outbox_deliver(now=t0 + timedelta(minutes=4)) == NOTHING
    assert outbox_deliver(now=t0 + timedelta(minutes=6)) == DELIVERED
    assert Notification.objects.get(channel=Channel.WECOM).attempts == 2
