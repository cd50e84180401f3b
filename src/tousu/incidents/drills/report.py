"""The drill's evaluation (演练评估): the measured figures against the plan's targets, the
gaps, the improvement actions they call for and a proposed plan revision; and the report
that says so, in Chinese, as HTML and as a printable PDF.

The evaluation is data (kinds and numbers); the words are in the report's templates. The
PDF is drawn from the same body (``core.documents.pdf``).
"""

from __future__ import annotations

import logging
from datetime import datetime
from decimal import Decimal
from typing import Any

import yaml
from django.template.loader import render_to_string
from django.utils import timezone, translation

from tousu.core.documents.pdf import html_pdf
from tousu.incidents.drills.figures import split_kind
from tousu.incidents.drills.scenario import Scenario
from tousu.incidents.models import Drill
from tousu.plans import schema
from tousu.plans.models import PlanRevision
from tousu.plans.validation import plan_parse

log = logging.getLogger(__name__)
# The report is a Chinese document, whoever runs the drill in whichever language.
REPORT_LANGUAGE = "zh-hans"
# Improvement actions fall due this many days after the drill.
IMPROVE_WITHIN_DAYS = 30


def _warn_after(warn: schema.WarnAt | None) -> dict[str, Any] | None:
    """An earlier warning for a deadline that was missed: a quarter of the period sooner
    (at least a quarter in), twice the lead time, or half-way where there was none."""
    if warn is None:
        return {"fraction": "0.5"}
    if warn.fraction is not None:
        fraction = max(Decimal("0.25"), warn.fraction - Decimal("0.25"))
        return None if fraction == warn.fraction else {"fraction": format(fraction, "f")}
    if warn.before is not None:
        return {
            "before": {
                "amount": format(warn.before.amount * 2, "f"),
                "unit": warn.before.unit.value,
            }
        }
    return None


def _proposal(
    plan: schema.Plan, revision: PlanRevision, kinds: list[str], drill_title: str, number: Any
) -> dict[str, Any] | None:
    """A revision of the plan that warns earlier of every complaint deadline the drill saw
    missed; None when there is nothing to change."""
    data = plan.model_dump(mode="json", by_alias=True, exclude_defaults=True)
    changes = []
    for stage_key, stage in plan.stages.items():
        for index, rule in enumerate(stage.deadlines):
            if rule.key not in kinds:
                continue
            after = _warn_after(rule.warn)
            if after is None:
                continue
            data["stages"][stage_key]["deadlines"][index]["warn"] = after
            changes.append(
                {
                    "key": rule.key,
                    "label": rule.label,
                    "before": rule.warn.model_dump(mode="json", exclude_none=True)
                    if rule.warn
                    else None,
                    "after": after,
                }
            )
    if not changes:
        return None
    header = render_to_string(
        "incidents/drills/revision_header.txt",
        {"number": number, "title": drill_title, "revision": revision, "changes": changes},
    )
    body = yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=100)
    source = header + body
    result = plan_parse(source.encode("utf-8"))
    if not result.ok:
        log.warning("drill proposal does not validate: %s", result.errors[:3])
        return None
    return {"changes": changes, "source": source, "revision": None}


def drill_evaluate(
    *,
    figures: dict[str, Any],
    plan: schema.Plan,
    revision: PlanRevision,
    scenario: Scenario,
    number: Any = None,
) -> dict[str, Any]:
    """The gaps the figures show, the improvement actions and the proposed revision."""
    gaps: list[dict[str, Any]] = []
    for name, measured in figures["times"].items():
        if name == "classify" and not figures["complaints"]["classify_offered"]:
            continue
        if measured["target"] is None:
            if measured["measured"] or (name == "activate" and figures["incidents"]):
                gaps.append({"kind": "no_target", "name": name})
            continue
        if measured["missed"]:
            gaps.append(
                {
                    "kind": "target",
                    "name": name,
                    "missed": measured["missed"],
                    "count": measured["count"],
                    "target": measured["target"],
                    "deliberate": measured.get("deliberate", 0),
                }
            )
    missed = figures["missed"]
    for kind in figures["deadlines"]["by_kind"]:
        if not kind["missed"]:
            continue
        rows = [m for m in missed if m["kind"] == kind["kind"]]
        gaps.append(
            {
                "kind": "deadline",
                "type": kind["type"],
                "deadline": kind["kind"],
                "label": kind["label"],
                "missed": kind["missed"],
                "met": kind["met"],
                "deliberate": sum(1 for m in rows if m["deliberate"]),
            }
        )
    for item in figures["deliberate"]:
        if not item["found"]:
            gaps.append({"kind": "rehearsal", "subject": item["subject"], "deadline": item["kind"]})
    stuck: dict[tuple[str, str], int] = {}
    for item in figures["engine"]["stuck"]:
        key = (item.get("what", ""), item.get("stage") or item.get("error") or "")
        stuck[key] = stuck.get(key, 0) + 1
    for (what, where), count in stuck.items():
        gaps.append({"kind": "stuck", "what": what, "where": where, "count": count})
    for item in figures["engine"]["skipped"]:
        gaps.append({"kind": "skipped", "what": item["what"], "event": item["event"]})
    groups = {key: group.label for key, group in plan.groups.items()}
    tasks = {t.key: t for t in plan.emergency.tasks} if plan.emergency else {}
    improvements = []
    for gap in gaps:
        owner = ""
        if gap["kind"] == "deadline" and gap["type"] == "task":
            task = tasks.get(split_kind(gap["deadline"])[1])
            owner = groups.get(task.group, task.group) if task else ""
        elif plan.emergency is not None:
            owner = groups.get(plan.emergency.command_group, "")
        improvements.append({**gap, "owner": owner, "within_days": IMPROVE_WITHIN_DAYS})
    kinds = [g["deadline"] for g in gaps if g["kind"] == "deadline" and g["type"] == "complaint"]
    return {
        "gaps": gaps,
        "improvements": improvements,
        "proposal": _proposal(plan, revision, kinds, scenario.file.title, number),
    }


