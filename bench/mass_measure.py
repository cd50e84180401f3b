"""Child of mass_bench.py: the mass-complaint check of one new complaint (index it, find
its matter, count the plan's mass triggers) with 100k and with 1M complaints of history,
in the database named by TOUSU_DATABASE_URL.

History is written straight into the similarity index — the rows the check reads — by
the database itself: one text row per band and one merchant row per complaint, at a
constant rate of ``PER_DAY`` complaints a day (a larger history is a longer one), about
``MERCHANTS`` merchants of very unequal size (the share of the largest ones is that of a
cubed uniform draw), each with ``VARIANTS`` kinds of text. On top, ``RECENT`` real
complaints about the measured merchant in the last six days, registered through the
service: a fifth of them paraphrases of one matter (expired milk), the rest other matters.
The measured complaints are registered through the service too; the timings are of
``similar_index`` (inside the registration) and of ``mass_firings`` right after.
"""

from __future__ import annotations

import json
import os
import random
import statistics
import threading
import time
from datetime import timedelta

import django
import psycopg

django.setup()

from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402

from tousu.complaints import hooks, services, similar  # noqa: E402
from tousu.complaints.models import Complaint, ComplaintMatter, SimilarityBand  # noqa: E402
from tousu.complaints.services import ComplainantData, complaint_register  # noqa: E402
from tousu.demo.loader import demo_organisation_create  # noqa: E402

QUICK = os.environ.get("TOUSU_BENCH_QUICK") == "1"  # a smoke run for developers
SIZES, RUNS, RECENT = ((10_000, 50_000), 10, 40) if QUICK else ((100_000, 1_000_000), 30, 200)
PER_DAY = 1_000
MERCHANTS = 20_000
VARIANTS = 60
ROWS_PER_COMPLAINT = similar.BANDS + 1
MERCHANT = "惠民超市"
MILK = [
    ("惠民超市卖过期牛奶", "我昨天在惠民超市买的鲜牛奶已经过期三天了，喝了以后肚子疼。"),
    ("在惠民超市买到过期鲜牛奶", "今天上午在惠民超市购买的鲜牛奶，回家发现已过保质期。"),
    ("惠民超市出售过期变质牛奶", "惠民超市货架上的鲜牛奶过期了还在卖，孩子喝后腹泻。"),
    ("投诉惠民超市过期牛奶", "惠民超市城东店销售过期的鲜牛奶，保质期到上周就过了。"),
    ("鲜牛奶过期了，惠民超市还在卖", "买了惠民超市的鲜牛奶，到家才发现过了保质期。"),
]
GOODS = ["洗衣液", "大米", "食用油", "面包", "鸡蛋", "酱油", "猪肉", "苹果", "饮料", "纸巾"]
TROUBLES = [
    "标价与结账价格不一致，多收了钱",
    "促销活动不兑现，按原价收费",
    "收银员态度恶劣，还骂人",
    "会员积分被无故清零",
    "称重不准，缺斤短两",
    "包装破损，里面有异物",
    "送货上门延误了三天",
    "停车场收费不合理",
]


def _other(rng: random.Random) -> tuple[str, str, str]:
    goods, trouble = rng.choice(GOODS), rng.choice(TROUBLES)
    return f"{MERCHANT}{goods}问题", f"在{MERCHANT}买{goods}，{trouble}，希望处理。", goods


def _register(clerk, person: int, title: str, description: str, product: str, received=None):
    return complaint_register(
        actor=clerk,
        channel="phone",
        title=title,
        description=description,
        category="quality",
        complainant=ComplainantData(name=f"顾客{person}", phone=f"138{person:08d}"),
        merchant=MERCHANT,
        product=product,
        received_at=received,
    )


# History ----------------------------------------------------------------------------

_BUCKET = "((({x}) * 2654435761 % 4294967291) * 2147483647 - 4611686018427387904)"


def _history_sql(first: int, count: int, complaint_id: int, end: int) -> str:
    """Index rows of complaints ``first`` … ``first + count - 1`` of the history, the
    newest ending at the epoch second ``end``."""
    seconds = 86_400 // PER_DAY
    draw = "(CAST((i * 2654435761) % 1000003 AS DOUBLE PRECISION) / 1000003)"
    merchant = f"CAST({MERCHANTS} * {draw} * {draw} * {draw} AS BIGINT)"
    variant = f"((i * 40503) % {VARIANTS})"
    text = _BUCKET.format(x=f"(m * {VARIANTS} + v) * 64 + b")
    alone = _BUCKET.format(x="1000000000 + m")
    bucket = f"CASE WHEN b = {similar.FIELD_BAND} THEN {alone} ELSE {text} END"
    table = SimilarityBand._meta.db_table
    last = first + count - 1
    if connection.vendor == "postgresql":
        return (
            f"INSERT INTO {table} (complaint_id, band, bucket, received_at) "  # noqa: S608
            f"SELECT {complaint_id}, b, {bucket}, to_timestamp({end} - i * {seconds}) FROM "
            f"(SELECT i, {merchant} AS m, {variant} AS v "
            f"FROM generate_series({first}::bigint, {last}) AS i) AS h "
            f"CROSS JOIN generate_series(0, {similar.FIELD_BAND}) AS b"
        )
    return (
        f"WITH RECURSIVE n(i) AS (SELECT {first} UNION ALL SELECT i + 1 FROM n "  # noqa: S608
        f"WHERE i < {last}), bands(b) AS (SELECT 0 UNION ALL SELECT b + 1 FROM bands "
        f"WHERE b < {similar.FIELD_BAND}), h(i, m, v) AS (SELECT i, {merchant}, {variant} "
        f"FROM n) INSERT INTO {table} (complaint_id, band, bucket, received_at) "
        f"SELECT {complaint_id}, b, {bucket}, datetime({end} - i * {seconds}, 'unixepoch') "
        "FROM h CROSS JOIN bands"
    )


