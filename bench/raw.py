"""The raw speed of the same database, through its driver and no Django.

Selects are the hand-written equivalents of what the list and search pages fetch; the
insert baseline copies real complaint rows into a scratch table with the same columns,
constraints and indexes as ``complaints_complaint``.
"""

from __future__ import annotations

import itertools
import re
import sqlite3
import statistics
import time
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
from psycopg.types.json import Jsonb

SCRATCH = "bench_scratch"

# The columns the list shows, joined as the page's select_related does.
_PAGE = (
    "SELECT c.*, cat.key, cat.name, d.code, d.name, p.name, p.phone, p.id_number,"
    " p.address, p.email, u.username"
    " FROM complaints_complaint c"
    " JOIN complaints_category cat ON cat.id = c.category_id"
    " JOIN accounts_department d ON d.id = c.department_id"
    " JOIN complaints_complainant p ON p.id = c.complainant_id"
    " LEFT JOIN accounts_user u ON u.id = c.assignee_id"
)
_ORDER = " ORDER BY c.received_at DESC, c.id DESC LIMIT 25"
_MATCHES = {
    "sqlite": "SELECT rowid FROM complaints_search_fts WHERE complaints_search_fts MATCH %s",
    "postgresql": "SELECT complaint_id FROM complaints_complaintsearchdocument"
    " WHERE search_vector @@ to_tsquery('simple', %s)",
}
# Built from the constant fragments above only; values are always bound parameters.
LIST_SQL = _PAGE + _ORDER
SEARCH_SQL = {v: f"{_PAGE} WHERE c.id IN ({m}){_ORDER}" for v, m in _MATCHES.items()}
COUNT_SQL = "SELECT COUNT(*) FROM complaints_complaint"
SEARCH_COUNT_SQL = {v: f"{COUNT_SQL} WHERE id IN ({m})" for v, m in _MATCHES.items()}
# What a page counts above a million rows: at most CAP + 1 of them (then "10,000+").
CAP = 10_000
_CAPPED = "SELECT COUNT(*) FROM (SELECT c.id FROM complaints_complaint c{} LIMIT %s) AS capped"
COUNT_CAPPED_SQL = _CAPPED.format("")
SEARCH_COUNT_CAPPED_SQL = {v: _CAPPED.format(f" WHERE c.id IN ({m})") for v, m in _MATCHES.items()}
# The filtered list: one category, not closed or archived.
_FILTER = " WHERE c.category_id = %s AND c.status NOT IN ('closed', 'archived')"
FILTERED_LIST_SQL = _PAGE + _FILTER + _ORDER
FILTERED_COUNT_CAPPED_SQL = _CAPPED.format(_FILTER)


def search_term(vendor: str, word: str) -> str:
    """The full-text query the application builds for a two-character word."""
    return f"'{word}'" if vendor == "postgresql" else f'"{word}"'


