"""Helpers for tests that run the worker in other processes: the environment that points
a child at the test's own database, starting children with a common go signal, and a
webhook receiver on loopback that counts deliveries by their idempotency key.

Every wait here is bounded; a child that outlives its timeout is killed and the test fails.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import quote

from django.conf import settings
from django.db import connection

CHILD = "tousu.supervision.tests.worker_child"
SERVER_POLL = 0.05  # how often the test web server checks for shutdown


def database_url() -> str:
    """The URL of the database this test runs on (pytest-django's test database)."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":  # a file (the settings' TEST NAME), not in memory
        return f"sqlite:///{db['NAME']}"
    credentials = quote(db["USER"] or "", safe="")
    if db.get("PASSWORD"):
        credentials += ":" + quote(db["PASSWORD"], safe="")
    host = db.get("HOST") or ""
    host = f"[{host}]" if ":" in host else quote(host, safe="")
    port = f":{db['PORT']}" if db.get("PORT") else ""
    return f"postgresql://{credentials}@{host}{port}/{quote(db['NAME'], safe='')}"


def worker_env(*, database: bool = True) -> dict[str, str]:
    """This process's environment, pointed at the same var dir and keys and, unless
    ``database`` is false, at the same (PostgreSQL) database."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    if database:
        env["TOUSU_DATABASE_URL"] = database_url()
    env.update(
        # Its webhook receiver is on loopback: the tests' own allowance.
        DJANGO_SETTINGS_MODULE="tousu.notifications.tests.settings_loopback",
        PYTHONUNBUFFERED="1",
        TOUSU_VAR_DIR=str(settings.VAR_DIR),
        # Addresses are encrypted: a child without the same keys could not read them.
        TOUSU_ENCRYPTION_KEY=settings.ENCRYPTION_KEYS[0],
        TOUSU_ENCRYPTION_KEYS=",".join(settings.ENCRYPTION_KEYS),
    )
    return env


class Child:
    """One child process with its output in files (no pipe can fill up and stall it)."""

    def __init__(
        self,
        args: list[str],
        *,
        workdir: Path,
        name: str,
        gated: bool = False,
        env: dict[str, str] | None = None,
    ):
        self.name = name
        # A gated child says it is ready on a pipe and waits for "go" on its stdin.
        self.ready_fd: int | None = None
        write_fd = None
        if gated:
            self.ready_fd, write_fd = os.pipe()
            args = [args[0], args[1], str(write_fd), *args[2:]]
        self.stdout_path = workdir / f"{name}.out"
        self.stderr_path = workdir / f"{name}.err"
        with self.stdout_path.open("wb") as out, self.stderr_path.open("wb") as err:
            self.process = subprocess.Popen(
                [sys.executable, *args],
                env={**worker_env(), **(env or {})},
                stdin=subprocess.PIPE if gated else subprocess.DEVNULL,
                stdout=out,
                stderr=err,
                pass_fds=(write_fd,) if write_fd is not None else (),
            )
        if write_fd is not None:
            os.close(write_fd)  # the child holds the only write end now

    @property
    def stdout(self) -> str:
        return self.stdout_path.read_text(encoding="utf-8")

    @property
    def stderr(self) -> str:
        return self.stderr_path.read_text(encoding="utf-8")

    def finish(self, *, timeout: float) -> int:
        """Wait for the child to end; kill it and fail if it takes longer than ``timeout``."""
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)
            raise AssertionError(
                f"{self.name} still running after {timeout} s; stderr:\n{self.stderr[-3000:]}"
            ) from None

    def succeed(self, *, timeout: float) -> str:
        """Wait for the child; fail unless it exited 0. Returns its standard output."""
        code = self.finish(timeout=timeout)
        assert code == 0, f"{self.name} exited {code}; stderr:\n{self.stderr[-3000:]}"
        return self.stdout

    def json(self, *, timeout: float) -> dict:
        return json.loads(self.succeed(timeout=timeout).strip().splitlines()[-1])

    def terminate(self, *, timeout: float) -> int:
        """SIGTERM (a worker ends the pass in hand), then wait, bounded."""
        if self.process.poll() is None:
            self.process.terminate()
        return self.finish(timeout=timeout)

    def kill9(self) -> None:
        """SIGKILL, as a crash or an OOM killer would: no cleanup of any kind."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        """Kill the child if it is still running (test teardown)."""
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)


class Children:
    """The children a test starts; ``go`` releases those started with ``gated``. ``env``
    is added to every child's environment (e.g. the loopback mail server's port)."""

    def __init__(self, workdir: Path, *, env: dict[str, str] | None = None):
        self.workdir = workdir
        self.env = env or {}
        self.started: list[Child] = []

    def command(self, *args: str, name: str) -> Child:
        """``python -m tousu <args>``, started at once."""
        child = Child(["-m", "tousu", *args], workdir=self.workdir, name=name, env=self.env)
        self.started.append(child)
        return child

    def gated(self, *args: str, name: str) -> Child:
        """A ``worker_child`` job that sets Django up, says it is ready and waits for go."""
        child = Child(
            ["-m", CHILD, *args], workdir=self.workdir, name=name, gated=True, env=self.env
        )
        self.started.append(child)
        return child

    def worker_loop(self, *, shift: float, interval: float, name: str) -> Child:
        """The worker's own loop, each pass as of the clock plus ``shift`` seconds; it
        stops after the pass in hand on SIGTERM (``Child.terminate``)."""
        child = Child(
            ["-m", CHILD, "-", "loop", str(shift), str(interval)],
            workdir=self.workdir,
            name=name,
            env=self.env,
        )
        self.started.append(child)
        return child

    def go(self, *, timeout: float = 60) -> None:
        """Once every gated child is ready, let them all start at the same moment."""
        gated = [c for c in self.started if c.ready_fd is not None]
        deadline = time.monotonic() + timeout
        for child in gated:
            # Blocks until the child writes its byte, or its end closes because it died.
            readable, _w, _x = select.select(
                [child.ready_fd], [], [], max(deadline - time.monotonic(), 0)
            )
            said = os.read(child.ready_fd, 1) if readable else b""
            os.close(child.ready_fd)
            child.ready_fd = None
            if said != b"r":
                code = child.process.poll()
                raise AssertionError(
                    f"{child.name} did not get ready (exit {code}); stderr:\n{child.stderr[-3000:]}"
                )
        for child in gated:
            child.process.stdin.write(b"go\n")
            child.process.stdin.close()

    def stop_all(self) -> None:
        for child in self.started:
            child.stop()


class Receiver:
    """A webhook endpoint on loopback: counts deliveries by ``X-Tousu-Key``.

    With ``hold_at=n`` the n-th request is recorded on arrival and then kept waiting
    (no answer) until ``release()``, so the sender is caught mid-delivery.
    """

    def __init__(self, *, hold_at: int | None = None):
        self.lock = threading.Lock()
        self.keys: list[str] = []
        self.hold_at = hold_at
        self.holding = threading.Event()
        self.released = threading.Event()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                number = receiver.arrived(self.headers.get("X-Tousu-Key", ""))
                if number == receiver.hold_at:
                    receiver.holding.set()
                    receiver.released.wait(timeout=60)
                try:
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", "2")
                    self.end_headers()
                    self.wfile.write(b"{}")
                except OSError:
                    pass  # the sender is gone (killed while we held its request)

            def log_message(self, *args):
                pass  # quiet: the counts are what the tests read

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": SERVER_POLL}, daemon=True
        )

    def arrived(self, key: str) -> int:
        with self.lock:
            self.keys.append(key)
            return len(self.keys)

    def counts(self) -> Counter:
        with self.lock:
            return Counter(self.keys)

    def release(self) -> None:
        self.released.set()

    def __enter__(self) -> Receiver:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.release()
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=10)


GUNICORN_READY = Path(__file__).parents[2] / "accounts" / "tests" / "gunicorn_ready.py"
STARTUP_LIMIT = 60  # seconds a web server may take to listen


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def mail_env(port: int) -> dict[str, str]:
    """A child's environment for sending mail to the loopback SMTP server on ``port``."""
    return {"TOUSU_EMAIL_HOST": "127.0.0.1", "TOUSU_EMAIL_PORT": str(port), "TOUSU_EMAIL_TLS": "0"}


