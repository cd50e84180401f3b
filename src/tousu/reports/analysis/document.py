"""The analysis report as a document: the figures and their charts rendered into one HTML
body (``reports/analysis/body.html``), which becomes the Word document and the PDF through
the shared renderers (``core.documents``), so the two never disagree.

Charts are PNG images drawn on the server by ``core.documents.charts`` (matplotlib's Agg
renderer with the CJK font of the npm package ``@embedpdf/fonts-sc``); the PDF embeds
that font, so Chinese renders on a machine without any system CJK font.
"""

from __future__ import annotations

import errno
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _

from tousu.accounts.selectors import organisation_current
from tousu.core.documents.charts import bar_chart, data_uri, line_chart, pie_chart
from tousu.core.documents.docx import html_docx
from tousu.core.documents.pdf import html_pdf
from tousu.reports.analysis.figures import REPORT_LANGUAGE

Step = Callable[[str], None]


def file_stem(figures: dict[str, Any]) -> str:
    """客诉分析报告-<period> (a range's ``..`` written ``_``: no dots in a file's stem)."""
    return "客诉分析报告-" + figures["period"]["key"].replace("..", "_")


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{value}%"


def _summary(f: dict[str, Any]) -> str:
    s = f["summary"]
    text = _(
        "In %(period)s, %(total)d complaints were received, %(change)s on %(previous)s "
        "(%(previous_total)d)."
    ) % {
        "period": period_words(f),
        "total": s["total"],
        "change": _change(s["change"], s["change_rate"]),
        "previous": f["previous"]["label"],
        "previous_total": s["previous"],
    }
    d = f["deadlines"]
    text += " " + _(
        "Of these, %(closed)d have been closed (closing rate %(closing)s) and %(open)d are "
        "still being handled; response time limits met %(response)s, completion time "
        "limits met %(completion)s, satisfaction rate %(satisfaction)s."
    ) % {
        "closed": s["closed"],
        "closing": _percent(s["closed_rate"]),
        "open": s["open"],
        "response": _percent(d["response_rate"]),
        "completion": _percent(d["completion_rate"]),
        "satisfaction": _percent(s["satisfaction_rate"]),
    }
    by = f["by"]
    if by["category"]:
        top = by["category"][0]
        text += " " + _("Most complaints were about %(category)s (%(count)d, %(share)s).") % {
            "category": top["label"],
            "count": top["count"],
            "share": _percent(top["share"]),
        }
    text += " " + _(
        "Repeat complaints: %(repeats)d; appeals: %(appeals)d; emergency incidents: "
        "%(incidents)d; penalties: %(penalties)s yuan."
    ) % {
        "repeats": f["repeats"]["repeats"],
        "appeals": f["repeats"]["appeals"],
        "incidents": f["incidents"]["count"],
        "penalties": f["penalties"]["sum"],
    }
    return text


def _change(change: int, change_rate: float | None) -> str:
    if change == 0:
        return _("unchanged")
    if change > 0:
        word = _("up %(count)d") % {"count": change}
    else:
        word = _("down %(count)d") % {"count": -change}
    return word if change_rate is None else f"{word} ({abs(change_rate)}%)"


def _share(part: int, whole: int) -> float | None:
    return round(part * 100 / whole, 1) if whole else None


def period_words(f: dict[str, Any]) -> str:
    """The period's label, with "up to 12/6" while it is still running."""
    period = f["period"]
    return f"{period['label']}（{period['cut']}）" if period.get("running") else period["label"]