def _local(text: str | None) -> str:
    if not text:
        return ""
    return f"{timezone.localtime(datetime.fromisoformat(text)):%m-%d %H:%M}"


def _minutes(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds / 60, 1)


def _context(drill: Drill, plan: schema.Plan, scenario: Scenario) -> dict[str, Any]:
    """What the report shows, ready to print: times in minutes, moments in local time."""
    figures = drill.figures
    times = []
    for name, measured in figures["times"].items():
        if name == "classify" and not figures["complaints"]["classify_offered"]:
            continue
        times.append(
            {
                "name": name,
                **measured,
                "median_min": _minutes(measured["median"]),
                "p90_min": _minutes(measured["p90"]),
                "max_min": _minutes(measured["max"]),
            }
        )
    incidents = []
    for incident in figures["incidents"]:
        level = plan.emergency.level(incident["level"]) if plan.emergency else None
        incidents.append(
            {
                **incident,
                "level_label": f"{level.key} {level.label}" if level else incident["level"],
                "first_signal": _local(incident["first_signal"]),
                "activated_at": _local(incident["activated_at"]),
                "activate_min": _minutes(incident["activate_seconds"]),
                "tasks": [
                    {
                        **task,
                        "due_at": _local(task["due_at"]),
                        "done_at": _local(task["done_at"]),
                        "minutes": _minutes(task["seconds"]),
                    }
                    for task in incident["tasks"]
                ],
                "upward": [
                    {**u, "due_at": _local(u["due_at"]), "reported_at": _local(u["reported_at"])}
                    for u in incident["upward"]
                ],
                "statements": [
                    {
                        **s,
                        "published_at": _local(s["published_at"]),
                        "minutes": _minutes(s["seconds"]),
                    }
                    for s in incident["statements"]
                ],
            }
        )
    missed = [
        {
            **m,
            "due_at": _local(m["due_at"]),
            "closed_at": _local(m["closed_at"]),
            "late_min": _minutes(m["late"]),
        }
        for m in figures["missed"]
    ]
    engine = figures["engine"]
    return {
        "drill": drill,
        "plan": plan,
        "scenario": scenario,
        "window": {
            "start": f"{timezone.localtime(scenario.start):%Y-%m-%d %H:%M}",
            "end": f"{timezone.localtime(scenario.end):%Y-%m-%d %H:%M}",
            "hours": round(scenario.duration.total_seconds() / 3600, 1),
        },
        "figures": figures,
        "times": times,
        "incidents": incidents,
        "missed": missed,
        "missed_deliberate": [m for m in missed if m["deliberate"]],
        "deadlines": figures["deadlines"],
        "evaluation": figures["evaluation"],
        "engine": engine,
        "organisation": plan.metadata.name,
    }


def report_html(*, drill: Drill, plan: schema.Plan, scenario: Scenario) -> str:
    """The report as a page of its own (styles inline: it is kept and served as is)."""
    with translation.override(REPORT_LANGUAGE):
        return render_to_string("incidents/drills/report.html", _context(drill, plan, scenario))


def report_pdf(*, drill: Drill, plan: schema.Plan, scenario: Scenario) -> bytes:
    """The report as a printable A4 PDF with the CJK font embedded (subset)."""
    with translation.override(REPORT_LANGUAGE):
        body = render_to_string(
            "incidents/drills/report_body.html", _context(drill, plan, scenario)
        )
    return html_pdf(body, title=f"演练评估报告 {drill.pk}")
