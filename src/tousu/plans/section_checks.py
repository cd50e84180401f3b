"""Checks of a plan's emergency section (levels, triggers, tasks, reporting, peaks,
targets) and of its KPI standard, each error with its path in the file."""

from __future__ import annotations

from decimal import Decimal

from tousu.plans.checker import Checker, check_duration, check_unique
from tousu.plans.schema import KPI_COUNTS, KPI_RATES, Condition, Emergency, Kpi

_INCIDENT_FIELDS = ("nature", "channel")
_MONTH_DAYS = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def _check_incident_condition(c: Checker, path: str, condition: Condition | None) -> None:
    """A condition on an incident: known keys, and only what an incident has (its class,
    severity, amount involved and people injured)."""
    c.condition(path, condition)
    for name in _INCIDENT_FIELDS:
        if condition is not None and getattr(condition, name) is not None:
            c.add(
                f"{path}.{name}",
                f"an incident has no {name}: use category, severity, amount_at_least "
                f"or injured_at_least",
            )


def _check_levels(c: Checker, path: str, levels: list[str] | None, known: list[str]) -> None:
    if levels is None:
        return
    if not levels:
        c.add(path, "an empty list never applies: leave it out for every level")
    for index, key in enumerate(levels):
        if key not in known:
            c.add(f"{path}.{index}", f"no response level “{key}”")


def _month_day(text: str) -> bool:
    month, day = int(text[:2]), int(text[3:])
    return 1 <= month <= 12 and 1 <= day <= _MONTH_DAYS[month - 1]


def check_emergency(c: Checker, e: Emergency) -> None:  # noqa: C901 - one pass per field
    plan = c.plan
    groups = plan.groups
    command = groups.get(e.command_group)
    if command is None:
        c.add("emergency.command_group", f"no group “{e.command_group}”")
    levels = [level.key for level in e.levels]
    check_unique(c, "emergency.levels", levels, "level")
    for index, name in enumerate(e.working_groups):
        path = f"emergency.working_groups.{index}"
        if name not in groups:
            c.add(path, f"no group “{name}”")
        elif name == e.command_group:
            c.add(path, "the command group is not one of its own working groups")
        elif e.working_groups.index(name) != index:
            c.add(path, f"“{name}” is listed twice")
        elif not any(task.group == name for task in e.tasks):
            c.add(path, f"no task is given to “{name}”: add its tasks under emergency.tasks")
    for part in ("activated_by", "reported_by"):
        for index, role in enumerate(getattr(e, part)):
            c.role(f"emergency.{part}.{index}", role)
    if not e.activated_by and command is not None and not (command.lead or command.deputies):
        c.add(
            "emergency.activated_by",
            "nobody may activate: give the command group a lead or deputies, or list roles here",
        )
    _check_incident_condition(c, "emergency.immediate", e.immediate)

    check_unique(c, "emergency.triggers", [t.key for t in e.triggers], "trigger")
    for index, trigger in enumerate(e.triggers):
        path = f"emergency.triggers.{index}"
        if trigger.level not in levels:
            c.add(f"{path}.level", f"no response level “{trigger.level}”")
        if trigger.breach and trigger.breach not in c.deadlines:
            c.add(f"{path}.breach", f"no deadline “{trigger.breach}”")
        if not (trigger.when or trigger.mass or trigger.media or trigger.breach):
            c.add(path, "give when, mass, media or breach")
        c.condition(f"{path}.when", trigger.when)
        if trigger.mass:
            check_duration(c, f"{path}.mass.within", trigger.mass.within)

    acting = {e.command_group, *e.working_groups}
    check_unique(c, "emergency.tasks", [task.key for task in e.tasks], "task")
    for index, task in enumerate(e.tasks):
        path = f"emergency.tasks.{index}"
        if task.group not in groups:
            c.add(f"{path}.group", f"no group “{task.group}”")
        elif task.group not in acting:
            c.add(
                f"{path}.group",
                f"“{task.group}” is neither the command group nor one of the working groups",
            )
        _check_levels(c, f"{path}.levels", task.levels, levels)
        _check_incident_condition(c, f"{path}.when", task.when)
        check_duration(c, f"{path}.within", task.within)

    if e.working_groups and e.situation_every is None:
        c.add(
            "emergency.situation_every",
            "is required when the plan has working groups (信息报送: how often they report)",
        )
    check_duration(c, "emergency.situation_every", e.situation_every)

    check_unique(c, "emergency.report_to", [a.key for a in e.report_to], "authority")
    for index, authority in enumerate(e.report_to):
        path = f"emergency.report_to.{index}"
        _check_levels(c, f"{path}.levels", authority.levels, levels)
        _check_incident_condition(c, f"{path}.when", authority.when)
        check_duration(c, f"{path}.within", authority.within)

    check_unique(c, "emergency.peak", [p.key for p in e.peak], "peak period")
    for index, peak in enumerate(e.peak):
        path = f"emergency.peak.{index}"
        for side in ("start", "end"):
            if not _month_day(getattr(peak, side)):
                c.add(f"{path}.{side}", f"“{getattr(peak, side)}” is not a day of the year (MM-DD)")
        if peak.media_level is not None and peak.media_level not in levels:
            c.add(f"{path}.media_level", f"no response level “{peak.media_level}”")
        check_duration(c, f"{path}.first_contact", peak.first_contact)

    for name in ("acknowledge", "classify", "activate"):
        check_duration(c, f"emergency.targets.{name}", getattr(e.targets, name))


def check_kpi(c: Checker, kpi: Kpi) -> None:
    """The KPI standard: weights adding up to 100, and each indicator scored one way."""
    total = sum((indicator.weight for indicator in kpi.indicators), start=Decimal(0))
    if total != 100:
        c.add(
            "kpi.indicators",
            f"the weights add up to {total.normalize():f}; they must add up to 100",
        )
    check_unique(c, "kpi.indicators", [i.key for i in kpi.indicators], "indicator")
    for index, indicator in enumerate(kpi.indicators):
        path = f"kpi.indicators.{index}"
        ranged = indicator.full_at is not None or indicator.zero_at is not None
        if indicator.deduct is not None:
            if ranged:
                c.add(path, "give either deduct or full_at and zero_at, not both")
            if indicator.measure not in KPI_COUNTS:
                c.add(
                    f"{path}.deduct",
                    f"a deduction per item needs a count ({', '.join(KPI_COUNTS)})",
                )
        elif indicator.full_at is None or indicator.zero_at is None:
            c.add(path, "give full_at and zero_at (or deduct, for a count)")
        elif indicator.full_at == indicator.zero_at:
            c.add(f"{path}.zero_at", "must differ from full_at")
        for name in ("full_at", "zero_at"):
            value = getattr(indicator, name)
            if value is not None and indicator.measure in KPI_RATES and value > 100:
                c.add(f"{path}.{name}", "a rate is a percentage: at most 100")
        if indicator.deadlines is not None:
            if indicator.measure != "on_time_rate":
                c.add(f"{path}.deadlines", "only an on_time_rate counts chosen deadlines")
            if not indicator.deadlines:
                c.add(f"{path}.deadlines", "an empty list counts nothing: leave it out for all")
            for i, kind in enumerate(indicator.deadlines):
                if kind not in c.deadlines:
                    c.add(f"{path}.deadlines.{i}", f"no deadline “{kind}”")
