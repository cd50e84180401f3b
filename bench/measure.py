"""HTTP measurements against the running server: page and API latencies (the intake's
load is wrk's, see wrk.py)."""

from __future__ import annotations

import re
import statistics
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx

DEMO_PASSWORD = "tousu-demo-2026"  # noqa: S105 - the documented demo password


class CheckFailed(RuntimeError):
    """The server does not behave as the measurement needs (so its numbers would lie)."""


def percentile(values: list[float], pct: float) -> float:
    """The ``pct`` percentile (0-100) with linear interpolation between ranks."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    rank = (len(ordered) - 1) * pct / 100
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


@dataclass
class Latencies:
    """Request times in milliseconds and the status codes seen."""

    ms: list[float] = field(default_factory=list)
    statuses: Counter = field(default_factory=Counter)

    @property
    def p50(self) -> float:
        return statistics.median(self.ms) if self.ms else float("nan")

    @property
    def p95(self) -> float:
        return percentile(self.ms, 95)

    @property
    def errors(self) -> int:
        """Answers other than 200 OK and 201 Created (a redirect to the login page too)."""
        return sum(n for status, n in self.statuses.items() if status not in (200, 201))


TIMEOUT = 15.0  # seconds; a slower answer is recorded as none and ends its series
NO_ANSWER = 0  # the status recorded when the connection failed (reset, timeout)


def _send(send: Callable[[], httpx.Response]) -> tuple[float, int, str]:
    """Milliseconds, status and the start of the body (or the transport error)."""
    started = time.perf_counter()
    try:
        response = send()
    except httpx.TransportError as exc:
        return (time.perf_counter() - started) * 1000, NO_ANSWER, f"{type(exc).__name__}: {exc}"
    return (time.perf_counter() - started) * 1000, response.status_code, response.text[:300]


def timed(
    send: Callable[[], httpx.Response], *, runs: int, warmup: int, budget: float = 20.0
) -> Latencies:
    """Call ``send`` ``warmup`` times unmeasured, then ``runs`` times one after another.

    A slow request stops the series early once ``budget`` seconds are spent and five
    runs are in, so one slow page cannot stretch the whole benchmark.
    """
    result = Latencies()
    deadline = time.perf_counter() + budget
    for _ in range(warmup):
        ms, status, _text = _send(send)
        if status == NO_ANSWER:  # timed out: one measure of how slow, and no series
            result.ms.append(ms)
            result.statuses[status] += 1
            return result
    for index in range(runs):
        if index >= 5 and time.perf_counter() > deadline:
            break
        ms, status, _text = _send(send)
        result.ms.append(ms)
        result.statuses[status] += 1
        if status == NO_ANSWER:
            break
    return result


def session_client(base_url: str, username: str) -> httpx.Client:
    """A client logged in through the staff login form (session cookie)."""
    client = httpx.Client(base_url=base_url, timeout=TIMEOUT)
    page = client.get("/accounts/login/")
    if page.status_code != 200:
        raise CheckFailed(f"GET /accounts/login/ answered HTTP {page.status_code}")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
    if token is None:
        raise CheckFailed("the login page has no CSRF token")
    response = client.post(
        "/accounts/login/",
        data={
            "username": username,
            "password": DEMO_PASSWORD,
            "csrfmiddlewaretoken": token.group(1),
        },
    )
    if response.status_code != 302 or "sessionid" not in client.cookies:
        raise CheckFailed(f"login as {username} failed: HTTP {response.status_code}")
    return client


def token_client(base_url: str, token: str) -> httpx.Client:
    return httpx.Client(
        base_url=base_url, timeout=TIMEOUT, headers={"Authorization": f"Bearer {token}"}
    )
