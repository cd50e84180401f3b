"""The read leg of ``make bench``: lists and search over the kept read set (1M).

Latencies (p50 / p95 of ``runs`` sequential requests after a warm-up) of the staff list
page and the API list, unfiltered and filtered (one category, open), the API's next page
by cursor when the API offers one, and search for a rare, a medium and a very common
term; beside each the raw indexed select of the same 25 rows and the capped count a page
runs (at most 10,001 rows: above 10,000 a page says "10,000+").
"""

from __future__ import annotations

import tempfile
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path

import cache
import measure
import raw
from report import Row, latency, ms
from server import gunicorn

# (label, term): a price that few complaints name, one story's word, and a word nearly
# every complaint has.
TERMS = (("rare", "2999"), ("medium", "漏水"), ("common", "要求"))
CATEGORY = "quality"
GOAL_P95_MS = 50.0


@dataclass
class ReadOptions:
    complaints: int = 1_000_000
    runs: int = 60  # a p95 of 20 requests is their second slowest: one stall decides it
    warmup: int = 3


@dataclass
class RawRead:
    rows_ms: float
    count_ms: float
    hits: int | None = None


@dataclass
class Reads:
    total: int
    seeded: dict
    raw: dict[str, RawRead] = field(default_factory=dict)
    http: dict[str, measure.Latencies] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def _raw(db: raw.Raw, opts: ReadOptions) -> tuple[int, dict[str, RawRead]]:
    def median_ms(sql: str, params: tuple = ()) -> float:
        return raw.median(db.select_ms(sql, params, runs=opts.runs, warmup=opts.warmup))

    cap = (raw.CAP + 1,)
    (category_id,) = db.rows("SELECT id FROM complaints_category WHERE key = %s", (CATEGORY,))[0]
    found = {
        "list": RawRead(median_ms(raw.LIST_SQL), median_ms(raw.COUNT_CAPPED_SQL, cap)),
        "filtered": RawRead(
            median_ms(raw.FILTERED_LIST_SQL, (category_id,)),
            median_ms(raw.FILTERED_COUNT_CAPPED_SQL, (category_id, *cap)),
        ),
    }
    for label, word in TERMS:
        term = (raw.search_term(db.vendor, word),)
        found[label] = RawRead(
            median_ms(raw.SEARCH_SQL[db.vendor], term),
            median_ms(raw.SEARCH_COUNT_CAPPED_SQL[db.vendor], (*term, *cap)),
            hits=db.rows(raw.SEARCH_COUNT_SQL[db.vendor], term)[0][0],  # once, untimed
        )
    return db.rows(raw.COUNT_SQL)[0][0], found


def _check_api(api, total: int) -> dict:
    """The first API page as the leader (who sees every complaint), checked."""
    response = api.get("/api/v1/complaints")
    body = response.json() if response.status_code == 200 else {}
    count, exact = body.get("count"), body.get("count_exact", True)
    plausible = count == total or (not exact and count is not None and count <= total)
    if not plausible or not body.get("results"):
        raise measure.CheckFailed(
            f"the leader sees {count} (exact: {exact}) of {total:,} complaints through the "
            f"API (HTTP {response.status_code}); do the demo users have their role groups "
            "and permissions after `tousu migrate` + `tousu demo`?"
        )
    return body


def _cursor_of_page(api, first: dict, number: int) -> str | None:
    """The cursor that asks for page ``number`` (walked to once, untimed), or None when
    the API has no cursors (checked at run time: the bench measures the code it finds)."""
    cursor = first.get("next_cursor")
    for _ in range(number - 2):
        if not cursor:
            return None
        response = api.get("/api/v1/complaints", params={"cursor": cursor})
        cursor = response.json().get("next_cursor") if response.status_code == 200 else None
    return cursor


