"""The command structure of an incident: the plan's groups resolved to people."""

from __future__ import annotations

from django.db.models import QuerySet

from tousu.accounts.models import User
from tousu.core.config import config_cached
from tousu.incidents.choices import ResponderPart
from tousu.incidents.models import Incident, Responder
from tousu.plans.definition import Case
from tousu.plans.people import people_for, staff_with_role
from tousu.plans.schema import Plan


def _codes_up(user: User) -> set[str]:
    codes, department = set(), user.department
    while department is not None:
        codes.add(department.code)
        department = department.parent
    return codes


def staff_of_roles(system_roles: set[str]) -> dict[str, list[User]]:
    """The active staff of each of ``system_roles`` (by username), with their departments,
    roles and notification channels: what ``role_people`` takes as ``staff``. Read at
    once, and kept in this process until the configuration changes (users, their roles,
    departments and channels are watched). The people are shared: callers must not
    change them; the dict is the caller's own."""

    def build() -> dict[str, list[User]]:
        users = list(
            User.objects.filter(is_active=True, groups__name__in=system_roles)
            .distinct()
            .select_related("department__parent")
            .prefetch_related("notification_channels", "groups")
            .order_by("username")
        )
        return {role: [u for u in users if role in u.role_codes()] for role in system_roles}

    return dict(config_cached(f"incidents.staff:{','.join(sorted(system_roles))}", build))


def role_people(plan: Plan, role_key: str, case: Case | None, staff: dict) -> list[User]:
    """Active staff who fill plan role ``role_key`` in a response: its system role (and
    department, when the role names one). The scope of a complaint's role (its department,
    its assignee) does not narrow a command group; built-in people (a department head)
    are read from ``case``, the first linked complaint, when there is one."""
    role = plan.roles.get(role_key)
    if role is None:
        return people_for(case, [role_key], plan) if case is not None else []
    candidates = staff.get(role.system_role)
    if candidates is None:
        candidates = staff[role.system_role] = staff_with_role(role.system_role)
    return [u for u in candidates if not role.department or role.department in _codes_up(u)]


def command_structure(plan: Plan, case: Case | None) -> list[tuple[User, str, str]]:
    """(person, group key, part) for everyone in the response, commander first: the
    command group's lead (the first found is the commander, the others deputies), its
    deputies and members, then each working group's lead and members."""
    emergency = plan.emergency
    if emergency is None:
        return []
    command = plan.groups[emergency.command_group]
    keys = [command.lead or "", *command.deputies, *command.members]
    for group_key in emergency.working_groups:
        keys += [plan.groups[group_key].lead or "", *plan.groups[group_key].members]
    staff = staff_of_roles({plan.roles[k].system_role for k in keys if k in plan.roles})
    rows: list[tuple[User, str, str]] = []
    seen: set[tuple[int, str]] = set()

    def add(people: list[User], group: str, part: str) -> None:
        for person in people:
            if (person.pk, group) not in seen:
                seen.add((person.pk, group))
                rows.append((person, group, part))

    leads = role_people(plan, command.lead, case, staff) if command.lead else []
    add(leads[:1], emergency.command_group, ResponderPart.COMMANDER)
    add(leads[1:], emergency.command_group, ResponderPart.DEPUTY)
    for key in command.deputies:
        add(role_people(plan, key, case, staff), emergency.command_group, ResponderPart.DEPUTY)
    for key in command.members:
        add(role_people(plan, key, case, staff), emergency.command_group, ResponderPart.MEMBER)
    for group_key in emergency.working_groups:
        group = plan.groups[group_key]
        if group.lead:
            add(role_people(plan, group.lead, case, staff), group_key, ResponderPart.LEAD)
        for key in group.members:
            add(role_people(plan, key, case, staff), group_key, ResponderPart.MEMBER)
    return rows


def responders_of(incident: Incident) -> QuerySet[Responder]:
    return incident.responders.select_related("user").prefetch_related(
        "user__notification_channels", "user__groups"
    )


def commanders(incident: Incident) -> list[User]:
    """The commander and the deputies, commander first."""
    return [
        r.user
        for r in responders_of(incident).filter(
            part__in=[ResponderPart.COMMANDER, ResponderPart.DEPUTY]
        )
    ]


def is_commander(incident: Incident, user) -> bool:
    return (
        bool(getattr(user, "pk", None))
        and incident.responders.filter(
            user_id=user.pk, part__in=[ResponderPart.COMMANDER, ResponderPart.DEPUTY]
        ).exists()
    )


def group_people(incident: Incident, group: str) -> list[User]:
    """A group's people in the response, its lead first."""
    rows = responders_of(incident).filter(group=group)
    leads = [r.user for r in rows if r.part in (ResponderPart.COMMANDER, ResponderPart.LEAD)]
    return leads + [r.user for r in rows if r.user not in leads]