class WebProcess:
    """gunicorn serving the test database on a loopback port, in a process group of its
    own (master and workers), so that ``kill9`` takes all of them at once, as a crash of
    the machine's web service would. ``start`` again serves on the same port.

    Its access log has one line per answer, ``<status> <method> <path>``: what the
    server itself says it answered, beside what the clients saw."""

    def __init__(
        self,
        workdir: Path,
        name: str,
        *,
        env: dict[str, str] | None = None,
        workers: int = 2,
        threads: int = 2,
    ):
        self.workdir, self.name = workdir, name
        self.env = env or {}
        self.workers, self.threads = workers, threads
        self.port = free_port()
        self.starts = 0
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def access_log(self, start: int) -> Path:
        return self.workdir / f"{self.name}-{start}.access.log"

    def start(self) -> WebProcess:
        self.starts += 1
        gunicorn = str(Path(sys.executable).with_name("gunicorn"))
        ready, told = os.pipe()
        env = {**worker_env(), **self.env, "TOUSU_TEST_READY_FD": str(told)}
        with (self.workdir / f"{self.name}-{self.starts}.log").open("wb") as log:
            self.process = subprocess.Popen(
                [
                    gunicorn,
                    "tousu.wsgi",
                    "--bind",
                    f"127.0.0.1:{self.port}",
                    "--workers",
                    str(self.workers),
                    "--threads",
                    str(self.threads),
                    "--config",
                    str(GUNICORN_READY),
                    "--access-logfile",
                    str(self.access_log(self.starts)),
                    "--access-logformat",
                    "%(s)s %(m)s %(U)s",
                ],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                pass_fds=(told,),
                start_new_session=True,  # its own process group, for kill9
            )
        os.close(told)
        try:
            answered, _w, _x = select.select([ready], [], [], STARTUP_LIMIT)
            said = os.read(ready, 16) if answered else b""
        finally:
            os.close(ready)
        if said != b"ready\n":
            self.stop()
            raise AssertionError(f"{self.name} did not start in {STARTUP_LIMIT} s")
        return self

    def _signal_group(self, signum: int) -> None:
        assert self.process is not None
        with contextlib.suppress(ProcessLookupError):  # the whole group is gone already
            os.killpg(self.process.pid, signum)

    def kill9(self) -> None:
        """SIGKILL to the master and every worker at once: requests in hand are cut."""
        if self.process is not None:
            self._signal_group(signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self) -> None:
        """A graceful stop (requests in hand are finished), bounded; then nothing of the
        group is left running."""
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self._signal_group(signal.SIGKILL)  # a worker the master left behind

    def answered(self, method: str, path: str) -> Counter:
        """The statuses its access logs (every start) record for ``method path``."""
        seen: Counter = Counter()
        for start in range(1, self.starts + 1):
            log = self.access_log(start)
            if not log.exists():
                continue
            for line in log.read_text(encoding="utf-8").splitlines():
                status, _sp, rest = line.partition(" ")
                if rest == f"{method} {path}":
                    seen[int(status)] += 1
        return seen
