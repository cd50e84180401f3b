"""What changed between two plan revisions, in the plan's own words: stages, deadlines,
actions and their transitions, categories, severities, natures, roles, groups,
penalties, the emergency part, appeal and follow-up, messages. A pure function of the two
typed plans; the page colours each change (added, removed, changed)."""

from __future__ import annotations

from collections.abc import Mapping

from django.utils.translation import gettext as _

from tousu.plans import describe
from tousu.plans.compare_emergency import emergency_section
from tousu.plans.compare_parts import ADDED, CHANGED, REMOVED, Change, Section, keyed
from tousu.plans.compare_people import groups_section, roles_section
from tousu.plans.schema import Action, DeadlineRule, Plan


def _deadline_text(plan: Plan, rule: DeadlineRule) -> str:
    text = describe.duration(rule.amount, rule.unit)
    when = describe.condition_text(plan, rule.when)
    return f"{text}（{when}）" if when else text


def _action_text(plan: Plan, action: Action) -> str:
    parts = []
    targets = []
    if action.to:
        targets.append(describe.stage_label(plan, action.to))
    if action.on_satisfied:
        targets.append(_("satisfied") + " → " + describe.stage_label(plan, action.on_satisfied))
    if action.on_dissatisfied:
        targets.append(
            _("dissatisfied") + " → " + describe.stage_label(plan, action.on_dissatisfied)
        )
    if targets:
        parts.append(_("to %(stage)s") % {"stage": "；".join(targets)})
    parts.append(_("by %(roles)s") % {"roles": describe.roles_text(plan, action.by)})
    when = describe.condition_text(plan, action.when)
    if when:
        parts.append(_("when %(condition)s") % {"condition": when})
    return "，".join(parts)


def _stages(a: Plan, b: Plan) -> Section:
    section = Section(_("Stages and transitions"))
    out = section.changes
    if a.initial_stage != b.initial_stage:
        out.append(
            Change(
                CHANGED,
                _("First stage"),
                describe.stage_label(a, a.initial_stage),
                describe.stage_label(b, b.initial_stage),
            )
        )
    for _key, old, new in keyed(a.stages, b.stages):
        if old is None:
            out.append(Change(ADDED, _("Stage “%(label)s”") % {"label": new.label}))
            continue
        if new is None:
            out.append(Change(REMOVED, _("Stage “%(label)s”") % {"label": old.label}))
            continue
        name = _("Stage “%(label)s”") % {"label": new.label}
        if old.label != new.label:
            out.append(Change(CHANGED, _("Name of a stage"), old.label, new.label))
        if old.terminal != new.terminal:
            yes, no = _("ends the case"), _("does not end the case")
            out.append(
                Change(CHANGED, name, yes if old.terminal else no, yes if new.terminal else no)
            )
        old_actions = {x.key: x for x in old.actions}
        new_actions = {x.key: x for x in new.actions}
        for _k, oa, na in keyed(old_actions, new_actions):
            if oa is None:
                out.append(
                    Change(
                        ADDED,
                        _("%(stage)s: action “%(label)s”")
                        % {"stage": new.label, "label": na.label},
                        after=_action_text(b, na),
                    )
                )
            elif na is None:
                out.append(
                    Change(
                        REMOVED,
                        _("%(stage)s: action “%(label)s”")
                        % {"stage": old.label, "label": oa.label},
                        before=_action_text(a, oa),
                    )
                )
            elif oa != na:
                before, after = _action_text(a, oa), _action_text(b, na)
                if oa.label != na.label:
                    before, after = f"{oa.label}：{before}", f"{na.label}：{after}"
                if before == after:
                    after += _(" (other details changed)")
                out.append(
                    Change(
                        CHANGED,
                        _("%(stage)s: action “%(label)s”")
                        % {"stage": new.label, "label": na.label},
                        before,
                        after,
                    )
                )
    return section


