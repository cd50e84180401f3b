"""A bounded load of registrations (``POST /api/v1/complaints``) from client threads,
spread over several web servers, for the scale-out and crash tests.

Each body is made up front and sent at most once: the API has no idempotency key, so a
request cut off after it was sent is never sent again (it may or may not have been
registered; the test knows which by the database). A connection the server refused is
not a request that reached it, so that one body waits and is sent again, within the
load's time limit.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field

import httpx

PATH = "/api/v1/complaints"
REFUSED_PAUSE = 0.05  # seconds before trying a refused connection again


def registration(n: int, *, category: str, department: str = "", channel: str = "phone") -> dict:
    """The ``n``-th body: its own complainant (phone and email), so no two are repeats;
    in the caller's department unless ``department`` (a code) is given."""
    return {
        "department": department,
        "channel": channel,
        "title": f"第{n}号负载测试投诉：课时未补",
        "description": f"负载测试第{n}条：老师迟到二十分钟，耽误的课时没有补上，家长要求补课。",
        "category": category,
        "complainant": {
            "name": f"家长{n}",
            "phone": f"139{n:08d}",
            "email": f"parent{n}@example.cn",
        },
    }


@dataclass
class Sent:
    """What the client saw of one body: a status, or the error that cut it off."""

    n: int
    server: str
    status: int | None = None
    tracking_no: str = ""
    error: str = ""


@dataclass
class Load:
    """``bodies`` POSTed by ``threads`` threads, body ``n`` to ``urls[n % len(urls)]``,
    with ``token``; stops when all are sent or after ``seconds``."""

    urls: list[str]
    token: str
    bodies: list[dict]
    threads: int = 4
    seconds: float = 60.0
    sent: list[Sent] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._next = 0
        self._deadline = 0.0
        self._workers: list[threading.Thread] = []
        self.stop = threading.Event()

    def _take(self) -> int | None:
        with self._lock:
            if self._next >= len(self.bodies) or self.stop.is_set():
                return None
            self._next += 1
            return self._next - 1

    def _record(self, sent: Sent) -> None:
        with self._lock:
            self.sent.append(sent)

    def created(self) -> list[Sent]:
        with self._lock:
            return [s for s in self.sent if s.status == 201]

    def _send(self, client: httpx.Client, n: int) -> Sent:
        url = self.urls[n % len(self.urls)]
        while True:
            try:
                response = client.post(url + PATH, json=self.bodies[n])
            except httpx.ConnectError as exc:  # refused: nothing reached a server
                if time.monotonic() > self._deadline or self.stop.is_set():
                    return Sent(n, url, error=f"not sent: {exc}")
                time.sleep(REFUSED_PAUSE)
                continue
            except httpx.HTTPError as exc:  # sent, and cut off: never sent again
                return Sent(n, url, error=f"{type(exc).__name__}: {exc}")
            number = response.json().get("tracking_no", "") if response.status_code == 201 else ""
            return Sent(n, url, status=response.status_code, tracking_no=number)

    def _work(self) -> None:
        # No keep-alive: a kept connection the server closes as a request goes out would
        # be a request cut off for nothing.
        headers = {"Authorization": f"Bearer {self.token}", "Connection": "close"}
        with httpx.Client(headers=headers, timeout=30.0) as client:
            while time.monotonic() < self._deadline and (n := self._take()) is not None:
                self._record(self._send(client, n))

    def start(self) -> Load:
        logging.getLogger("httpx").setLevel(logging.WARNING)  # a line per request otherwise
        self._deadline = time.monotonic() + self.seconds
        self._workers = [
            threading.Thread(target=self._work, daemon=True) for _ in range(self.threads)
        ]
        for worker in self._workers:
            worker.start()
        return self

    def wait_for(self, created: int, *, timeout: float) -> None:
        """Block until ``created`` bodies got a 201 (or fail after ``timeout``)."""
        limit = time.monotonic() + timeout
        while len(self.created()) < created:
            assert time.monotonic() < limit, f"only {len(self.created())} created in {timeout} s"
            assert any(w.is_alive() for w in self._workers), "the load ended early"
            time.sleep(0.02)

    def join(self, *, timeout: float) -> None:
        limit = time.monotonic() + timeout
        for worker in self._workers:
            worker.join(max(limit - time.monotonic(), 0))
        self.stop.set()
        assert not any(w.is_alive() for w in self._workers), "client threads still running"
