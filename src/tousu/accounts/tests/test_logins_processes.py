"""The login throttle holds across web processes: its count lives in the shared database,
so thirty wrong passwords spread over two servers close the door on both."""

from __future__ import annotations

import http.cookiejar
import re
import urllib.error
import urllib.parse
import urllib.request

import pytest

from tousu.audit.models import AuditEvent
from tousu.supervision.tests.processes import WebProcess


class Browser:
    """A client with cookies that logs in through the login form (with its CSRF token)."""

    def __init__(self):
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        )

    def login(self, server: WebProcess, username: str, password: str) -> tuple[int, str]:
        url = f"http://127.0.0.1:{server.port}/accounts/login/"
        page = self.opener.open(url, timeout=30).read().decode()
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        assert token, page[:500]
        body = urllib.parse.urlencode(
            {"username": username, "password": password, "csrfmiddlewaretoken": token.group(1)}
        ).encode()
        request = urllib.request.Request(url, data=body, headers={"Referer": url})
        try:
            with self.opener.open(request, timeout=30) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_thirty_failures_over_two_web_processes_close_the_door_on_both(org, tmp_path):
    servers = [
        WebProcess(tmp_path, name, workers=1, threads=1).start() for name in ("web-a", "web-b")
    ]
    try:
        browser = Browser()
        answers = [
            browser.login(servers[n % 2], org.clerk.username, f"wrong-{n}")[0] for n in range(30)
        ]
        assert answers == [200] * 29 + [429]
        for server in servers:
            status, page = browser.login(server, org.clerk.username, "any")
            assert status == 429 and "登录失败次数过多" in page
    finally:
        for server in servers:
            server.stop()
    logged = AuditEvent.objects.filter(action="login.failed", object_id=org.clerk.username)
    assert logged.count() == 32
    assert logged.filter(data__locked_out=True).count() == 2
