"""Bench databases: the large read set seeded once and kept between runs, and scratch ones.

The read set (1M complaints by default) takes minutes to seed, so it is kept: a
PostgreSQL database ``tousu_bench_<size>_<hash8>`` and a SQLite file under
``var/bench-cache/``, where ``hash8`` covers every migration, ``bench/seed.py`` and
``bench/data.py``. A change to any of them makes a new one and drops the stale ones. A
JSON marker beside it, written only after seeding finished, holds the seeder's summary;
a database without its marker is half-seeded and made again. Readers get fresh API
tokens each run (the seeder's expire after a day). The reports bench keeps its year of
complaints the same way (``kept``), also remade when ``bench/reports_measure.py`` changes.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

import psycopg

from server import BIN, ROOT

PG_URL = os.environ.get("TOUSU_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
CACHE_DIR = ROOT / "var" / "bench-cache"
KEPT = re.compile(r"tousu_bench_[0-9a-z]+_[0-9a-f]{8}")  # a kept set's name: label, state


class BenchError(RuntimeError):
    pass


def progress(message: str) -> None:
    print(f"  · {message}", file=sys.stderr, flush=True)


def state_hash() -> str:
    """Eight hex digits of the migrations and the seeder: what the seeded rows depend on."""
    files = sorted((ROOT / "src" / "tousu").glob("**/migrations/*.py"))
    files += [ROOT / "bench" / "seed.py", ROOT / "bench" / "data.py"]
    digest = hashlib.sha256()
    for path in files:
        digest.update(str(path.relative_to(ROOT)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:8]


def size_label(complaints: int) -> str:
    if complaints % 1_000_000 == 0:
        return f"{complaints // 1_000_000}m"
    return f"{complaints // 1_000}k" if complaints % 1_000 == 0 else str(complaints)


# PostgreSQL ------------------------------------------------------------------------


def pg_unreachable(url: str = PG_URL) -> str:
    """Empty when PostgreSQL answers at ``url``, else why not."""
    try:
        psycopg.connect(url, connect_timeout=3).close()
    except psycopg.Error as exc:
        return (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    return ""


def pg_url_for(database: str) -> str:
    return urlunsplit(urlsplit(PG_URL)._replace(path="/" + quote(database)))


def pg_analyze(url: str) -> None:
    """ANALYZE the database at ``url``: the statistics autovacuum keeps in a database in
    use. A table the run fills from nearly empty (audit chains, matters) is otherwise
    planned as the few rows it had, and each connection keeps its foreign-key checks'
    plans (sequential scans) until the statistics change; autovacuum would have
    analysed it within its first minute."""
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("ANALYZE")


def _pg_admin(sql: str) -> list[tuple]:
    with psycopg.connect(pg_url_for("postgres"), autocommit=True) as conn:
        cursor = conn.execute(sql)
        return cursor.fetchall() if cursor.description else []


def pg_create(name: str) -> str:
    """A fresh, empty database ``name`` (dropped first if left by an interrupted run)."""
    pg_drop(name)
    _pg_admin(f'CREATE DATABASE "{name}"')
    return pg_url_for(name)


def pg_drop(name: str) -> None:
    _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _pg_oid(name: str) -> int | None:
    """The server's identifier of database ``name``: a database made again has another."""
    rows = _pg_admin(f"SELECT oid FROM pg_database WHERE datname = '{name}'")  # noqa: S608 - a KEPT name
    return int(rows[0][0]) if rows else None


def _pg_names() -> list[str]:
    """The kept read sets on the server, of any size and state."""
    rows = _pg_admin("SELECT datname FROM pg_database")
    return [name for (name,) in rows if KEPT.fullmatch(name)]


# Preparing a database --------------------------------------------------------------


def env_for(database_url: str, var_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "TOUSU_DEBUG"}
    env.update(
        TOUSU_DATABASE_URL=database_url,
        TOUSU_VAR_DIR=str(var_dir),
        TOUSU_LOG_LEVEL="WARNING",
        DJANGO_SETTINGS_MODULE="tousu.settings",
    )
    return env


def step(label: str, command: list[str], env: dict[str, str]) -> str:
    started = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise BenchError(
            f"{label} failed (exit {done.returncode}): {' '.join(command)}\n"
            f"{done.stdout}{done.stderr}"
        )
    progress(f"{label}: {time.perf_counter() - started:.1f} s")
    return done.stdout


