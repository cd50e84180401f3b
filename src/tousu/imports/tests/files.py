"""Import files for the tests: an earlier hotline system's export (CSV in GBK or UTF-8,
or XLSX written with xlsxwriter) and the mapping that reads it."""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

import xlsxwriter
from django.core.management import call_command

SHANGHAI = dt.timezone(dt.timedelta(hours=8))

MAPPING = """\
source: old_hotline
columns:
  source_id: 工单号
  title: 标题
  description: 投诉内容
  category: 类别
  received_at: 受理时间
  complainant_name: 投诉人
  complainant_phone: 联系电话
  channel: 来源
  merchant: 商户
  product: 商品
  amount_involved: 涉及金额
  reply: 答复
closed:
  column: 状态
  values: [已办结, 已归档]
values:
  channel: {电话: phone, 来访: walk_in}
"""
HEADER = [
    "工单号",
    "标题",
    "投诉内容",
    "类别",
    "受理时间",
    "投诉人",
    "联系电话",
    "来源",
    "商户",
    "商品",
    "涉及金额",
    "状态",
    "答复",
]


def row(source_id: str, received: str | dt.datetime, *, closed: bool = True, **cells) -> dict:
    """One record; ``cells`` (by column name) override the defaults."""
    values = {
        "工单号": source_id,
        "标题": "电热水壶使用一周漏水",
        "投诉内容": "在A区12号鑫达电器行购买电热水壶，使用一周后底座漏水，商家拒绝调换。",
        "类别": "商品质量",
        "受理时间": received,
        "投诉人": "张伟",
        "联系电话": "13812345678",
        "来源": "电话",
        "商户": "鑫达电器行",
        "商品": "电热水壶",
        "涉及金额": "￥1,280.50",
        "状态": "已办结" if closed else "处理中",
        "答复": "已协调商户退货退款。" if closed else "",
    }
    values.update(cells)
    return values


def ago(**delta) -> dt.datetime:
    """A moment that long before now, Beijing time, to the minute."""
    moment = dt.datetime.now(SHANGHAI) - dt.timedelta(**delta)
    return moment.replace(second=0, microsecond=0)


def text_of(value) -> str:
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    return str(value)


def mapping_file(folder: Path, text: str = MAPPING) -> Path:
    path = folder / "mapping.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def csv_file(
    folder: Path, rows: list[dict], *, encoding: str = "gbk", header: list[str] = HEADER
) -> Path:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    for record in rows:
        writer.writerow([text_of(record.get(column, "")) for column in header])
    path = folder / "export.csv"
    path.write_bytes(out.getvalue().encode(encoding))
    return path


def xlsx_file(folder: Path, rows: list[dict], *, header: list[str] = HEADER) -> Path:
    """Dates as real date cells (a naive Beijing time, as a spreadsheet holds them)."""
    path = folder / "export.xlsx"
    workbook = xlsxwriter.Workbook(str(path))
    sheet = workbook.add_worksheet("工单")
    when = workbook.add_format({"num_format": "yyyy-mm-dd hh:mm"})
    sheet.write_row(0, 0, header)
    for index, record in enumerate(rows, start=1):
        for column, name in enumerate(header):
            value = record.get(name, "")
            if isinstance(value, dt.datetime):
                sheet.write_datetime(index, column, value.replace(tzinfo=None), when)
            else:
                sheet.write(index, column, value)
    workbook.close()
    return path


def run_import(path: Path, mapping: Path, *args: str) -> str:
    """``tousu import`` as the command line runs it; its standard output."""
    out, err = io.StringIO(), io.StringIO()
    call_command("import", str(path), "--mapping", str(mapping), *args, stdout=out, stderr=err)
    return out.getvalue()