class Raw:
    """One driver connection to the bench database, with the vendor's placeholders."""

    def __init__(self, vendor: str, target: str) -> None:
        self.vendor = vendor
        if vendor == "sqlite":
            self.conn = sqlite3.connect(target, isolation_level=None, timeout=20)
            self.conn.execute("PRAGMA journal_mode=WAL")
            self.conn.execute("PRAGMA synchronous=NORMAL")
            self.conn.execute("PRAGMA foreign_keys=ON")
        else:
            self.conn = psycopg.connect(target, autocommit=True)

    def close(self) -> None:
        self.conn.close()

    def _sql(self, sql: str) -> str:
        return sql.replace("%s", "?") if self.vendor == "sqlite" else sql

    def rows(self, sql: str, params: tuple = ()) -> list[tuple]:
        # Values inlined client-side, as Django's psycopg backend sends them: the planner
        # sees the same literal SQL (a server-side parameter can get another plan).
        cursor = self.conn.cursor() if self.vendor == "sqlite" else psycopg.ClientCursor(self.conn)
        cursor.execute(self._sql(sql), params)
        return cursor.fetchall()

    def execute(self, sql: str, params: tuple = ()) -> None:
        self.conn.execute(self._sql(sql), params)

    @contextmanager
    def transaction(self) -> Iterator[None]:
        if self.vendor == "sqlite":
            self.conn.execute("BEGIN IMMEDIATE")
            try:
                yield
            except BaseException:
                self.conn.execute("ROLLBACK")
                raise
            self.conn.execute("COMMIT")
        else:
            with self.conn.transaction():
                yield

    def select_ms(
        self, sql: str, params: tuple = (), *, runs: int, warmup: int, budget: float = 20.0
    ) -> list[float]:
        """Times (ms) of running ``sql`` and fetching every row, after a warm-up (cut
        short, as the HTTP series are, after ``budget`` seconds and five runs)."""
        for _ in range(warmup):
            self.rows(sql, params)
        times: list[float] = []
        deadline = time.perf_counter() + budget
        for _ in range(runs):
            if len(times) >= 5 and time.perf_counter() > deadline:
                break
            started = time.perf_counter()
            self.rows(sql, params)
            times.append((time.perf_counter() - started) * 1000)
        return times

    # The insert baseline ------------------------------------------------------------

    def scratch_create(self) -> list[str]:
        """A copy of complaints_complaint's definition named SCRATCH; its columns but id."""
        self.scratch_drop()
        if self.vendor == "sqlite":
            for (ddl,) in self.rows(
                "SELECT sql FROM sqlite_master WHERE tbl_name = 'complaints_complaint'"
                " AND sql IS NOT NULL ORDER BY type DESC"  # the table before its indexes
            ):
                ddl = ddl.replace('"complaints_complaint"', f'"{SCRATCH}"')
                # Index names are global in SQLite: give the copies their own.
                ddl = re.sub(r'INDEX "([^"]+)"', rf'INDEX "{SCRATCH}_\1"', ddl)
                self.execute(ddl)
        else:
            self.execute(f"CREATE TABLE {SCRATCH} (LIKE complaints_complaint INCLUDING ALL)")
        cursor = self.conn.cursor()
        cursor.execute(f"SELECT * FROM {SCRATCH} WHERE 1 = 0")  # noqa: S608 - constant name
        return [d[0] for d in cursor.description if d[0] != "id"]

    def _adapt(self, value: object) -> object:
        """A value read back as it is written (JSON columns come back as dicts)."""
        if self.vendor == "postgresql" and isinstance(value, dict | list):
            return Jsonb(value)
        return value

    def scratch_drop(self) -> None:
        self.execute(f"DROP TABLE IF EXISTS {SCRATCH}")

    def insert_rates(self, *, bulk_rows: int, single_rows: int) -> tuple[float, float]:
        """Rows/s inserting real complaint rows: many per transaction, and one per commit."""
        columns = self.scratch_create()
        try:
            names = ", ".join(columns)
            source = self.rows(
                f"SELECT {names} FROM complaints_complaint ORDER BY id LIMIT 2000"  # noqa: S608
            )
            tracking = columns.index("tracking_no")
            numbers = itertools.count(1)

            def fresh(count: int) -> list[tuple]:
                out = []
                for row, _ in zip(itertools.cycle(source), range(count), strict=False):
                    row = list(row)
                    row[tracking] = f"BX-{next(numbers):09d}"
                    out.append(tuple(self._adapt(value) for value in row))
                return out

            insert = self._sql(
                f"INSERT INTO {SCRATCH} ({names}) VALUES ({', '.join(['%s'] * len(columns))})"  # noqa: S608
            )
            batch = fresh(bulk_rows)
            started = time.perf_counter()
            with self.transaction():
                cursor = self.conn.cursor()
                for start in range(0, len(batch), 1_000):
                    cursor.executemany(insert, batch[start : start + 1_000])
            bulk_rate = len(batch) / (time.perf_counter() - started)

            singles = fresh(single_rows)
            started = time.perf_counter()
            for row in singles:
                with self.transaction():
                    self.conn.cursor().execute(insert, row)
            single_rate = len(singles) / (time.perf_counter() - started)
        finally:
            self.scratch_drop()
        return bulk_rate, single_rate

    def update_insert_rate(self, *, rows: int) -> float:
        """Commits/s of one UPDATE plus one INSERT each, from one connection: a deadline
        row closed and its event written, in scratch tables shaped like the real ones
        (an indexed due time; an event with a body), no Django."""
        tables = (f"{SCRATCH}_deadline", f"{SCRATCH}_event")
        for table in tables:
            self.execute(f"DROP TABLE IF EXISTS {table}")
        deadline, event = tables
        try:
            self.execute(
                f"CREATE TABLE {deadline} (id integer PRIMARY KEY, due_at varchar(40) NOT NULL,"
                " closed_at varchar(40), closed_reason varchar(20) NOT NULL DEFAULT '')"
            )
            self.execute(f"CREATE INDEX {deadline}_due ON {deadline} (due_at, closed_at)")
            self.execute(
                f"CREATE TABLE {event} (id integer PRIMARY KEY, deadline_id integer NOT NULL"
                f" REFERENCES {deadline} (id), at varchar(40) NOT NULL, body text NOT NULL)"
            )
            with self.transaction():
                cursor = self.conn.cursor()
                cursor.executemany(
                    self._sql(f"INSERT INTO {deadline} (id, due_at) VALUES (%s, %s)"),  # noqa: S608
                    [(i, f"2026-01-01T00:{i % 60:02d}") for i in range(rows)],
                )
            update = self._sql(
                f"UPDATE {deadline} SET closed_at = %s, closed_reason = 'breached'"  # noqa: S608
                " WHERE id = %s"
            )
            insert = self._sql(
                f"INSERT INTO {event} (id, deadline_id, at, body)"  # noqa: S608 - constant names
                " VALUES (%s, %s, %s, %s)"
            )
            body = '{"kind": "breach", "stage": "investigation", "detail": "超过办理时限"}'
            started = time.perf_counter()
            for i in range(rows):
                with self.transaction():
                    cursor = self.conn.cursor()
                    cursor.execute(update, ("2026-01-02T00:00", i))
                    cursor.execute(insert, (i, i, "2026-01-02T00:00", body))
            return rows / (time.perf_counter() - started)
        finally:
            for table in reversed(tables):
                self.execute(f"DROP TABLE IF EXISTS {table}")


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")
