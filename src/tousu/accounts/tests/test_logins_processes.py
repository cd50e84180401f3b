"""The login throttle holds across web processes: its count lives in the shared database,
so thirty wrong passwords spread over two servers close the door on both."""

from __future__ import annotations

import http.cookiejar
import os
import re
import select
import socket
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from tousu.audit.models import AuditEvent
from tousu.supervision.tests.processes import worker_env

STARTUP_LIMIT = 60  # seconds a server may take to answer


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class WebProcess:
    """One gunicorn process serving the test database on a loopback port; it says when
    it listens on a pipe (``gunicorn_ready.py``), so the test waits for that, bounded."""

    def __init__(self, workdir: Path, name: str):
        self.port = _free_port()
        self.log = (workdir / f"{name}.log").open("wb")
        gunicorn = str(Path(sys.executable).with_name("gunicorn"))
        ready, told = os.pipe()
        env = {**worker_env(), "TOUSU_TEST_READY_FD": str(told)}
        self.process = subprocess.Popen(
            [
                gunicorn,
                "tousu.wsgi",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--workers",
                "1",
                "--config",
                str(Path(__file__).with_name("gunicorn_ready.py")),
            ],
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            pass_fds=(told,),
        )
        os.close(told)
        try:
            answered, _w, _x = select.select([ready], [], [], STARTUP_LIMIT)
            said = os.read(ready, 16) if answered else b""
        finally:
            os.close(ready)
        if said != b"ready\n":
            self.stop()
            raise AssertionError(f"{name} did not start in {STARTUP_LIMIT} s")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self.log.close()


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
    servers = [WebProcess(tmp_path, "web-a"), WebProcess(tmp_path, "web-b")]
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