def _history_fill(have: int, target: int, complaint_id: int, end: int) -> float:
    """Grow the history from ``have`` to ``target`` complaints; the seconds it took. As a
    restore would, the load drops the table's index and foreign key and builds them once
    afterwards; on PostgreSQL two connections load a half each."""
    started = time.perf_counter()
    table = SimilarityBand._meta.db_table
    create_index = (
        f"CREATE INDEX similarity_bucket ON {table} (band, bucket, received_at, complaint_id)"
    )
    count = target - have
    with connection.cursor() as cursor:
        if connection.vendor != "postgresql":
            cursor.execute("PRAGMA foreign_keys = OFF")
            cursor.execute("DROP INDEX similarity_bucket")
            cursor.execute(_history_sql(have, count, complaint_id, end))
            cursor.execute(create_index)
            cursor.execute("PRAGMA foreign_keys = ON")
            cursor.execute("ANALYZE")
            return time.perf_counter() - started
        cursor.execute(
            "SELECT conname FROM pg_constraint WHERE conrelid = %s::regclass AND contype = 'f'",
            [table],
        )
        (foreign_key,) = cursor.fetchone()
        cursor.execute(f"ALTER TABLE {table} DROP CONSTRAINT {foreign_key}")
        cursor.execute(f"ALTER TABLE {table} DROP CONSTRAINT {table}_pkey")
        cursor.execute("DROP INDEX similarity_bucket")
    url = os.environ["TOUSU_DATABASE_URL"]
    half = count // 2

    def load(first: int, rows: int) -> None:
        with psycopg.connect(url, autocommit=True) as db:
            db.execute("SET synchronous_commit = off")
            db.execute(_history_sql(first, rows, complaint_id, end))

    loaders = [
        threading.Thread(target=load, args=(have, half)),
        threading.Thread(target=load, args=(have + half, count - half)),
    ]
    for loader in loaders:
        loader.start()
    for loader in loaders:
        loader.join()
    with connection.cursor() as cursor:
        cursor.execute("SET maintenance_work_mem = '256MB'")
        cursor.execute(f"ALTER TABLE {table} ADD PRIMARY KEY (id)")
        cursor.execute(create_index)
        cursor.execute(
            f"ALTER TABLE {table} ADD CONSTRAINT {foreign_key} FOREIGN KEY (complaint_id) "
            f"REFERENCES {Complaint._meta.db_table} (id) DEFERRABLE INITIALLY DEFERRED"
        )
        cursor.execute(f"ANALYZE {table}")
    return time.perf_counter() - started


# Measure ----------------------------------------------------------------------------


def _measure(clerk, rng: random.Random, people: int) -> dict[str, list[float]]:
    timed: dict[str, list[float]] = {"index": [], "count": []}
    real_index = services.similar_index

    def index(**kwargs):
        started = time.perf_counter()
        try:
            return real_index(**kwargs)
        finally:
            timed["index"].append(time.perf_counter() - started)

    services.similar_index = index
    try:
        for run in range(RUNS):
            if run % 2:
                title, description, product = _other(rng)
            else:
                (title, description), product = MILK[run // 2 % len(MILK)], "鲜牛奶"
            complaint = _register(clerk, people + run, title, description, product)
            plan = complaint.plan
            started = time.perf_counter()
            similar.mass_firings(complaint=complaint, plan=plan, now=timezone.now())
            timed["count"].append(time.perf_counter() - started)
    finally:
        services.similar_index = real_index
    return timed


def main() -> None:
    rng = random.Random(315)
    users = demo_organisation_create("market")
    hooks._hooks.clear()  # the check alone: no incidents are opened from its firings
    clerk = users["clerk"]
    now = timezone.now()
    anchor = _register(clerk, 0, "基准", "历史索引行所属的投诉", "基准")
    for person in range(1, RECENT + 1):
        received = now - timedelta(days=6) + timedelta(days=6) * person / (RECENT + 1)
        if person % 5 == 0:
            (title, description), product = rng.choice(MILK), "鲜牛奶"
        else:
            title, description, product = _other(rng)
        _register(clerk, person, title, description, product, received)
    end = int((now - timedelta(minutes=5)).timestamp())
    result: dict[str, dict] = {}
    have, people = 0, RECENT + 1
    for size in SIZES:
        seconds = _history_fill(have, size, anchor.pk, end)
        have = size
        timed = _measure(clerk, rng, people)
        people += RUNS
        totals = [i + c for i, c in zip(timed["index"], timed["count"], strict=True)]
        result[str(size)] = {
            "fill_s": seconds,
            "rows": SimilarityBand.objects.count(),
            "index_ms": statistics.median(timed["index"]) * 1000,
            "count_ms": statistics.median(timed["count"]) * 1000,
            "total_ms": statistics.median(totals) * 1000,
        }
    result["matters"] = {"count": ComplaintMatter.objects.count()}
    print(json.dumps(result))


main()