def _deadlines(a: Plan, b: Plan) -> Section:
    section = Section(_("Time limits"))
    old_rules, new_rules = a.deadline_rules(), b.deadline_rules()
    for _key, old, new in keyed(old_rules, new_rules):
        if old is None:
            stage, rule = new
            section.changes.append(
                Change(
                    ADDED,
                    _("%(stage)s: %(label)s")
                    % {"stage": describe.stage_label(b, stage), "label": rule.label},
                    after=_deadline_text(b, rule),
                )
            )
        elif new is None:
            stage, rule = old
            section.changes.append(
                Change(
                    REMOVED,
                    _("%(stage)s: %(label)s")
                    % {"stage": describe.stage_label(a, stage), "label": rule.label},
                    before=_deadline_text(a, rule),
                )
            )
        elif old[1] != new[1] or old[0] != new[0]:
            before, after = _deadline_text(a, old[1]), _deadline_text(b, new[1])
            if old[1].label != new[1].label:
                before, after = f"{old[1].label} {before}", f"{new[1].label} {after}"
            if old[0] != new[0]:
                before = f"{describe.stage_label(a, old[0])}：{before}"
                after = f"{describe.stage_label(b, new[0])}：{after}"
            if before == after:
                after += _(" (other details changed)")
            section.changes.append(
                Change(
                    CHANGED,
                    _("%(stage)s: %(label)s")
                    % {"stage": describe.stage_label(b, new[0]), "label": new[1].label},
                    before,
                    after,
                )
            )
    return section


def _labelled(title: str, subject: str, old: dict[str, str], new: dict[str, str]) -> Section:
    """Items that are a key and a label (severities, natures, categories, roles …)."""
    section = Section(title)
    for _key, o, n in keyed(old, new):
        if o is None:
            section.changes.append(Change(ADDED, subject % {"label": n}))
        elif n is None:
            section.changes.append(Change(REMOVED, subject % {"label": o}))
        elif o != n:
            section.changes.append(Change(CHANGED, subject % {"label": n}, o, n))
    return section


def _categories(a: Plan, b: Plan) -> Section:
    def flat(plan: Plan) -> dict[str, str]:
        return {c.key: "　" * depth + c.label for c, depth in describe.categories_flat(plan)}

    old, new = flat(a), flat(b)
    section = Section(_("Categories"))
    for _key, o, n in keyed(old, new):
        if o is None:
            section.changes.append(Change(ADDED, n.strip("　")))
        elif n is None:
            section.changes.append(Change(REMOVED, o.strip("　")))
        elif o.strip("　") != n.strip("　"):
            section.changes.append(Change(CHANGED, _("Category"), o.strip("　"), n.strip("　")))
    return section


def _penalties(a: Plan, b: Plan) -> Section:
    def text(plan: Plan, key: str) -> str:
        rule = next(r for r in plan.penalties.rules if r.key == key)
        amount = describe.number(rule.amount)
        if rule.max_amount is not None:
            amount += "–" + describe.number(rule.max_amount)
        parts = [_("%(amount)s yuan") % {"amount": amount}]
        if rule.per_item:
            parts.append(_("per item"))
        if rule.performance:
            parts.append(_("performance score zero"))
        parts.append(_("borne by %(who)s") % {"who": describe.role_label(plan, rule.target)})
        return "，".join(parts)

    section = Section(_("Penalties"))
    old = {r.key: r for r in a.penalties.rules}
    new = {r.key: r for r in b.penalties.rules}
    for key, o, n in keyed(old, new):
        if o is None:
            section.changes.append(Change(ADDED, n.label, after=text(b, key)))
        elif n is None:
            section.changes.append(Change(REMOVED, o.label, before=text(a, key)))
        elif o != n:
            before, after = text(a, key), text(b, key)
            if before == after:
                after += _(" (other details changed)")
            section.changes.append(Change(CHANGED, n.label, before, after))
    if a.penalties.minimum_per_item != b.penalties.minimum_per_item:
        section.changes.append(
            Change(
                CHANGED,
                _("Minimum fine per complaint item"),
                _("%(amount)s yuan") % {"amount": describe.number(a.penalties.minimum_per_item)},
                _("%(amount)s yuan") % {"amount": describe.number(b.penalties.minimum_per_item)},
            )
        )
    return section