def prepare(env: dict[str, str], complaints: int) -> dict:
    """Migrate, load the demo organisation and bulk-seed; the seeder's JSON summary."""
    tousu = str(BIN / "tousu")
    step("migrate", [tousu, "migrate", "--noinput", "-v0"], env)
    step("demo organisation", [tousu, "demo", "--complaints", "0"], env)
    seeder = [str(BIN / "python"), str(ROOT / "bench" / "seed.py"), "--complaints", str(complaints)]
    out = step(f"seed {complaints:,} complaints", seeder, env)
    return json.loads(out.strip().splitlines()[-1])


def fresh_tokens(env: dict[str, str]) -> dict[str, str]:
    out = step("API tokens", [str(BIN / "python"), str(ROOT / "bench" / "tokens.py")], env)
    return json.loads(out.strip().splitlines()[-1])


def _drop_stale(current: str) -> None:
    """Read sets of another migration state go, whatever their size."""
    for name in _pg_names() if not pg_unreachable() else []:
        if not name.endswith(current):
            progress(f"dropping the stale read set {name} (PostgreSQL)")
            pg_drop(name)
    for path in CACHE_DIR.glob("tousu_bench_*"):
        found = KEPT.match(path.name)
        if found and not found.group().endswith(current):
            progress(f"dropping the stale read set {path.name}")
            if path.is_dir():
                shutil.rmtree(path)
            else:
                path.unlink()


def cached(vendor: str, complaints: int) -> tuple[dict[str, str], str, dict]:
    """The kept read set of ``complaints`` on ``vendor``, seeded now if missing or stale:
    the server's environment, the raw driver's target and the seeder's summary (with
    fresh tokens). Its data directory is kept with it: the keys that encrypted its
    personal data and sealed its audit trail."""
    env, raw_target, seeded = kept(
        vendor, size_label(complaints), lambda env: prepare(env, complaints)
    )
    seeded["tokens"] = fresh_tokens(env)
    return env, raw_target, seeded


def kept(vendor: str, label: str, make, *, digest: str = "") -> tuple[dict[str, str], str, dict]:
    """A database kept between runs as ``tousu_bench_<label>_<state>``, made by
    ``make(env)`` (which returns a JSON-able summary) when missing, half-made, stale or
    made with another ``digest`` (what else its rows depend on): its environment, the
    raw driver's target and the summary (``reused`` and ``name`` added)."""
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    current = state_hash()
    _drop_stale(current)
    name = f"tousu_bench_{label}_{current}"
    marker = CACHE_DIR / f"{name}.{vendor}.json"
    var_dir = CACHE_DIR / f"{name}.{vendor}.var"
    if vendor == "postgresql":
        url = raw_target = pg_url_for(name)
        exists = name in _pg_names()
        made_as = _pg_oid(name) if exists else None
    else:
        raw_target = str(CACHE_DIR / f"{name}.sqlite3")
        url = f"sqlite:///{raw_target}"
        exists = Path(raw_target).exists()
    env = env_for(url, var_dir)
    made = json.loads(marker.read_text()) if marker.exists() else {}
    # Another checkout of the same migration state makes its own database of that name,
    # with its own keys: this checkout's marker then names a database it did not make.
    ours = vendor != "postgresql" or made.get("pg_oid") == made_as
    if exists and made and made.get("digest", "") == digest and var_dir.is_dir() and ours:
        progress(f"re-using the kept database {name} ({vendor})")
        seeded = made.get("summary", made)
        seeded["reused"] = True
    else:
        marker.unlink(missing_ok=True)
        shutil.rmtree(var_dir, ignore_errors=True)
        var_dir.mkdir()
        if vendor == "postgresql":
            pg_create(name)
        else:
            for old in CACHE_DIR.glob(f"{name}.sqlite3*"):
                old.unlink()
        seeded = make(env)
        oid = _pg_oid(name) if vendor == "postgresql" else None
        marker.write_text(json.dumps({"digest": digest, "pg_oid": oid, "summary": seeded}))
        seeded["reused"] = False
    seeded["name"] = name
    return env, raw_target, seeded
