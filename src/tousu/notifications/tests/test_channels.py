"""Each channel delivers through a real server on loopback: SMTP for email, and HTTP
robots that check signatures the way DingTalk and Feishu do."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tousu.accounts.choices import Role
from tousu.accounts.services import user_create
from tousu.complaints.tests.factories import complaint_make
from tousu.core.problems import InvalidInput
from tousu.notifications.choices import Channel, DeliveryStatus
from tousu.notifications.models import Notification, UserChannel
from tousu.notifications.services import (
    notify_complainant,
    outbox_deliver,
    user_channel_set,
)
from tousu.notifications.services import notify_users as _notify_users

pytestmark = pytest.mark.django_db


def notify_users(**kwargs):
    """The outbox itself, without a subject's gate (the gate has its own tests)."""
    return _notify_users(can_see=lambda user: True, **kwargs)


ALL_DELIVERED = {"delivered": 1, "retried": 0, "dead": 0}


def _warn(users, complaint, t0, key="deadline:1:warning"):
    notify_users(users=users, key=key, complaint=complaint, event="warning", now=t0, due_at=t0)


def test_email_reaches_staff_and_complainant_over_smtp(org, mail, complaint, settings, t0):
    staff = user_create(
        username="chen",
        password=None,
        full_name="陈静",
        roles=[Role.DEPARTMENT_HANDLER],
        department=org.quality,
        email="chen.jing@example.cn",
    )
    _warn([staff], complaint, t0)
    settings.SMS_WEBHOOK_URL = ""
    notify_complainant(complaint=complaint, event="received", now=t0)

    assert outbox_deliver(now=t0) == {"delivered": 2, "retried": 0, "dead": 0}

    received = {message["To"]: message for message in mail.delivered}
    assert sorted(received) == ["chen.jing@example.cn", "zhang.wei@example.cn"]
    for address, message in received.items():
        row = Notification.objects.get(key=message["X-Tousu-Key"])
        assert (row.channel, row.address) == (Channel.EMAIL, address)
        assert row.status == DeliveryStatus.DELIVERED
        assert row.delivered_at == t0
        assert message["From"] == settings.DEFAULT_FROM_EMAIL
        # Python's parser keeps the space that folding puts before an encoded word.
        assert message["Subject"].strip() == row.subject
        assert message.get_content().rstrip("\n") == row.body
        assert complaint.tracking_no in message["Subject"]
    # The staff message names the complaint by its (Chinese) title.
    assert "电热水壶使用一周漏水" in received["chen.jing@example.cn"]["Subject"]
    assert (
        Notification.objects.get(key=received["zhang.wei@example.cn"]["X-Tousu-Key"]).recipient
        is None
    )


def test_a_reply_with_a_line_break_is_still_emailed(org, mail, complaint, settings, t0):
    settings.SMS_WEBHOOK_URL = ""
    notify_complainant(
        complaint=complaint, event="reply", now=t0, reply="经核实，商家同意退货。\n请携带小票办理。"
    )
    row = Notification.objects.get(channel=Channel.EMAIL)
    assert "\n" not in row.subject  # a mail header is one line
    assert outbox_deliver(now=t0) == ALL_DELIVERED
    assert "经核实" in mail.delivered[0].get_content()


def test_dingtalk_robot_verifies_the_signature(org, web, complaint, t0):
    web.dingtalk_secret = "SEC0123456789abcdef"
    user_channel_set(
        user=org.handler,
        channel=Channel.DINGTALK,
        address=web.url("/dingtalk?access_token=tok"),
        secret="SEC0123456789abcdef",
    )
    _warn([org.handler], complaint, t0)

    assert outbox_deliver(now=t0) == ALL_DELIVERED

    [request] = web.at("/dingtalk")
    row = Notification.objects.get(channel=Channel.DINGTALK)
    assert row.status == DeliveryStatus.DELIVERED
    assert request.query.keys() == {"access_token", "timestamp", "sign"}
    assert request.query["access_token"] == "tok"
    assert request.headers["X-Tousu-Key"] == row.key
    assert request.body == {"msgtype": "text", "text": {"content": f"{row.subject}\n{row.body}"}}


def test_dingtalk_robot_without_a_secret_gets_no_signature(org, web, complaint, t0):
    user_channel_set(user=org.handler, channel=Channel.DINGTALK, address=web.url("/dingtalk"))
    _warn([org.handler], complaint, t0)

    assert outbox_deliver(now=t0) == ALL_DELIVERED
    assert web.at("/dingtalk")[0].query == {}


def test_wecom_robot_receives_the_text(org, web, complaint, t0):
    user_channel_set(user=org.handler, channel=Channel.WECOM, address=web.url("/wecom?key=k"))
    _warn([org.handler], complaint, t0)

    assert outbox_deliver(now=t0) == ALL_DELIVERED

    [request] = web.at("/wecom")
    row = Notification.objects.get(channel=Channel.WECOM)
    assert request.query == {"key": "k"}
    assert request.body == {"msgtype": "text", "text": {"content": f"{row.subject}\n{row.body}"}}
    assert "电热水壶使用一周漏水" in request.body["text"]["content"]


def test_feishu_robot_verifies_the_signature(org, web, complaint, t0):
    web.feishu_secret = "feishu-secret"
    user_channel_set(
        user=org.handler, channel=Channel.FEISHU, address=web.url("/feishu"), secret="feishu-secret"
    )
    _warn([org.handler], complaint, t0)

    assert outbox_deliver(now=t0) == ALL_DELIVERED

    [request] = web.at("/feishu")
    row = Notification.objects.get(channel=Channel.FEISHU)
    assert request.body["msg_type"] == "text"
    assert request.body["content"] == {"text": f"{row.subject}\n{row.body}"}
    assert {"timestamp", "sign"} <= request.body.keys()


