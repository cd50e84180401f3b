"""``tousu export``: as a named user, with the page's filters, a progress bar on stderr, a
non-zero exit and no file when there is nothing to export or the input is bad."""

from __future__ import annotations

import csv
import io

import pytest
from django.core.management import CommandError, call_command
from openpyxl import load_workbook

from tousu.audit.models import AuditEvent
from tousu.reports.tests.test_exports import cases  # noqa: F401  (fixture)

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("export", *args, "--quiet", stdout=out)
    return out.getvalue()


def test_the_cli_writes_the_users_rows_with_the_filters(cases, org, tmp_path):  # noqa: F811
    target = tmp_path / "quality.xlsx"
    said = run("complaints", "-o", str(target), "--as", "handler", "--filter", "severity=major")
    assert "1 rows" in said
    sheet = load_workbook(target, read_only=True).worksheets[0]
    header, *rows = list(sheet.iter_rows(values_only=True))
    assert [r[0] for r in rows] == [cases[1].tracking_no] and header[3] == "级别"
    assert rows[0][3] == "重大"
    event = AuditEvent.objects.get(action="export.made")
    assert event.actor == org.handler and event.data["filters"] == {"severity": "major"}


def test_the_cli_writes_csv_for_a_period_and_masks_for_a_supervisor(cases, org, tmp_path):  # noqa: F811
    from django.utils import timezone

    target = tmp_path / "all.csv"
    month = f"{timezone.localdate():%Y-%m}"
    run("complaints", "--format", "csv", "-o", str(target), "--as", "supervisor", "--period", month)
    content = target.read_bytes()
    assert content.startswith(b"\xef\xbb\xbf")
    header, *rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    assert len(rows) == 4 and all("****" in r[header.index("电话")] for r in rows)


def test_nothing_to_export_exits_non_zero_and_leaves_no_file(cases, org, tmp_path):  # noqa: F811
    target = tmp_path / "none.xlsx"
    with pytest.raises(CommandError, match="没有|nothing"):
        run("complaints", "-o", str(target), "--as", "leader", "--filter", "q=不存在xyz")
    assert not target.exists() and list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--as", "nobody"], "no active user"),
        (["--as", "leader", "--filter", "colour=red"], "NAME one of"),
        (["--as", "leader", "--filter", "received_from=2026-02-30"], "received_from"),
        (["--as", "leader", "--period", "2026-13"], "period"),
    ],
)
def test_bad_input_is_refused_with_a_message(cases, org, tmp_path, args, message):  # noqa: F811
    with pytest.raises(CommandError, match=message):
        run("complaints", "-o", str(tmp_path / "x.xlsx"), *args)


def test_the_ledger_is_refused_to_a_handler_on_the_cli(cases, org, tmp_path):  # noqa: F811
    with pytest.raises(CommandError):
        run("penalties", "-o", str(tmp_path / "p.csv"), "--as", "handler")


def test_the_progress_bar_goes_to_stderr(cases, org, tmp_path, capsys):  # noqa: F811
    out = io.StringIO()
    call_command(
        "export", "complaints", "-o", str(tmp_path / "c.csv"), "--as", "leader", stdout=out
    )
    err = capsys.readouterr().err
    assert "4/4" in err and "rows" in err and "4 rows" in out.getvalue()
