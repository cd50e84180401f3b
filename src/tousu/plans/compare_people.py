"""Roles and groups in a revision comparison: not only their names but what a role is
(system role, department, scope) and who is in a group (lead, deputies, members)."""

from __future__ import annotations

from collections.abc import Mapping

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tousu.accounts.choices import Role as SystemRole
from tousu.plans import describe
from tousu.plans.compare_parts import ADDED, CHANGED, REMOVED, Change, Section, keyed
from tousu.plans.schema import Group, Plan, Role

SCOPE_LABELS = {
    "any": gettext_lazy("every complaint"),
    "complaint_department": gettext_lazy("the complaint's department"),
    "own": gettext_lazy("own complaints"),
}


def _role_text(plan: Plan, role: Role, departments: Mapping[str, str]) -> str:
    parts = [
        _("label %(label)s") % {"label": role.label},
        _("system role %(role)s") % {"role": SystemRole(role.system_role).label},
        _("sees %(scope)s") % {"scope": SCOPE_LABELS[role.scope]},
    ]
    if role.department:
        name = departments.get(role.department, _("(unknown department)"))
        parts.append(_("department %(name)s") % {"name": name})
    return "，".join(parts)


def roles_section(a: Plan, b: Plan, departments: Mapping[str, str]) -> Section:
    """Roles added and removed, and what a role is: its label, the system role its
    people hold, the department it is tied to and what it sees."""
    section = Section(_("Roles"))
    for _key, o, n in keyed(a.roles, b.roles):
        if o is None:
            section.changes.append(
                Change(
                    ADDED,
                    _("Role “%(label)s”") % {"label": n.label},
                    after=_role_text(b, n, departments),
                )
            )
        elif n is None:
            section.changes.append(
                Change(
                    REMOVED,
                    _("Role “%(label)s”") % {"label": o.label},
                    before=_role_text(a, o, departments),
                )
            )
        elif o != n:
            section.changes.append(
                Change(
                    CHANGED,
                    _("Role “%(label)s”") % {"label": n.label},
                    _role_text(a, o, departments),
                    _role_text(b, n, departments),
                )
            )
    return section


def _group_text(plan: Plan, group: Group) -> str:
    parts = [
        _("lead %(role)s") % {"role": describe.role_label(plan, group.lead) if group.lead else "—"}
    ]
    if group.deputies:
        parts.append(_("deputies %(roles)s") % {"roles": describe.roles_text(plan, group.deputies)})
    parts.append(_("members %(roles)s") % {"roles": describe.roles_text(plan, group.members)})
    return "，".join(parts)


def groups_section(a: Plan, b: Plan) -> Section:
    """Groups added and removed, their names, and who is in them: lead, deputies,
    members (each change of membership on its own line), and their duties."""
    section = Section(_("Groups"))
    out = section.changes
    for _key, o, n in keyed(a.groups, b.groups):
        if o is None:
            out.append(
                Change(ADDED, _("Group “%(label)s”") % {"label": n.label}, after=_group_text(b, n))
            )
            continue
        if n is None:
            out.append(
                Change(
                    REMOVED, _("Group “%(label)s”") % {"label": o.label}, before=_group_text(a, o)
                )
            )
            continue
        if o.label != n.label:
            out.append(Change(CHANGED, _("Name of a group"), o.label, n.label))
        if o.lead != n.lead:
            lead = _("%(group)s: lead") % {"group": n.label}
            before = describe.role_label(a, o.lead) if o.lead else "—"
            after = describe.role_label(b, n.lead) if n.lead else "—"
            out.append(Change(CHANGED, lead, before, after))
        for field_name, title in (("deputies", _("deputy")), ("members", _("member"))):
            old_keys, new_keys = getattr(o, field_name), getattr(n, field_name)
            subject = _("%(group)s: %(what)s") % {"group": n.label, "what": title}
            for key in new_keys:
                if key not in old_keys:
                    out.append(Change(ADDED, subject, after=describe.role_label(b, key)))
            for key in old_keys:
                if key not in new_keys:
                    out.append(Change(REMOVED, subject, before=describe.role_label(a, key)))
        if o.duties != n.duties:
            out.append(
                Change(CHANGED, _("%(group)s: duties") % {"group": n.label}, o.duties, n.duties)
            )
    return section