def _indicators(f: dict[str, Any]) -> list[dict[str, str]]:
    """The indicators the period's data measures, by the KPI module's definitions, with
    the reference values of the plan's KPI standard where it has one (``targets``)."""
    s, total = f["summary"], f["summary"]["total"]
    d = f["deadlines"]
    targets = f["targets"]["measures"]
    rows = [
        {"label": _("Complaints received"), "value": str(total), "target": ""},
        {
            "label": _("Change on the previous period"),
            "value": _change(s["change"], s["change_rate"]),
            "target": "",
        },
        {
            "label": _("Closing rate (of the period's complaints, closed)"),
            "value": _percent(s["closed_rate"]),
            "target": targets.get("closed_rate", ""),
        },
        {
            "label": _("Resolution rate (of those closed)"),
            "value": _percent(s["resolution_rate"]),
            "target": targets.get("resolution_rate", ""),
        },
    ]
    for row in d["rows"]:
        if row["group"] == "response":
            rows.append(
                {
                    "label": _("On time: %(limit)s") % {"limit": row["label"]},
                    "value": _percent(row["rate"]),
                    "target": row.get("target", ""),
                }
            )
    rows += [
        {
            "label": _("On-time completion rate (completion time limits)"),
            "value": _percent(d["completion_rate"]),
            "target": f["targets"]["deadlines"].get("completion", ""),
        },
        {
            "label": _("Satisfaction rate"),
            "value": _percent(s["satisfaction_rate"]),
            "target": targets.get("satisfaction_rate", ""),
        },
        {
            "label": _("Share rated"),
            "value": _percent(f["satisfaction"]["rated_share"]),
            "target": "",
        },
        {
            "label": _("Repeat complaint rate"),
            "value": _percent(_share(f["repeats"]["repeats"], total)),
            "target": targets.get("repeat_rate", ""),
        },
        {
            "label": _("Appeal rate"),
            "value": _percent(_share(f["repeats"]["appealed"], total)),
            "target": targets.get("appeal_rate", ""),
        },
        {"label": _("Emergency incidents"), "value": str(f["incidents"]["count"]), "target": ""},
        {"label": _("Penalties (yuan)"), "value": str(f["penalties"]["sum"]), "target": ""},
    ]
    return rows


def _bars(rows: list[dict[str, Any]], title: str) -> str:
    rows = rows[:12]
    return data_uri(
        bar_chart(
            [r["label"] for r in rows], [r["count"] for r in rows], title=title, horizontal=True
        )
    )


def _pie(rows: list[dict[str, Any]], title: str) -> str:
    return data_uri(pie_chart([r["label"] for r in rows], [r["count"] for r in rows], title=title))


def _context(f: dict[str, Any], step: Step) -> dict[str, Any]:
    by = f["by"]
    charts: dict[str, str] = {}
    if f["summary"]["total"]:
        step(_("Drawing the trend"))
        charts["trend"] = data_uri(
            line_chart(
                f["trend"]["labels"],
                {_("Complaints received"): f["trend"]["values"]},
                title=_("Complaints received per day")
                if f["trend"]["unit"] == "day"
                else _("Complaints received per month"),
            )
        )
    step(_("Drawing the breakdowns"))
    breakdowns = [
        {
            "title": _("By category"),
            "column": _("Category"),
            "rows": by["category"],
            "chart": _bars(by["category"], _("By category")) if by["category"] else "",
            "width": 560,
        },
        {
            "title": _("By channel"),
            "column": _("Channel"),
            "rows": by["channel"],
            "chart": _pie(by["channel"], _("By channel")) if by["channel"] else "",
            "width": 400,
        },
        {
            "title": _("By department"),
            "column": _("Department"),
            "rows": by["department"],
            "chart": _bars(by["department"], _("By department")) if by["department"] else "",
            "width": 560,
        },
        {
            "title": _("By severity"),
            "column": _("Severity"),
            "rows": by["severity"],
            "chart": _pie(by["severity"], _("By severity")) if by["severity"] else "",
            "width": 400,
        },
        {
            "title": _("By status"),
            "column": _("Status"),
            "rows": by["status"],
            "chart": "",
            "width": 0,
        },
    ]
    tops = [
        {"title": _("Top categories"), "column": _("Category"), "rows": by["category"][:10]},
        {"title": _("Top merchants"), "column": _("Merchant"), "rows": f["top"]["merchant"]},
        {
            "title": _("Top products and services"),
            "column": _("Product or service"),
            "rows": f["top"]["product"],
        },
        {
            "title": _("Top places (two complaints or more)"),
            "column": _("Place"),
            "rows": f["top"]["place"],
        },
    ]
    deadlines = [r for r in f["deadlines"]["rows"] if r["rate"] is not None][:12]
    if deadlines:
        step(_("Drawing the deadline performance"))
        charts["deadlines"] = data_uri(
            bar_chart(
                [r["label"] for r in deadlines],
                [r["rate"] for r in deadlines],
                title=_("On-time rate by time limit (%)"),
                horizontal=True,
            )
        )
    rated = [r for r in f["satisfaction"]["rows"] if r["count"]]
    if rated:
        charts["satisfaction"] = _pie(rated, _("Satisfaction"))
    return {
        "f": f,
        "organisation": getattr(organisation_current(), "name", ""),
        "summary": _summary(f),
        "period_words": period_words(f),
        "indicators": _indicators(f),
        "charts": charts,
        "breakdowns": breakdowns,
        "tops": tops,
    }


