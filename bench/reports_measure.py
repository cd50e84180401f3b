"""Child of reports_bench.py: the figures of issue 12 (dashboard JSON, the monthly analysis
report, a large complaint export) over a year of complaints in the database named by
TOUSU_DATABASE_URL (already migrated); ``python reports_measure.py seed`` makes that year
once (reports_bench.py keeps the database between runs, see cache.py).

Data. ``BASE`` real complaints are bulk-loaded by ``seed.seed`` under the demo market's
plan (encrypted personal data, tracking numbers, the plan's workflow state), then put
where a year of an office leaves them: the stage that matches each status, satisfaction
ratings (the plan's scale) on most closed ones, and one or two deadline rows each (due
1–5 days after receipt; most closed on time, some breached; open ones partly overdue).
The database then multiplies complaints, complainants and deadlines with INSERT … SELECT
(``COPIES`` copies of each: new ids, new tracking numbers, every time shifted by the same
pseudo-random offset of at most two days, never into the future); one copy in twenty
keeps its complainant's phone digest, so callers repeat (copies share the encrypted
values; search documents and phone-suffix keys are not copied: nothing measured reads
them). As a restore would, the load drops the tables' secondary indexes and builds them
once afterwards, then ANALYZE (PostgreSQL: VACUUM ANALYZE, as autovacuum would have done).

Measured: ``GET /api/v1/stats/`` in process (django.test.Client, force_login) as the
demo's ``leader`` (sees all) and ``handler`` (the gate narrows) — after one warm-up that
counts the SQL queries, the median of up to ``RUNS`` requests (a slow one is repeated
only within ~20 s); ``analysis_figures`` for the latest full month as the system (up to
``FIGURE_RUNS`` within ~30 s) and ``analysis_write`` (DOCX + PDF) once. Prints one JSON
line, with the first day of the last ~``SMALL_EXPORT`` complaints. The latest full month
is the calendar's: a kept year ages, and the month measured moves through it.

``python reports_measure.py export FMT PATH USERNAME [RECEIVED_FROM]`` writes one
complaint export (``export_write``) and prints its rows, seconds, the process's resident
set before the export and its peak (VmHWM); the parent starts one such process per
export, from its own small process so that the peak it reads (``os.wait4``) is the
export's.
"""

from __future__ import annotations

import json
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import django

sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tousu.settings")
django.setup()

from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402

QUICK = os.environ.get("TOUSU_BENCH_QUICK") == "1"  # a smoke run for developers
TOTAL = 20_000 if QUICK else 1_000_000
BASE = 5_000 if QUICK else 25_000  # real rows through bulk_create; the rest is copies
COPIES = TOTAL // BASE - 1
SMALL_EXPORT = 5_000 if QUICK else 100_000
RUNS = 7
FIGURE_RUNS = 3
SHIFT = 2 * 86_400  # copies move by at most this many seconds
REPEAT_ONE_IN = 20  # copies that keep their complainant's phone digest
PLAN = "market"
HANDLER_DEPARTMENT = "quality"


