"""``make bench``: intake rate and list/search latency on SQLite and PostgreSQL.

For each database: a fresh bench database (``tousu migrate``, ``tousu demo
--complaints 0``, then ``bench/seed.py`` bulk-loads the complaints), a real gunicorn
serving it, and beside every application number the raw speed of the same database for
the same rows through its driver. PostgreSQL is measured when it answers at
``TOUSU_TEST_DATABASE_URL``; the bench database there is created and dropped again.
Other ``TOUSU_*`` variables (e.g. ``TOUSU_DB_CONN_MAX_AGE``) pass through to the server.
Timings are medians of several runs and are reported, never asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

import psycopg

import data
import measure
import raw
from report import Report, Row, latency, latency_row, render
from server import BIN, ROOT, THREADS, WORKERS, Server, ServerError, gunicorn

PG_URL = os.environ.get("TOUSU_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
PG_BENCH_DB = "tousu_bench"


@dataclass
class Options:
    complaints: int
    concurrency: int
    seconds: float
    runs: int
    warmup: int = 3
    raw_bulk_rows: int = 20_000
    raw_single_rows: int = 500


class BenchError(RuntimeError):
    pass


# PostgreSQL bench database ---------------------------------------------------------


def pg_unreachable(url: str) -> str:
    """Empty when PostgreSQL answers at ``url``, else why not."""
    try:
        psycopg.connect(url, connect_timeout=3).close()
    except psycopg.Error as exc:
        return (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    return ""


def _pg_url_for(url: str, database: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path="/" + quote(database)))


def _pg_admin(sql: str) -> None:
    with psycopg.connect(_pg_url_for(PG_URL, "postgres"), autocommit=True) as conn:
        conn.execute(sql)


def _pg_drop() -> None:
    # The name is ours and constant, so a bench database left by an interrupted run goes.
    _pg_admin(f"DROP DATABASE IF EXISTS {PG_BENCH_DB} WITH (FORCE)")


# Steps -----------------------------------------------------------------------------


def _progress(message: str) -> None:
    print(f"  · {message}", file=sys.stderr, flush=True)


def _env(database_url: str, var_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "TOUSU_DEBUG"}
    env.update(
        TOUSU_DATABASE_URL=database_url,
        TOUSU_VAR_DIR=str(var_dir),
        TOUSU_LOG_LEVEL="WARNING",
        DJANGO_SETTINGS_MODULE="tousu.settings",
    )
    return env


def _step(label: str, command: list[str], env: dict[str, str]) -> str:
    started = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise BenchError(
            f"{label} failed (exit {done.returncode}): {' '.join(command)}\n"
            f"{done.stdout}{done.stderr}"
        )
    _progress(f"{label}: {time.perf_counter() - started:.1f} s")
    return done.stdout


def _prepare(env: dict[str, str], complaints: int) -> dict:
    """Migrate, load the demo organisation and bulk-seed; the seeder's JSON summary."""
    tousu = str(BIN / "tousu")
    _step("migrate", [tousu, "migrate", "--noinput", "-v0"], env)
    _step("demo organisation", [tousu, "demo", "--complaints", "0"], env)
    seeder = [str(BIN / "python"), str(ROOT / "bench" / "seed.py"), "--complaints", str(complaints)]
    out = _step(f"seed {complaints:,} complaints", seeder, env)
    return json.loads(out.strip().splitlines()[-1])


@dataclass
class RawReads:
    total: int
    list_ms: float
    count_ms: float
    search_ms: dict[str, float]
    search_count_ms: dict[str, float]
    hits: dict[str, int]