def analysis_body(figures: dict[str, Any], step: Step | None = None) -> str:
    """The report's HTML body (Chinese) for the page, the PDF and the Word document."""
    with translation.override(REPORT_LANGUAGE):
        context = _context(figures, step or (lambda _text: None))
        return render_to_string("reports/analysis/body.html", context)


def analysis_documents(figures: dict[str, Any], step: Step | None = None) -> dict[str, bytes]:
    """The report as {"docx": bytes, "pdf": bytes}, from one body."""
    step = step or (lambda _text: None)
    body = analysis_body(figures, step)
    title = file_stem(figures)
    with translation.override(REPORT_LANGUAGE):
        step(_("Writing the Word document"))
        docx = html_docx(body, title=title)
        step(_("Writing the PDF"))
        pdf = html_pdf(body, title=title)
    return {"docx": docx, "pdf": pdf}


def output_check(directory: str | Path) -> Path:
    """The directory the files go to, checked before anything is computed: it must exist,
    be a directory and be writable. Raises ``OSError`` with the reason otherwise."""
    target = Path(directory)
    if not target.exists():
        raise FileNotFoundError(errno.ENOENT, _("No such directory"), str(target))
    if not target.is_dir():
        raise NotADirectoryError(errno.ENOTDIR, _("Not a directory"), str(target))
    if not os.access(target, os.W_OK | os.X_OK):
        raise PermissionError(errno.EACCES, _("Not writable"), str(target))
    return target


def analysis_write(figures: dict[str, Any], directory: str | Path) -> dict[str, Path]:
    """Write 客诉分析报告-<period>.docx and .pdf into ``directory`` (checked by
    ``output_check``): both are made first, each written to a temporary file in the
    directory, then both moved into place (``os.replace``) — both files or neither.
    Returns their paths by format; raises ``OSError`` when the directory fails."""
    target = output_check(directory)
    documents = analysis_documents(figures)
    temporary: dict[str, Path] = {}
    try:
        for fmt, content in documents.items():
            handle, name = tempfile.mkstemp(dir=target, prefix=".tousu-", suffix=f".{fmt}")
            temporary[fmt] = Path(name)
            with os.fdopen(handle, "wb") as out:
                out.write(content)
        paths: dict[str, Path] = {}
        try:
            for fmt, made in temporary.items():
                path = target / f"{file_stem(figures)}.{fmt}"
                os.replace(made, path)
                paths[fmt] = path
        except OSError:
            for placed in paths.values():  # the one moved already: neither, then
                placed.unlink(missing_ok=True)
            raise
        return paths
    finally:
        for made in temporary.values():
            made.unlink(missing_ok=True)