def _status_kb(name: str) -> int:
    """A memory figure of this process from /proc (kB): VmRSS (resident now), VmHWM
    (peak resident since exec)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{name}:"):
            return int(line.split()[1])
    return 0


# Data -------------------------------------------------------------------------------


def _seed_base(rng: random.Random) -> float:
    from seed import _plan_revision, seed, vocabulary

    started = time.perf_counter()
    revision = _plan_revision()
    seed(BASE, 2_000, rng, revision, vocabulary(revision))
    return time.perf_counter() - started


def _shape(rng: random.Random) -> float:
    """Stage by status, satisfaction on closed complaints, and the deadline rows."""
    from django.db import transaction

    from seed import _plan_revision, _status
    from tousu.complaints.choices import Status
    from tousu.complaints.models import Complaint
    from tousu.deadlines.models import Deadline
    from tousu.plans.choices import Satisfaction

    started = time.perf_counter()
    now = timezone.now()
    plan = _plan_revision().plan_model
    by_status: dict[str, list[str]] = {}
    for key, stage in plan.stages.items():
        by_status.setdefault(stage.status, []).append(key)
    rules = [(key, rule) for key, stage in plan.stages.items() for rule in stage.deadlines]
    scale = list(plan.satisfaction.scale) if plan.satisfaction else list(Satisfaction.values)
    closed = {Status.CLOSED, Status.ARCHIVED}
    rows: list[Deadline] = []
    updates: dict[tuple[str, str, str], list[int]] = {}
    for pk, received in Complaint.objects.values_list("pk", "received_at").order_by("pk"):
        # Under a plan the seeder starts every complaint at the first stage; how far
        # it has gone since depends on its age, as the seeder would have it.
        status = _status(rng, (now - received).total_seconds() / 86_400)
        if status not in by_status:  # e.g. "assigned": the plan goes on to investigate
            status = Status.INVESTIGATING
        stage = rng.choice(by_status[status])
        satisfaction = ""
        if status in closed and rng.random() < 0.85:
            satisfaction = rng.choices(scale, weights=[70, 20, 10][: len(scale)])[0]
        updates.setdefault((status, stage, satisfaction), []).append(pk)
        first_stage, first_rule = rules[0]
        days = rng.uniform(1, 5)
        due = received + timedelta(days=days)
        first = Deadline(
            complaint_id=pk,
            stage=first_stage,
            kind=first_rule.key,
            anchor_at=received,
            amount=round(days, 2),
            unit="days",
            due_at=due,
            warn_at=received + timedelta(days=days * 0.75),
            created_at=received,
        )
        rows.append(first)
        if status == Status.REGISTERED:
            _open(first, now)
            continue
        _close(first, rng, now)
        if rng.random() < 0.4 and status in closed:
            continue  # about 1.6 deadlines per complaint
        stage_rules = [r for r in rules if r[0] == stage] or rules[1:]
        stage_key, rule = rng.choice(stage_rules)
        anchor = first.closed_at or received
        if status not in closed:
            anchor = max(anchor, now - timedelta(days=rng.uniform(0, 5)))
        days = rng.uniform(2, 6)
        second = Deadline(
            complaint_id=pk,
            stage=stage_key,
            kind=rule.key,
            anchor_at=anchor,
            amount=round(days, 2),
            unit="days",
            due_at=anchor + timedelta(days=days),
            warn_at=anchor + timedelta(days=days * 0.75),
            created_at=anchor,
        )
        rows.append(second)
        if status in closed:
            _close(second, rng, now, on_time=0.9)
        else:
            _open(second, now)
    with transaction.atomic():
        for (status, stage, satisfaction), ids in updates.items():
            for start in range(0, len(ids), 5_000):
                Complaint.objects.filter(pk__in=ids[start : start + 5_000]).update(
                    status=status, stage=stage, satisfaction=satisfaction
                )
        Deadline.objects.bulk_create(rows, batch_size=2_000)
    return time.perf_counter() - started


def _open(deadline, now) -> None:
    if deadline.warn_at <= now:
        deadline.warned_at = deadline.warn_at + timedelta(minutes=1)
    if deadline.due_at <= now:
        deadline.breached_at = deadline.due_at + timedelta(minutes=1)


def _close(deadline, rng: random.Random, now, on_time: float = 0.85) -> None:
    span = deadline.due_at - deadline.anchor_at
    if rng.random() < on_time:
        deadline.closed_at = min(deadline.anchor_at + span * rng.uniform(0.1, 0.95), now)
        deadline.closed_reason = "stage left"
        return
    deadline.warned_at = deadline.warn_at + timedelta(minutes=1)
    deadline.breached_at = deadline.due_at + timedelta(minutes=1)
    deadline.closed_at = min(deadline.due_at + timedelta(days=rng.uniform(0.1, 3)), now)
    deadline.closed_reason = "stage left"


def _columns(model) -> list[str]:
    return [field.column for field in model._meta.concrete_fields]


def _indexes(cursor, table: str) -> list[tuple[str, str]]:
    """(name, CREATE statement) of the table's secondary indexes (not the primary key or
    a constraint's)."""
    if connection.vendor == "postgresql":
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s AND indexname "
            "NOT IN (SELECT conname FROM pg_constraint WHERE conrelid = %s::regclass)",
            [table, table],
        )
    else:
        cursor.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = %s "
            "AND sql IS NOT NULL",
            [table],
        )
    return list(cursor.fetchall())