def _raw_reads(db: raw.Raw, opts: Options) -> RawReads:
    def median_ms(sql: str, params: tuple = ()) -> float:
        return raw.median(db.select_ms(sql, params, runs=opts.runs, warmup=opts.warmup))

    result = RawReads(
        total=db.rows(raw.COUNT_SQL)[0][0],
        list_ms=median_ms(raw.LIST_SQL),
        count_ms=median_ms(raw.COUNT_SQL),
        search_ms={},
        search_count_ms={},
        hits={},
    )
    for word in data.KEYWORDS:
        term = (raw.search_term(db.vendor, word),)
        count_sql = raw.SEARCH_COUNT_SQL[db.vendor]
        result.search_ms[word] = median_ms(raw.SEARCH_SQL[db.vendor], term)
        result.search_count_ms[word] = median_ms(count_sql, term)
        result.hits[word] = db.rows(count_sql, term)[0][0]
    return result


def _http_reads(
    server: Server, token: str, total: int, opts: Options
) -> dict[str, measure.Latencies]:
    """Latencies of the list and search, as a leader: the staff page and the API."""

    def timed(send) -> measure.Latencies:
        return measure.timed(send, runs=opts.runs, warmup=opts.warmup)

    with (
        closing(measure.session_client(server.base_url, "leader")) as page,
        closing(measure.token_client(server.base_url, token)) as api,
    ):
        response = api.get("/api/v1/complaints")
        seen = response.json().get("count") if response.status_code == 200 else None
        if seen != total:
            raise measure.CheckFailed(
                f"the leader sees {seen} of {total:,} complaints through the API "
                f"(HTTP {response.status_code}); do the demo users have their role groups "
                "and permissions after `tousu migrate` + `tousu demo`?"
            )
        found: dict[str, measure.Latencies] = {
            "list page": timed(lambda: page.get("/complaints/")),
            "API list": timed(lambda: api.get("/api/v1/complaints")),
        }
        for word in data.KEYWORDS:
            found[f"page {word}"] = timed(lambda w=word: page.get("/complaints/", params={"q": w}))
            found[f"API {word}"] = timed(
                lambda w=word: api.get("/api/v1/complaints", params={"q": w})
            )
    return found


def _serve_and_measure(env: dict, var_dir: Path, seeded: dict, total: int, opts: Options):
    tokens = seeded["tokens"]
    with gunicorn(env, var_dir / "gunicorn.log") as server:
        try:
            reads = _http_reads(server, tokens["leader"], total, opts)
            _progress("page and API reads done")
            intake = measure.register_load(
                server.base_url,
                tokens["clerk"],
                concurrency=opts.concurrency,
                seconds=opts.seconds,
                warmup=4 * opts.concurrency,
                vocabulary=seeded["vocabulary"],
            )
            _progress(f"API intake done ({intake.ok:,} registered)")
        except measure.CheckFailed as exc:
            raise measure.CheckFailed(f"{exc}\n--- server log (end) ---\n{server.tail()}") from exc
        return reads, intake, server.problems()


