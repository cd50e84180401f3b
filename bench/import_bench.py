"""`make bench`, import part: `tousu import` of a 100k-row XLSX on a fresh SQLite database.

The file is an earlier hotline system's export written with xlsxwriter: mostly closed
cases (archived on import), some open ones received over the last weeks (they start
under the plan, their clocks counted from when they were received, many already past
their limits), and a few bad rows (a bad date, an unknown category, a bad phone number,
a duplicate source id). A fresh organisation running the market template (``tousu demo
--complaints 0``) imports it; the figures are the command's own time and rows per
second, then a second run of the same file, which must import nothing new. Reported,
never asserted. Run as `python bench/import_bench.py [--rows N]`; TOUSU_BENCH_QUICK=1
makes it a 5k-row smoke run.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import xlsxwriter

ROOT = Path(__file__).resolve().parents[1]
READ = (
    "import json, django; django.setup();"
    "from tousu.imports.models import ImportRun;"
    "print(json.dumps([[r.rows_read, r.imported, r.imported_open, r.skipped, r.bad, r.breached]"
    " for r in ImportRun.objects.order_by('pk')]))"
)
QUICK = os.environ.get("TOUSU_BENCH_QUICK") == "1"
ROWS = 5_000 if QUICK else 100_000
OPEN_SHARE = 0.05  # the rest closed; a few bad rows on top
BAD_EVERY = 2_000

MAPPING = """\
source: old_hotline
sheet: 工单
columns:
  source_id: 工单号
  title: 标题
  description: 投诉内容
  category: 类别
  received_at: 受理时间
  complainant_name: 投诉人
  complainant_phone: 联系电话
  complainant_address: 地址
  channel: 来源
  merchant: 商户
  product: 商品
  amount_involved: 涉及金额
  reply: 答复
closed:
  column: 状态
  values: [已办结]
values:
  channel: {电话: phone, 来访: walk_in, 来信: letter}