def _multiply_sql(now_text: str, strides: dict[str, int]) -> list[str]:
    """INSERT … SELECT statements making ``COPIES`` copies of complainants, complaints
    and their deadlines; copy k of a row has id ``id + k * stride``."""
    from tousu.complaints.models import Complainant, Complaint
    from tousu.deadlines.models import Deadline

    pg = connection.vendor == "postgresql"
    series = (
        f"generate_series(1, {COPIES}) AS k(n)"
        if pg
        else f"(WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s "  # noqa: S608
        f"WHERE n < {COPIES}) SELECT n FROM s) AS k"
    )
    now = f"TIMESTAMPTZ '{now_text}'" if pg else f"'{now_text}'"
    draw = f"((c.id * 2654435761 + k.n * 40503) % {2 * SHIFT + 1} - {SHIFT})"

    def plus(column: str, seconds: str) -> str:
        if pg:
            return f"{column} + ({seconds}) * INTERVAL '1 second'"
        return f"strftime('%Y-%m-%d %H:%M:%f', {column}, ({seconds}) || ' seconds')"

    # The same offset for a complaint and its deadlines; never past now.
    offset = f"(CASE WHEN {plus('c.received_at', draw)} > {now} THEN -ABS({draw}) ELSE {draw} END)"
    suffix = "lpad(k.n::text, 2, '0')" if pg else "printf('%02d', k.n)"
    text = "k.n::text" if pg else "k.n"
    p_stride, c_stride, d_stride = strides["complainant"], strides["complaint"], strides["deadline"]

    complainant = {
        "id": f"p.id + k.n * {p_stride}",
        "phone_digest": f"CASE WHEN (p.id * 2654435761 + k.n * 97) % {REPEAT_ONE_IN} = 0 "
        f"THEN p.phone_digest ELSE 'bench-' || {text} || '-' || p.id END",
    }
    complaint = {
        "id": f"c.id + k.n * {c_stride}",
        "tracking_no": f"c.tracking_no || {suffix}",
        "complainant_id": f"c.complainant_id + k.n * {p_stride}",
        **{
            column: plus(f"c.{column}", offset)
            for column in ("received_at", "registered_at", "occurred_at", "updated_at")
        },
    }
    deadline = {
        "id": f"d.id + k.n * {d_stride}",
        "complaint_id": f"d.complaint_id + k.n * {c_stride}",
        **{
            column: plus(f"d.{column}", offset)
            for column in (
                "anchor_at",
                "due_at",
                "warn_at",
                "paused_at",
                "closed_at",
                "warned_at",
                "breached_at",
                "created_at",
            )
        },
    }

    def insert(model, alias: str, overrides: dict[str, str], source: str) -> str:
        columns = _columns(model)
        values = ", ".join(overrides.get(col, f"{alias}.{col}") for col in columns)
        table = model._meta.db_table
        return f"INSERT INTO {table} ({', '.join(columns)}) SELECT {values} FROM {source}"  # noqa: S608

    complaints = Complaint._meta.db_table
    return [
        insert(
            Complainant, "p", complainant, f"{Complainant._meta.db_table} p CROSS JOIN {series}"
        ),
        insert(Complaint, "c", complaint, f"{complaints} c CROSS JOIN {series}"),
        insert(
            Deadline,
            "d",
            deadline,
            f"{Deadline._meta.db_table} d JOIN {complaints} c ON c.id = d.complaint_id "
            f"CROSS JOIN {series}",
        ),
    ]


