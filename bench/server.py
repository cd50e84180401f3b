"""A real gunicorn process serving Tousu for the benchmark."""

from __future__ import annotations

import contextlib
import functools
import os
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
BIN = ROOT / ".venv" / "bin"
# make run's configuration (the Makefile): four single-threaded gunicorn processes.
WORKERS = 4
THREADS = 1


class ServerError(RuntimeError):
    """gunicorn did not start; the message holds its output."""


@dataclass
class Server:
    base_url: str
    log_path: Path
    pid: int = 0

    def cpu_seconds(self) -> float:
        """User + system CPU seconds of the gunicorn master and its workers so far."""
        return sum(_cpu_seconds(pid) for pid in (self.pid, *_children(self.pid)))

    def tail(self, lines: int = 40) -> str:
        text = self.log_path.read_text(encoding="utf-8", errors="replace")
        return "\n".join(text.splitlines()[-lines:])

    def problems(self) -> list[str]:
        """Error lines gunicorn and Django logged so far (tracebacks, worker deaths)."""
        text = self.log_path.read_text(encoding="utf-8", errors="replace")
        keep = ("Traceback", "ERROR", "CRITICAL", "WORKER TIMEOUT", "Error:")
        return [line for line in text.splitlines() if any(k in line for k in keep)]


@functools.cache
def _private_flags() -> tuple[str, ...]:
    """gunicorn 27+ opens a control socket at one per-user path; the bench's own server
    must not take it over from (or remove it under) another gunicorn of the same user."""
    done = subprocess.run(
        [str(BIN / "gunicorn"), "--help"], capture_output=True, text=True, check=False
    )
    return ("--no-control-socket",) if "--no-control-socket" in done.stdout else ()


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(x) for x in text.split()]


def _cpu_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    # utime and stime are fields 14 and 15 of stat(5); [0] here is field 3.
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@contextlib.contextmanager
def gunicorn(
    env: dict[str, str],
    log_path: Path,
    *,
    timeout: float = 30.0,
    workers: int = WORKERS,
    threads: int = THREADS,
    app: str = "tousu.wsgi",
) -> Iterator[Server]:
    """Start gunicorn with ``env``, wait until it answers, and stop it on the way out.
    ``app`` may name a module in ``bench/`` (e.g. ``noop_wsgi``)."""
    port = _free_port()
    base_url = f"http://127.0.0.1:{port}"
    command = [
        str(BIN / "gunicorn"),
        app,
        # A bench module (noop_wsgi) is found on bench/; Tousu's own app needs no path.
        *(() if app.startswith("tousu.") else ("--pythonpath", str(ROOT / "bench"))),
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--threads",
        str(threads),
        *_private_flags(),
    ]
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=log)
    try:
        _wait_ready(process, base_url, log_path, timeout)
        yield Server(base_url, log_path, process.pid)
    finally:
        _stop(process)


def _wait_ready(process: subprocess.Popen, base_url: str, log_path: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise ServerError(
                f"gunicorn exited with status {process.returncode}:\n"
                + log_path.read_text(encoding="utf-8", errors="replace")
            )
        try:
            response = httpx.get(base_url + "/accounts/login/", timeout=2.0)
        except httpx.TransportError:
            time.sleep(0.2)
            continue
        if response.status_code == 200:
            return
        raise ServerError(
            f"gunicorn answered GET /accounts/login/ with {response.status_code}:\n"
            + log_path.read_text(encoding="utf-8", errors="replace")
        )
    raise ServerError(
        f"gunicorn did not answer within {timeout:.0f} s:\n"
        + log_path.read_text(encoding="utf-8", errors="replace")
    )


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is not None:
        return
    process.terminate()  # the master stops its workers gracefully
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=5)