def test_feishu_robot_refusing_the_signature_means_another_try(org, web, complaint, t0):
    web.feishu_secret = "feishu-secret"
    user_channel_set(
        user=org.handler, channel=Channel.FEISHU, address=web.url("/feishu"), secret="typo"
    )
    _warn([org.handler], complaint, t0)

    assert outbox_deliver(now=t0) == {"delivered": 0, "retried": 1, "dead": 0}
    row = Notification.objects.get(channel=Channel.FEISHU)
    assert row.status == DeliveryStatus.PENDING
    assert row.last_error.startswith("robot error 19021")


def test_sms_goes_to_the_gateway_with_the_phone_number(org, web, settings, t0):
    settings.SMS_WEBHOOK_URL = web.url("/sms")
    complaint = complaint_make(org.clerk)  # a phone number, no email address
    notify_complainant(complaint=complaint, event="received", now=t0)

    assert outbox_deliver(now=t0) == ALL_DELIVERED

    row = Notification.objects.get()
    assert row.channel == Channel.SMS
    [request] = web.at("/sms")
    assert request.headers["X-Tousu-Key"] == row.key
    assert request.body == {
        "key": row.key,
        "to": "13812345678",
        "subject": row.subject,
        "text": row.body,
        "complaint": complaint.tracking_no,
    }


def test_no_sms_is_queued_without_a_gateway(complaint, settings, t0):
    settings.SMS_WEBHOOK_URL = ""
    notify_complainant(complaint=complaint, event="received", now=t0)

    assert list(Notification.objects.values_list("channel", flat=True)) == [Channel.EMAIL]


def test_generic_webhook_receives_json(org, web, complaint, t0):
    user_channel_set(user=org.handler, channel=Channel.WEBHOOK, address=web.url("/hook"))
    _warn([org.handler], complaint, t0)

    assert outbox_deliver(now=t0) == ALL_DELIVERED
    [request] = web.at("/hook")
    row = Notification.objects.get(channel=Channel.WEBHOOK)
    assert request.body["key"] == row.key
    assert request.body["complaint"] == complaint.tracking_no


NOT_HTTP = [
    "ftp://robot.example.cn/send",
    "javascript:alert(1)",
    "file:///etc/passwd",
    "http:///no-host",
    "robot.example.cn/send",
    "",
]


@pytest.mark.parametrize("address", NOT_HTTP)
@pytest.mark.parametrize(
    "channel", [Channel.DINGTALK, Channel.WECOM, Channel.FEISHU, Channel.WEBHOOK]
)
def test_a_webhook_must_be_an_http_url(org, channel, address):
    with pytest.raises(InvalidInput) as raised:
        user_channel_set(user=org.handler, channel=channel, address=address)

    assert list(raised.value.field_errors) == ["address"]
    assert not UserChannel.objects.exists()


def test_a_refused_url_leaves_the_previous_one(org):
    good = "https://oapi.dingtalk.com/robot/send?access_token=tok"
    user_channel_set(user=org.handler, channel=Channel.DINGTALK, address=good)

    with pytest.raises(InvalidInput):
        user_channel_set(user=org.handler, channel=Channel.DINGTALK, address="file:///etc/passwd")

    assert UserChannel.objects.get().address == good


@pytest.mark.parametrize(
    ("channel", "address"),
    [(Channel.EMAIL, "not-an-address"), (Channel.SMS, "13812345678"), ("pager", "x")],
)
def test_other_bad_channel_settings_are_refused(org, channel, address):
    with pytest.raises(InvalidInput):
        user_channel_set(user=org.handler, channel=channel, address=address)
    assert not UserChannel.objects.exists()


@pytest.mark.parametrize("address", NOT_HTTP[:3])
@pytest.mark.parametrize("channel", [Channel.DINGTALK, Channel.WECOM, Channel.FEISHU])
def test_a_stored_non_http_address_is_dead_after_one_try(complaint, channel, address, t0):
    # Rows written before addresses were checked.
    row = Notification.objects.create(
        key=f"legacy:{channel}",
        channel=channel,
        address=address,
        secret="SEC" if channel != Channel.WECOM else "",
        subject="旧通知",
        body="旧通知",
        complaint=complaint,
        created_at=t0,
        next_attempt_at=t0,
    )

    assert outbox_deliver(now=t0) == {"delivered": 0, "retried": 0, "dead": 1}
    row.refresh_from_db()
    assert (row.status, row.attempts) == (DeliveryStatus.DEAD, 1)
    assert row.last_error == "refused address: A webhook address must be an http(s) URL."
    assert outbox_deliver(now=t0 + timedelta(days=1)) == {"delivered": 0, "retried": 0, "dead": 0}


def test_a_non_http_sms_gateway_is_dead_after_one_try(complaint, settings, t0):
    settings.SMS_WEBHOOK_URL = "file:///etc/passwd"
    notify_complainant(complaint=complaint, event="received", now=t0)
    Notification.objects.filter(channel=Channel.EMAIL).delete()

    assert outbox_deliver(now=t0) == {"delivered": 0, "retried": 0, "dead": 1}
    assert (
        Notification.objects.get().last_error
        == "refused address: A webhook address must be an http(s) URL."
    )