def bench_database(vendor: str, opts: Options) -> Report:
    report = Report(vendor)
    with tempfile.TemporaryDirectory(prefix="tousu-bench-") as tmp:
        var_dir = Path(tmp)
        if vendor == "postgresql":
            _pg_drop()
            _pg_admin(f"CREATE DATABASE {PG_BENCH_DB}")
            database_url = raw_target = _pg_url_for(PG_URL, PG_BENCH_DB)
        else:
            raw_target = str(var_dir / "bench.sqlite3")
            database_url = f"sqlite:///{raw_target}"
        env = _env(database_url, var_dir)
        try:
            seeded = _prepare(env, opts.complaints)
            with closing(raw.Raw(vendor, raw_target)) as db:
                raw_reads = _raw_reads(db, opts)  # on exactly the seeded rows
            _progress("raw selects done")
            reads, intake, problems = _serve_and_measure(
                env, var_dir, seeded, raw_reads.total, opts
            )
            with closing(raw.Raw(vendor, raw_target)) as db:
                bulk_rate, single_rate = db.insert_rates(
                    bulk_rows=opts.raw_bulk_rows, single_rows=opts.raw_single_rows
                )
            _progress("raw inserts done")
        finally:
            if vendor == "postgresql":
                _pg_drop()

    c = opts.concurrency
    report.rows += [
        Row(
            f"API register (c={c}) req/s",
            f"{intake.rate:,.1f}",
            f"{bulk_rate:,.0f} rows/s bulk",
            intake.rate / bulk_rate,
        ),
        Row(f"API register (c={c}) p50 / p95 ms", latency(intake)),
        Row(
            "  same, vs raw INSERT 1 row/commit (c=1)",
            f"{intake.rate:,.1f}",
            f"{single_rate:,.0f} rows/s",
            intake.rate / single_rate,
        ),
    ]
    # A page runs two queries: its 25 rows and the COUNT(*) behind the pager.
    rows_ms, count_ms = raw_reads.list_ms, raw_reads.count_ms
    report.rows += [
        latency_row("list page", reads["list page"], rows_ms, count_ms, opts.runs),
        latency_row("API list", reads["API list"], rows_ms, count_ms, opts.runs),
    ]
    n = opts.runs
    for word in data.KEYWORDS:
        label = f"q={word} ({raw_reads.hits[word]:,} hits)"
        rows_ms, count_ms = raw_reads.search_ms[word], raw_reads.search_count_ms[word]
        report.rows += [
            latency_row(f"search page {label}", reads[f"page {word}"], rows_ms, count_ms, n),
            latency_row(f"search API  {label}", reads[f"API {word}"], rows_ms, count_ms, n),
        ]
    statuses = ", ".join(f"{s or 'no answer'}: {n:,}" for s, n in sorted(intake.statuses.items()))
    report.notes += [
        f"seeded {seeded['seeded']:,} complaints in {seeded['seconds']:.1f} s "
        f"({seeded['seeded'] / seeded['seconds']:,.0f}/s through bulk_create), "
        f"plan: {seeded.get('plan') or 'none'}",
        f"gunicorn {WORKERS} workers x {THREADS} threads, "
        f"TOUSU_DB_CONN_MAX_AGE={env.get('TOUSU_DB_CONN_MAX_AGE', '60 (default)')}",
        f"API intake: {intake.ok:,} complaints in {intake.seconds:.1f} s (HTTP {statuses}); "
        f"the client used {intake.client_cpu:.0%} of one core",
    ]
    if problems:
        report.notes.append(f"server logged {len(problems)} error lines, the first ones:")
        report.notes += [f"  {line[:160]}" for line in problems[:5]]
    return report


# Main ------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--complaints", type=int, default=100_000)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=20.0, help="length of the intake run")
    parser.add_argument("--runs", type=int, default=20, help="requests per latency figure")
    parser.add_argument(
        "--database", choices=["sqlite", "postgresql"], action="append", dest="databases"
    )
    args = parser.parse_args()
    opts = Options(args.complaints, args.concurrency, args.seconds, args.runs)

    started, load_before = time.perf_counter(), os.getloadavg()[0]
    reports: list[Report] = []
    skipped: list[str] = []
    for vendor in args.databases or ["sqlite", "postgresql"]:
        if vendor == "postgresql" and (why := pg_unreachable(PG_URL)):
            skipped.append(f"postgresql: does not answer at {PG_URL} ({why})")
            continue
        print(f"== {vendor}", file=sys.stderr, flush=True)
        try:
            reports.append(bench_database(vendor, opts))
        except (BenchError, ServerError, measure.CheckFailed) as exc:
            print(f"bench: {vendor}: {exc}", file=sys.stderr)
            return 1
    elapsed = time.perf_counter() - started

    print()
    print(render(reports))
    print()
    print(f"databases measured: {', '.join(r.database for r in reports) or 'none'}")
    for reason in skipped:
        print(f"skipped {reason}")
    print(
        f"total wall time: {elapsed:.1f} s ({elapsed / 60:.1f} min); 1-minute load average "
        f"{load_before:.2f} before, {os.getloadavg()[0]:.2f} after, on {os.cpu_count()} CPUs"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
