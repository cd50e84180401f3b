"""Outbound requests go only where an administrator allowed (SSRF): a webhook on a
loopback, private or link-local address — by name or after DNS — or on a host that is not
on the allow-list is refused beside the field in Chinese, and the worker never posts there
or follows a redirect. No request reaches the loopback listener."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.test import Client

from tousu.complaints.tests.factories import complaint_make
from tousu.conftest import PASSWORD
from tousu.core.problems import InvalidInput
from tousu.notifications.choices import Channel, DeliveryStatus
from tousu.notifications.models import Notification, UserChannel
from tousu.notifications.outbound import OutboundRefused, outbound_check
from tousu.notifications.services import outbox_deliver, user_channel_set

pytestmark = pytest.mark.django_db


class Listener:
    """A loopback HTTP server that counts every request and answers ``status``."""

    def __init__(self, status: int = 200, location: str = ""):
        self.hits: list[str] = []
        listener = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                listener.hits.append(self.path)
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                self.send_response(status)
                if location:
                    self.send_header("Location", location)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def url(self, path: str = "/hook") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def listener():
    server = Listener()
    yield server
    server.close()


INTERNAL = [
    "http://169.254.169.254/latest/meta-data/",  # link-local (cloud metadata)
    "http://[::1]:22/",
    "http://127.0.0.1:8000/api/v1/complaints",
    "http://10.0.0.5/hook",
    "http://192.168.1.1/hook",
    "http://[::ffff:127.0.0.1]/hook",
    "http://0.0.0.0/hook",
]


@pytest.mark.parametrize("address", INTERNAL)
def test_internal_addresses_are_refused_by_name(org, address):
    with pytest.raises(InvalidInput) as refused:
        user_channel_set(user=org.clerk, channel=Channel.WEBHOOK, address=address)
    assert "address" in refused.value.field_errors
    assert not UserChannel.objects.exists()


def test_a_host_off_the_allow_list_is_refused(org):
    with pytest.raises(InvalidInput) as refused:
        user_channel_set(
            user=org.clerk, channel=Channel.WEBHOOK, address="https://hooks.example.com/x"
        )
    assert "hooks.example.com" in refused.value.field_errors["address"][0]


def test_an_allowed_name_that_resolves_to_loopback_is_refused_after_dns(settings):
    settings.OUTBOUND_HOSTS = ["localhost"]
    with pytest.raises(OutboundRefused, match="localhost"):
        outbound_check("http://localhost:8000/hook")


def test_the_official_robot_hosts_are_allowed_by_default(org):
    row = user_channel_set(
        user=org.clerk,
        channel=Channel.DINGTALK,
        address="https://oapi.dingtalk.com/robot/send?access_token=x",
    )
    assert row.address.startswith("https://oapi.dingtalk.com/")
    with pytest.raises(OutboundRefused):
        outbound_check("https://user:pw@oapi.dingtalk.com/robot/send")


def test_the_page_says_why_in_chinese_beside_the_field(org):
    client = Client()
    assert client.login(username=org.clerk.username, password=PASSWORD)
    page = client.post(
        "/notifications/channels/",
        {"channel": "webhook", "address": "http://169.254.169.254/latest", "enabled": "on"},
    ).content.decode()
    assert "不向内部地址" in page
    assert not UserChannel.objects.exists()


def _queued(org, address: str) -> Notification:
    return Notification.objects.create(
        key="deadline:1:breach:u1:webhook",
        channel=Channel.WEBHOOK,
        address=address,
        subject="s",
        body="b",
        complaint=complaint_make(org.clerk),
        recipient=org.clerk,
    )


def test_the_worker_never_posts_to_loopback_without_the_tests_allowance(org, listener):
    row = _queued(org, listener.url())  # written straight into the outbox
    assert outbox_deliver() == {"delivered": 0, "retried": 0, "dead": 1}
    row.refresh_from_db()
    assert row.status == DeliveryStatus.DEAD and "refused address" in row.last_error
    assert listener.hits == []


def test_a_redirect_is_not_followed(org, settings):
    settings.OUTBOUND_ALLOW_LOOPBACK = True
    target = Listener()
    redirector = Listener(status=302, location=target.url("/stolen"))
    try:
        row = _queued(org, redirector.url())
        assert outbox_deliver() == {"delivered": 0, "retried": 0, "dead": 1}
        row.refresh_from_db()
        assert "redirects are not followed" in row.last_error
        assert (redirector.hits, target.hits) == (["/hook"], [])
    finally:
        target.close()
        redirector.close()
