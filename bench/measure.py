"""HTTP measurements against the running server: concurrent intake, page latencies."""

from __future__ import annotations

import itertools
import random
import re
import statistics
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial

import httpx

import data

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


@dataclass
class Throughput(Latencies):
    seconds: float = 0.0
    ok: int = 0
    client_cpu: float = 0.0  # CPU seconds the client used per wall second

    @property
    def rate(self) -> float:
        return self.ok / self.seconds if self.seconds else 0.0


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
    for _ in range(warmup):
        _send(send)
    deadline = time.perf_counter() + budget
    for index in range(runs):
        if index >= 5 and time.perf_counter() > deadline:
            break
        ms, status, _text = _send(send)
        result.ms.append(ms)
        result.statuses[status] += 1
    return result


def session_client(base_url: str, username: str) -> httpx.Client:
    """A client logged in through the staff login form (session cookie)."""
    client = httpx.Client(base_url=base_url, timeout=60.0)
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
        base_url=base_url, timeout=60.0, headers={"Authorization": f"Bearer {token}"}
    )


def registration(rng: random.Random, vocabulary: data.Vocabulary) -> dict:
    """One POST /api/v1/complaints body (received now, in the caller's department)."""
    body = data.complaint(rng, when="今天", vocabulary=vocabulary)
    body["complainant"] = data.complainant(rng)
    return body


def register_load(
    base_url: str,
    token: str,
    *,
    concurrency: int,
    seconds: float,
    warmup: int,
    vocabulary: data.Vocabulary,
    seed: int = 7,
) -> Throughput:
    """POST complaints from ``concurrency`` threads for ``seconds`` (after a warm-up).

    Each thread keeps one connection; bodies are made before the clock starts so the
    client spends its time waiting on the server.
    """
    rng = random.Random(seed)
    bodies = [registration(rng, vocabulary) for _ in range(4_000)]
    clients = [token_client(base_url, token) for _ in range(concurrency)]
    lock = threading.Lock()
    result = Throughput()
    next_body = itertools.count()

    def body() -> dict:
        with lock:
            return bodies[next(next_body) % len(bodies)]

    refused: list[tuple[int, str]] = []

    def warm(client: httpx.Client) -> None:
        for _ in range(max(1, warmup // concurrency)):
            payload = body()
            _ms, status, text = _send(partial(client.post, "/api/v1/complaints", json=payload))
            if status != 201:
                refused.append((status, text))

    def work(client: httpx.Client, deadline: float) -> None:
        local: list[tuple[float, int]] = []
        while time.perf_counter() < deadline:
            payload = body()
            ms, status, _text = _send(partial(client.post, "/api/v1/complaints", json=payload))
            local.append((ms, status))
        with lock:
            for ms, status in local:
                result.ms.append(ms)
                result.statuses[status] += 1
                result.ok += status == 201

    try:
        _run_threads(warm, clients)
        if len(refused) == max(1, warmup // concurrency) * concurrency:
            status, text = refused[0]
            raise CheckFailed(
                f"every warm-up registration was refused, the first with HTTP {status}: {text}"
            )
        started, cpu = time.perf_counter(), time.process_time()
        deadline = started + seconds
        _run_threads(lambda client: work(client, deadline), clients)
        result.seconds = time.perf_counter() - started
        result.client_cpu = (time.process_time() - cpu) / result.seconds
    finally:
        for client in clients:
            client.close()
    return result


def _run_threads(target: Callable[[httpx.Client], None], clients: list[httpx.Client]) -> None:
    errors: list[BaseException] = []

    def guarded(client: httpx.Client) -> None:
        try:
            target(client)
        except BaseException as exc:  # noqa: BLE001 - re-raised in the main thread
            errors.append(exc)

    threads = [threading.Thread(target=guarded, args=(c,)) for c in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