def _multiply() -> float:
    """Grow the base to ``TOTAL`` complaints in SQL; the seconds it took (indexes
    dropped and rebuilt, statistics gathered)."""
    from tousu.complaints.models import Complainant, Complaint
    from tousu.deadlines.models import Deadline

    started = time.perf_counter()
    models = (Complainant, Complaint, Deadline)
    pg = connection.vendor == "postgresql"
    now = timezone.now()
    now_text = now.isoformat() if pg else now.strftime("%Y-%m-%d %H:%M:%S")
    with connection.cursor() as cursor:
        strides = {}
        for model in models:
            cursor.execute(f"SELECT MAX(id) FROM {model._meta.db_table}")  # noqa: S608
            strides[model._meta.model_name] = cursor.fetchone()[0]
        dropped = []
        for model in models:
            for name, create in _indexes(cursor, model._meta.db_table):
                cursor.execute(f'DROP INDEX "{name}"')
                dropped.append(create)
        if pg:
            cursor.execute("SET session_replication_role = replica")  # no FK checks
            cursor.execute("SET maintenance_work_mem = '512MB'")
        else:
            cursor.execute("PRAGMA foreign_keys = OFF")
        for statement in _multiply_sql(now_text, strides):
            cursor.execute(statement)
        for create in dropped:
            cursor.execute(create)
        if pg:
            cursor.execute("SET session_replication_role = DEFAULT")
            for model in models:
                table = model._meta.db_table
                cursor.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608
                    f"(SELECT MAX(id) FROM {table}))"
                )
                cursor.execute(f"VACUUM ANALYZE {table}")
        else:
            cursor.execute("PRAGMA foreign_keys = ON")
            cursor.execute("ANALYZE")
    return time.perf_counter() - started


# Measure ----------------------------------------------------------------------------


def _dashboard(users: dict, department: str) -> dict:
    """Median ms and SQL queries of the stats API per (user, query)."""
    from django.test import Client

    queries = {
        "month": "period=month",
        "year": "period=year",
        "month, one department": f"period=month&department={department}",
    }
    result: dict = {}
    for username in ("leader", "handler"):
        client = Client(HTTP_HOST="localhost")
        client.force_login(users[username])
        for name, query in queries.items():
            url = f"/api/v1/stats/?{query}"
            # The warm-up counts the SQL queries (a request resets connection.queries).
            sql: list[str] = []
            with connection.execute_wrapper(_counter(sql)):
                response = client.get(url)
            if response.status_code == 404:  # the API does not mount the router (yet)
                get = _direct(users[username], query)
                sql.clear()
                with connection.execute_wrapper(_counter(sql)):
                    body = get()
            elif response.status_code != 200:
                raise SystemExit(f"{url} as {username}: HTTP {response.status_code}")
            else:
                body = response.json()

                def get(url=url, client=client):
                    return client.get(url).json()

            timings = _timed(get, RUNS)
            result[f"{username}|{name}"] = {
                "ms": statistics.median(timings) * 1000,
                "runs": len(timings),
                "queries": len(sql),
                "received": body["received"]["count"],
                "via": "api" if response.status_code == 200 else "dashboard_figures",
            }
    return result


def _counter(queries: list[str]):
    def count(execute, sql, params, many, context):
        queries.append(sql)
        return execute(sql, params, many, context)

    return count


def _timed(call, runs: int, budget: float = 20.0) -> list[float]:
    """Seconds of up to ``runs`` calls; a slow call is repeated only while the calls
    so far took less than ``budget`` seconds (at least one)."""
    timings: list[float] = []
    while len(timings) < runs and (not timings or sum(timings) + timings[-1] < budget):
        started = time.perf_counter()
        call()
        timings.append(time.perf_counter() - started)
    return timings