def _http(server, token: str, total: int, opts: ReadOptions) -> tuple[dict, list[str]]:
    def timed(send) -> measure.Latencies:
        return measure.timed(send, runs=opts.runs, warmup=opts.warmup)

    notes = []
    filters = {"category": CATEGORY, "open": "1"}
    with (
        closing(measure.session_client(server.base_url, "leader")) as page,
        closing(measure.token_client(server.base_url, token)) as api,
    ):
        first = _check_api(api, total)
        found: dict[str, measure.Latencies] = {
            "list page": timed(lambda: page.get("/complaints/")),
            "API list": timed(lambda: api.get("/api/v1/complaints")),
            "filtered page": timed(lambda: page.get("/complaints/", params=filters)),
            "filtered API": timed(lambda: api.get("/api/v1/complaints", params=filters)),
        }
        cursor = _cursor_of_page(api, first, 41)
        if cursor:
            found["API page 41 by cursor"] = timed(
                lambda c=cursor: api.get("/api/v1/complaints", params={"cursor": c})
            )
        else:
            notes.append("the API list offers no next_cursor: no keyset page measured")
        found["API page 41 by number"] = timed(
            lambda: api.get("/api/v1/complaints", params={"page": 41})
        )
        for label, word in TERMS:
            found[f"search page {label}"] = timed(
                lambda w=word: page.get("/complaints/", params={"q": w})
            )
            found[f"search API {label}"] = timed(
                lambda w=word: api.get("/api/v1/complaints", params={"q": w})
            )
    return found, notes


def bench_reads(vendor: str, opts: ReadOptions) -> Reads:
    env, raw_target, seeded = cache.cached(vendor, opts.complaints)
    with closing(raw.Raw(vendor, raw_target)) as db:
        total, raw_reads = _raw(db, opts)
    cache.progress("raw selects done")
    with tempfile.TemporaryDirectory(prefix="tousu-bench-reads-") as directory:
        with gunicorn(env, Path(directory) / "gunicorn.log") as server:
            try:
                http, notes = _http(server, seeded["tokens"]["leader"], total, opts)
            except measure.CheckFailed as exc:
                raise measure.CheckFailed(f"{exc}\n--- server log ---\n{server.tail()}") from exc
            problems = server.problems()
        cache.progress("page and API reads done")
    reads = Reads(total, seeded, raw_reads, http, notes)
    if problems:
        reads.notes.append(f"server logged {len(problems)} error lines, the first ones:")
        reads.notes += [f"  {line[:160]}" for line in problems[:5]]
    return reads


def _row(label: str, app: measure.Latencies, base: RawRead, runs: int) -> Row:
    raw_ms = base.rows_ms + base.count_ms
    flag = "" if app.p95 < GOAL_P95_MS else "  > goal"
    return Row(
        f"{label} p50 / p95 ms",
        latency(app, runs) + flag,
        f"{ms(base.rows_ms)} + {ms(base.count_ms)} ms",
        raw_ms / app.p50 if app.p50 else None,
    )


def rows(reads: Reads, opts: ReadOptions) -> tuple[list[Row], list[str]]:
    n, r, h = opts.runs, reads.raw, reads.http
    out = [
        _row("list page", h["list page"], r["list"], n),
        _row("API list", h["API list"], r["list"], n),
        _row(f"list page {CATEGORY}+open", h["filtered page"], r["filtered"], n),
        _row(f"API list {CATEGORY}+open", h["filtered API"], r["filtered"], n),
    ]
    for key in ("API page 41 by cursor", "API page 41 by number"):
        if key in h:
            out.append(_row(key, h[key], r["list"], n))
    for label, word in TERMS:
        hits = f"{word} ({r[label].hits:,} hits)"
        out += [
            _row(f"search page {label} {hits}", h[f"search page {label}"], r[label], n),
            _row(f"search API  {label} {hits}", h[f"search API {label}"], r[label], n),
        ]
    seeded = reads.seeded
    how = "re-used" if seeded.get("reused") else f"seeded now in {seeded['seconds']:.0f} s"
    notes = [
        f"reads over {reads.total:,} complaints (read set {seeded['name']}, {how}), "
        f"{opts.runs} requests per figure, as the leader (sees all)",
        *reads.notes,
    ]
    slow = [k for k, v in h.items() if not v.p95 < GOAL_P95_MS]
    notes.append(
        f"reads with p95 >= {GOAL_P95_MS:.0f} ms: {', '.join(slow)}"
        if slow
        else f"every read's p95 < {GOAL_P95_MS:.0f} ms"
    )
    return out, notes
