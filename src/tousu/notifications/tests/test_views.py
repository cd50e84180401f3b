import pytest
from django.test import Client

from tousu.complaints.tests.factories import complaint_make
from tousu.conftest import PASSWORD
from tousu.notifications.models import Notification, UserChannel
from tousu.notifications.services import notify_users as _notify_users

pytestmark = pytest.mark.django_db


def notify_users(**kwargs):
    """The outbox itself, without a subject's gate (the gate has its own tests)."""
    return _notify_users(can_see=lambda user: True, **kwargs)


def login(user) -> Client:
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    return client


def test_inbox_shows_my_notifications_and_marks_them_read(org):
    complaint = complaint_make(org.clerk)
    notify_users(users=[org.clerk], key="test:1", complaint=complaint, event="reminder")
    client = login(org.clerk)
    page = client.get("/complaints/").content.decode()
    assert 'badge text-bg-danger">1<' in page  # the unread count in the navigation bar
    inbox = client.get("/notifications/").content.decode()
    assert "催办" in inbox and complaint.tracking_no in inbox
    row = Notification.objects.get(recipient=org.clerk, channel="in_app")
    client.post(f"/notifications/{row.pk}/read/")
    row.refresh_from_db()
    assert row.read_at is not None
    assert "催办" not in login(org.investigator).get("/notifications/").content.decode()


def test_choosing_a_channel_refuses_a_non_http_webhook_beside_the_field(org):
    client = login(org.clerk)
    response = client.post(
        "/notifications/channels/",
        {
            "channel": "dingtalk",
            "address": "file:///etc/passwd",
            "secret": "s",
            "enabled": "on",
        },
    )
    assert "Webhook 地址必须是 http(s) 网址。" in response.content.decode()
    assert not UserChannel.objects.exists()
    client.post(
        "/notifications/channels/",
        {
            "channel": "dingtalk",
            "address": "https://oapi.dingtalk.com/robot/send?access_token=x",
            "secret": "SEC123",
            "enabled": "on",
        },
    )
    saved = UserChannel.objects.get(user=org.clerk)
    assert saved.channel == "dingtalk" and saved.secret == "SEC123"


def test_failed_deliveries_are_for_administrators_to_retry(org):
    complaint = complaint_make(org.clerk)
    dead = Notification.objects.create(
        key="x",
        channel="webhook",
        address="http://127.0.0.1:9/",
        subject="s",
        body="b",
        complaint=complaint,
        status="dead",
        attempts=8,
        last_error="HTTP 500",
    )
    assert login(org.clerk).get("/notifications/failed/").status_code == 403
    admin = login(org.admin)
    assert "HTTP 500" in admin.get("/notifications/failed/").content.decode()
    admin.post(f"/notifications/failed/{dead.pk}/retry/")
    dead.refresh_from_db()
    assert dead.status == "pending" and dead.attempts == 0