def _direct(user, query: str):
    """The figures without HTTP, when /api/v1/stats/ answers 404: what the API view
    does (parse the filters, compute, encode as JSON)."""
    from urllib.parse import parse_qsl

    from django.core.serializers.json import DjangoJSONEncoder

    from tousu.reports.dashboard.stats import dashboard_figures, dashboard_filter_parse

    params = dict(parse_qsl(query))

    def get() -> dict:
        figures = dashboard_figures(user=user, dash=dashboard_filter_parse(**params))
        return json.loads(json.dumps(figures, cls=DjangoJSONEncoder))

    return get


def _analysis() -> dict:
    from tousu.reports.analysis.document import analysis_write
    from tousu.reports.analysis.figures import analysis_figures
    from tousu.reports.analysis.scope import SYSTEM
    from tousu.reports.periods import preset

    this_month = preset("month", today=timezone.localdate())
    period = this_month.previous()
    figures: dict = {}

    def make() -> None:
        figures.update(analysis_figures(period, user=SYSTEM))

    timings = _timed(make, FIGURE_RUNS, budget=30.0)
    with tempfile.TemporaryDirectory() as directory:
        started = time.perf_counter()
        paths = analysis_write(figures, directory)
        write_s = time.perf_counter() - started
        sizes = {fmt: path.stat().st_size for fmt, path in paths.items()}
    return {
        "period": period.key,
        "complaints": figures["summary"]["total"],
        "figures_s": statistics.median(timings),
        "runs": len(timings),
        "write_s": write_s,
        "sizes": sizes,
    }


def _export_child(fmt: str, path: str, username: str, received_from: str) -> None:
    """In a fresh process: write one complaint export, print what it took."""
    from tousu.accounts.models import User
    from tousu.reports.exports.services import export_write

    user = User.objects.get(username=username)
    filters = {"received_from": received_from} if received_from else {}
    before = _status_kb("VmRSS")
    started = time.perf_counter()
    rows = export_write("complaints", fmt, path, user, filters)
    seconds = time.perf_counter() - started
    print(
        json.dumps(
            {"rows": rows, "s": seconds, "rss_before_kb": before, "hwm_kb": _status_kb("VmHWM")}
        )
    )


def _small_export_from() -> str:
    """The first day whose complaints onward number about ``SMALL_EXPORT``."""
    from tousu.complaints.models import Complaint

    nth = Complaint.objects.order_by("-received_at").values_list("received_at", flat=True)[
        SMALL_EXPORT
    ]
    return (timezone.localdate(nth) + timedelta(days=1)).isoformat()


def seed_main() -> None:
    """Make the year of complaints in an empty, migrated database; print what was made."""
    from tousu.complaints.models import Complainant, Complaint
    from tousu.deadlines.models import Deadline
    from tousu.demo.loader import demo_organisation_create

    rng = random.Random(1212)
    demo_organisation_create(PLAN)
    seed_s = _seed_base(rng)
    shape_s = _shape(rng)
    multiply_s = _multiply() if COPIES else 0.0
    counts = {
        "complaints": Complaint.objects.count(),
        "complainants": Complainant.objects.count(),
        "deadlines": Deadline.objects.count(),
    }
    print(json.dumps({**counts, "seed_s": seed_s, "shape_s": shape_s, "multiply_s": multiply_s}))


def main() -> None:
    from tousu.accounts.models import User

    users = {user.username: user for user in User.objects.all()}
    result: dict = {
        "dashboard": _dashboard(users, HANDLER_DEPARTMENT),
        "analysis": _analysis(),
    }
    result["small_export_from"] = _small_export_from()
    print(json.dumps(result))


if __name__ == "__main__":
    if sys.argv[1:2] == ["export"]:
        _export_child(*sys.argv[2:6])
    elif sys.argv[1:2] == ["seed"]:
        seed_main()
    else:
        main()
