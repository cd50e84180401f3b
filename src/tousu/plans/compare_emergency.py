"""The emergency part in a revision comparison: command group, levels, triggers, tasks,
reports upward and peak periods, each on its own lines."""

from __future__ import annotations

from django.utils.translation import gettext as _

from tousu.plans import describe
from tousu.plans.compare_parts import ADDED, CHANGED, REMOVED, Change, Section, keyed
from tousu.plans.schema import Authority, PeakPeriod, Plan


def emergency_section(a: Plan, b: Plan) -> Section:
    section = Section(_("Emergency response"))
    out = section.changes
    ea, eb = a.emergency, b.emergency
    if ea is None and eb is None:
        return section
    if ea is None or eb is None:
        out.append(Change(ADDED if ea is None else REMOVED, _("Emergency part of the plan")))
        return section
    if ea.command_group != eb.command_group or describe.group_label(
        a, ea.command_group
    ) != describe.group_label(b, eb.command_group):
        out.append(
            Change(
                CHANGED,
                _("Command group"),
                describe.group_label(a, ea.command_group),
                describe.group_label(b, eb.command_group),
            )
        )

    def level_text(level) -> str:
        colours = {
            "red": _("red"),
            "orange": _("orange"),
            "yellow": _("yellow"),
            "blue": _("blue"),
            None: _("no colour"),
        }
        return _("%(label)s, %(colour)s, time limits ×%(factor)s") % {
            "label": level.label,
            "colour": colours[level.colour],
            "factor": describe.number(level.deadline_factor),
        }

    old = {lv.key: lv for lv in ea.levels}
    new = {lv.key: lv for lv in eb.levels}
    for _key, o, n in keyed(old, new):
        if o is None:
            out.append(
                Change(
                    ADDED, _("Response level “%(label)s”") % {"label": n.label}, after=level_text(n)
                )
            )
        elif n is None:
            out.append(
                Change(
                    REMOVED,
                    _("Response level “%(label)s”") % {"label": o.label},
                    before=level_text(o),
                )
            )
        elif o != n:
            out.append(
                Change(
                    CHANGED,
                    _("Response level “%(label)s”") % {"label": n.label},
                    level_text(o),
                    level_text(n),
                )
            )
    old_t = {t.key: t for t in ea.triggers}
    new_t = {t.key: t for t in eb.triggers}
    for _key, o, n in keyed(old_t, new_t):
        if o is None:
            out.append(
                Change(
                    ADDED,
                    _("Trigger “%(label)s”") % {"label": n.label},
                    after=describe.level_label(b, n.level),
                )
            )
        elif n is None:
            out.append(
                Change(
                    REMOVED,
                    _("Trigger “%(label)s”") % {"label": o.label},
                    before=describe.level_label(a, o.level),
                )
            )
        elif o != n:
            before, after = describe.level_label(a, o.level), describe.level_label(b, n.level)
            if before == after:
                after += _(" (other details changed)")
            out.append(
                Change(CHANGED, _("Trigger “%(label)s”") % {"label": n.label}, before, after)
            )
    old_k = {t.key: t for t in ea.tasks}
    new_k = {t.key: t for t in eb.tasks}
    for _key, o, n in keyed(old_k, new_k):
        if o is None:
            out.append(
                Change(
                    ADDED,
                    _("Task “%(label)s”") % {"label": n.label},
                    after=describe.duration(n.within.amount, n.within.unit),
                )
            )
        elif n is None:
            out.append(
                Change(
                    REMOVED,
                    _("Task “%(label)s”") % {"label": o.label},
                    before=describe.duration(o.within.amount, o.within.unit),
                )
            )
        elif o != n:
            before = describe.duration(o.within.amount, o.within.unit)
            after = describe.duration(n.within.amount, n.within.unit)
            if before == after:
                after += _(" (other details changed)")
            out.append(Change(CHANGED, _("Task “%(label)s”") % {"label": n.label}, before, after))
    out.extend(
        _items(_("Report upward to “%(label)s”"), ea.report_to, eb.report_to, a, b, _authority_text)
    )
    out.extend(_items(_("Peak period “%(label)s”"), ea.peak, eb.peak, a, b, _peak_text))
    handled = {"command_group", "levels", "triggers", "tasks", "report_to", "peak"}
    if ea.model_dump(exclude=handled) != eb.model_dump(exclude=handled):
        out.append(
            Change(
                CHANGED,
                _("Other emergency settings (working groups, who activates, targets)"),
            )
        )
    return section


def _levels_text(plan: Plan, levels: list[str] | None) -> str:
    if not levels:
        return _("every level")
    return "、".join(describe.level_label(plan, key) for key in levels)


def _authority_text(plan: Plan, item: Authority) -> str:
    parts = [
        _("within %(duration)s")
        % {"duration": describe.duration(item.within.amount, item.within.unit)},
        _("at %(levels)s") % {"levels": _levels_text(plan, item.levels)},
    ]
    when = describe.condition_text(plan, item.when)
    if when:
        parts.append(_("when %(condition)s") % {"condition": when})
    if item.media:
        parts.append(_("only when the media are involved"))
    return "，".join(parts)


def _peak_text(plan: Plan, item: PeakPeriod) -> str:
    parts = [_("%(start)s to %(end)s") % {"start": item.start, "end": item.end}]
    if item.first_contact is not None:
        parts.append(
            _("first contact within %(duration)s")
            % {"duration": describe.duration(item.first_contact.amount, item.first_contact.unit)}
        )
    if item.media_level:
        parts.append(
            _("media threat raises to %(level)s")
            % {"level": describe.level_label(plan, item.media_level)}
        )
    if item.staffing:
        parts.append(item.staffing)
    return "，".join(parts)


def _items(subject: str, old_list, new_list, a: Plan, b: Plan, text) -> list[Change]:
    """Keyed items of a list (reports upward, peak periods): added, removed, changed."""
    out = []
    old = {item.key: item for item in old_list}
    new = {item.key: item for item in new_list}
    for _key, o, n in keyed(old, new):
        if o is None:
            out.append(Change(ADDED, subject % {"label": n.label}, after=text(b, n)))
        elif n is None:
            out.append(Change(REMOVED, subject % {"label": o.label}, before=text(a, o)))
        elif o != n:
            before, after = text(a, o), text(b, n)
            if o.label != n.label:
                before, after = f"{o.label}：{before}", f"{n.label}：{after}"
            if before == after:
                after += _(" (other details changed)")
            out.append(Change(CHANGED, subject % {"label": n.label}, before, after))
    return out