"""
HEADER = [
    "工单号",
    "标题",
    "投诉内容",
    "类别",
    "受理时间",
    "投诉人",
    "联系电话",
    "地址",
    "来源",
    "商户",
    "商品",
    "涉及金额",
    "状态",
    "答复",
]
STORIES = [
    ("quality", "电热水壶使用一周漏水", "鑫达电器行", "电热水壶"),
    ("quality", "羊毛大衣干洗后严重缩水起球", "华美服饰", "羊毛大衣"),
    ("after_sales", "洗衣机保修期内维修一个月未修好", "家家乐电器", "滚筒洗衣机"),
    ("price_fraud", "结账价格高于标价", "惠民超市", "食用油"),
    ("false_advertising", "宣传“全场五折”实际仅少数商品参加", "时尚鞋城", "运动鞋"),
]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘"
GIVEN = ["伟", "芳", "娜", "秀英", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰"]


def export_write(path: Path, rows: int, rng: random.Random) -> dict[str, int]:
    """The export, row by row (constant memory); how many rows of each kind it holds."""
    counts = {"closed": 0, "open": 0, "bad": 0}
    now = dt.datetime.now() - dt.timedelta(hours=1)  # noqa: DTZ005 - a spreadsheet's local time
    workbook = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    sheet = workbook.add_worksheet("工单")
    when = workbook.add_format({"num_format": "yyyy-mm-dd hh:mm"})
    sheet.write_row(0, 0, HEADER)
    for n in range(1, rows + 1):
        category, title, merchant, product = rng.choice(STORIES)
        open_case = rng.random() < OPEN_SHARE
        received = now - (
            dt.timedelta(minutes=rng.randint(0, 60 * 24 * 40))
            if open_case
            else dt.timedelta(minutes=rng.randint(60 * 24 * 40, 60 * 24 * 730))
        )
        phone = rng.choice(["138", "139", "150", "186"]) + f"{rng.randint(0, 99_999_999):08d}"
        record = [
            f"RX{n:07d}",
            title,
            f"{received:%Y年%m月%d日}在{merchant}购买{product}，{title}，要求商家处理。",
            category,
            received,
            rng.choice(SURNAMES) + rng.choice(GIVEN),
            phone,
            f"东湖区解放路{rng.randint(1, 300)}号",
            rng.choice(["电话", "来访", "来信"]),
            merchant,
            product,
            round(rng.uniform(20, 5000), 2),
            "处理中" if open_case else "已办结",
            "" if open_case else "经调解，商户已退货退款，消费者表示满意。",
        ]
        if n % BAD_EVERY == 0:
            kind = (n // BAD_EVERY) % 4
            if kind == 0:
                record[4] = "2025-13-45"
            elif kind == 1:
                record[3] = "家电维修"
            elif kind == 2:
                record[6] = "12345"
            else:
                record[0] = f"RX{n - 1:07d}"  # the row before's id again: both are bad
                counts["bad"] += 1
            counts["bad"] += 1
        else:
            counts["open" if open_case else "closed"] += 1
        for column, value in enumerate(record):
            if isinstance(value, dt.datetime):
                sheet.write_datetime(n, column, value, when)
            else:
                sheet.write(n, column, value)
    workbook.close()
    return counts


def _tousu(env: dict[str, str], *args: str) -> tuple[str, float]:
    began = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "tousu", *args],
        env=env,
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
        timeout=3600,
    )
    return done.stdout, time.monotonic() - began


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=ROWS)
    options = parser.parse_args()
    rng = random.Random(315)
    with tempfile.TemporaryDirectory() as var:
        env = {
            **{k: v for k, v in os.environ.items() if k != "TOUSU_DATABASE_URL"},
            "TOUSU_VAR_DIR": var,
            "DJANGO_SETTINGS_MODULE": "tousu.settings",
            "TOUSU_LOG_LEVEL": "ERROR",
        }
        export = Path(var) / "hotline_export.xlsx"
        began = time.monotonic()
        counts = export_write(export, options.rows, rng)
        written = time.monotonic() - began
        mapping = Path(var) / "mapping.yaml"
        mapping.write_text(MAPPING, encoding="utf-8")
        _tousu(env, "migrate", "-v0")
        _tousu(env, "demo", "--plan", "market", "--complaints", "0")
        first, seconds = _tousu(env, "import", str(export), "--mapping", str(mapping))
        second, again = _tousu(env, "import", str(export), "--mapping", str(mapping))
        verify, checked = _tousu(env, "audit", "verify")
        read = subprocess.run(
            [sys.executable, "-c", READ], env=env, cwd=ROOT, check=True, capture_output=True
        )
    runs = json.loads(read.stdout.decode().strip().splitlines()[-1])
    (read_1, imported, opened, _skipped, bad, breached), (_read, again_in, _o, skipped, *_r) = runs
    print()
    print(
        f"export: {options.rows:,} rows ({counts['closed']:,} closed, {counts['open']:,} open, "
        f"{counts['bad']:,} bad), written in {written:.0f} s"
    )
    print(f"first run:  {first.strip().splitlines()[-1]}")
    print(f"second run: {second.strip().splitlines()[-1]}")
    print(f"audit verify after the import: {verify.strip().splitlines()[-1]} ({checked:.0f} s)")
    print()
    print(f"{'database':<11}{'measure':<58}{'value':>12}")
    rows = [
        (f"import of {read_1:,} rows (XLSX), whole command, s", f"{seconds:.1f}"),
        ("import rate, rows/s", f"{read_1 / seconds:.0f}"),
        ("  complaints imported (archived + open)", f"{imported - opened}+{opened}"),
        ("  bad rows reported / deadlines breached before import", f"{bad}/{breached}"),
        ("second run of the same file, s", f"{again:.1f}"),
        ("  imported by the second run / skipped as imported", f"{again_in}/{skipped}"),
    ]
    for name, value in rows:
        print(f"{'sqlite':<11}{name:<58}{value:>12}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