def _policies(a: Plan, b: Plan) -> Section:
    section = Section(_("Appeal and follow-up"))

    def appeal(plan: Plan) -> str:
        if plan.appeal is None:
            return _("none")
        text = _("heard by %(roles)s, at most %(rounds)d round(s)") % {
            "roles": describe.roles_text(plan, plan.appeal.heard_by),
            "rounds": plan.appeal.max_rounds,
        }
        if plan.appeal.deadline:
            text += "，" + describe.duration(plan.appeal.deadline.amount, plan.appeal.deadline.unit)
        return text

    def follow(plan: Plan) -> str:
        if plan.follow_up is None:
            return _("none")
        text = _("%(duration)s after closing, by %(roles)s") % {
            "duration": describe.duration(plan.follow_up.after.amount, plan.follow_up.after.unit),
            "roles": describe.roles_text(plan, plan.follow_up.by),
        }
        if plan.follow_up.reopen_on_dissatisfied and plan.follow_up.reopen_to:
            text += _("; dissatisfied → %(stage)s") % {
                "stage": describe.stage_label(plan, plan.follow_up.reopen_to)
            }
        return text

    for subject, fn, old, new in (
        (_("Appeal"), appeal, a.appeal, b.appeal),
        (_("Follow-up visit"), follow, a.follow_up, b.follow_up),
    ):
        if old == new:
            continue
        kind = ADDED if old is None else REMOVED if new is None else CHANGED
        before, after = fn(a), fn(b)
        if before == after:
            after += _(" (other details changed)")
        section.changes.append(Change(kind, subject, before, after))
    return section


def _messages(a: Plan, b: Plan) -> Section:
    section = Section(_("Messages"))
    for _key, o, n in keyed(a.messages, b.messages):
        if o is None:
            section.changes.append(Change(ADDED, _("Message"), after=n))
        elif n is None:
            section.changes.append(Change(REMOVED, _("Message"), before=o))
        elif o != n:
            section.changes.append(Change(CHANGED, _("Message"), o, n))
    return section


def _metadata(a: Plan, b: Plan) -> Section:
    section = Section(_("The plan"))
    pairs = [
        (_("Name"), a.metadata.name, b.metadata.name),
        (_("Effective date"), str(a.metadata.effective_date), str(b.metadata.effective_date)),
        (_("Interpreting body"), a.metadata.interpreting_body, b.metadata.interpreting_body),
        (_("Legal basis"), "；".join(a.metadata.legal_basis), "；".join(b.metadata.legal_basis)),
        (
            _("Channels"),
            "、".join(str(describe.CHANNELS.get(c, c)) for c in a.channels),
            "、".join(str(describe.CHANNELS.get(c, c)) for c in b.channels),
        ),
    ]
    for subject, before, after in pairs:
        if before != after:
            section.changes.append(Change(CHANGED, subject, before, after))
    return section


# Parts compared one by one above; any other part that differs is named by its title.
_HANDLED = {
    "key",
    "metadata",
    "channels",
    "initial_stage",
    "stages",
    "categories",
    "severities",
    "natures",
    "roles",
    "groups",
    "penalties",
    "emergency",
    "appeal",
    "follow_up",
    "messages",
}


def _other(a: Plan, b: Plan) -> Section:
    titles = {
        "business_hours": _("Business hours"),
        "escalations": _("Escalations"),
        "satisfaction": _("Satisfaction scale"),
        "confidentiality": _("Confidential complaints"),
        "complainant": _("What the complainant may do"),
        "scripts": _("Reply scripts"),
        "kpi": _("KPI standard"),
    }
    section = Section(_("Other parts"))
    fields = [name for name in type(b).model_fields if name not in _HANDLED]
    for name in fields:
        old, new = getattr(a, name, None), getattr(b, name, None)
        if old != new:
            section.changes.append(Change(CHANGED, str(titles.get(name, _("Other settings")))))
    return section


def plan_compare(a: Plan, b: Plan, departments: Mapping[str, str] | None = None) -> list[Section]:
    """The sections in which revision ``a`` and ``b`` differ (empty when their content is
    the same, even if the files' comments or layout differ). ``departments`` names the
    departments roles are tied to, by code."""
    sections = [
        _metadata(a, b),
        _stages(a, b),
        _deadlines(a, b),
        _labelled(
            _("Severities"),
            _("Severity “%(label)s”"),
            {c.key: c.label for c in a.severities},
            {c.key: c.label for c in b.severities},
        ),
        _labelled(
            _("Natures"),
            _("Nature “%(label)s”"),
            {c.key: c.label for c in a.natures},
            {c.key: c.label for c in b.natures},
        ),
        _categories(a, b),
        roles_section(a, b, departments or {}),
        groups_section(a, b),
        _penalties(a, b),
        emergency_section(a, b),
        _policies(a, b),
        _messages(a, b),
        _other(a, b),
    ]
    return [s for s in sections if s.changes]
