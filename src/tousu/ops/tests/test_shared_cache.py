"""With TOUSU_REDIS_URL the cache is Redis, shared by every process on every host: what
one process stores, another reads (against a real Redis server on loopback)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import uuid

import pytest


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


@pytest.fixture(scope="module")
def redis_port(tmp_path_factory):
    """A Redis server of the test's own on a free loopback port (Debian's redis-server),
    with nothing written to disk."""
    binary = shutil.which("redis-server")
    if binary is None:
        if os.environ.get("CI") == "true":
            pytest.fail("CI=true but redis-server is not installed (.ci/run installs it)")
        pytest.skip("redis-server not installed (apt-get install redis-server)")
    port = _free_port()
    workdir = tmp_path_factory.mktemp("redis")
    server = subprocess.Popen(
        [
            binary,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(workdir),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(200):
            if _answers(port):
                break
            if server.poll() is not None:
                pytest.fail(f"redis-server exited with {server.returncode}")
            time.sleep(0.05)  # waiting for a server to listen, not for time to pass
        else:
            pytest.fail("redis-server did not answer")
        yield port
    finally:
        server.terminate()
        server.wait(timeout=10)


def _shell(code: str, env: dict[str, str]) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "tousu", "shell", "--no-imports", "-c", code],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout.strip()


@pytest.fixture
def redis_env(tmp_path, redis_port):
    env = {k: v for k, v in os.environ.items() if not k.startswith("TOUSU_REDIS")}
    env.update(
        TOUSU_VAR_DIR=str(tmp_path / "var"),
        TOUSU_DATABASE_URL=f"sqlite:///{tmp_path / 'unused.sqlite3'}",
        TOUSU_REDIS_URL=f"redis://127.0.0.1:{redis_port}/0",
        TOUSU_REDIS_PREFIX=f"tousu-test-{uuid.uuid4().hex[:8]}",
    )
    return env


READ = "from django.core.cache import cache; print(repr(cache.get('probe')))"


def test_what_one_process_caches_another_reads(redis_env):
    backend = _shell(
        "from django.conf import settings; print(settings.CACHES['default']['BACKEND'])",
        redis_env,
    )
    assert backend == "django.core.cache.backends.redis.RedisCache"
    assert _shell(READ, redis_env) == "None"
    _shell("from django.core.cache import cache; cache.set('probe', '共享', 60)", redis_env)
    assert _shell(READ, redis_env) == "'共享'"
    # Another installation on the same Redis (its own prefix) does not see it.
    other = {**redis_env, "TOUSU_REDIS_PREFIX": redis_env["TOUSU_REDIS_PREFIX"] + "-b"}
    assert _shell(READ, other) == "None"
    _shell("from django.core.cache import cache; cache.delete('probe')", redis_env)


def test_without_redis_each_process_has_its_own_memory(redis_env):
    env = {k: v for k, v in redis_env.items() if k != "TOUSU_REDIS_URL"}
    backend = _shell(
        "from django.conf import settings; print(settings.CACHES['default']['BACKEND'])", env
    )
    assert backend == "django.core.cache.backends.locmem.LocMemCache"
