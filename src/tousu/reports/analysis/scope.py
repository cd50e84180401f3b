"""Who a report is for and what it covers: the asking person (or the system), the plan
and the department, checked once; every read of the report starts from here.

Complaints are read through the visibility gate (``Complaint.objects.visible_to``) of the
person who asked. ``tousu report`` run without ``--as`` acts for nobody in particular:
the system (``SYSTEM``), which sees every complaint, as the worker does.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from tousu.accounts.choices import ROLES_SEEING_ALL
from tousu.accounts.models import Department, User
from tousu.accounts.selectors import department_subtree_ids
from tousu.complaints.models import Complaint
from tousu.core.actors import SystemActor
from tousu.core.problems import InvalidInput
from tousu.incidents.models import Incident
from tousu.incidents.selectors import incidents_visible
from tousu.plans.models import Plan
from tousu.reports.periods import Period

# The report made for nobody in particular (the command line without --as).
SYSTEM = SystemActor("system")
Reader = User | SystemActor


def _refuse(field: str, message: str) -> InvalidInput:
    return InvalidInput(message, field_errors={field: [message]})


def sees_everything(user: Reader) -> bool:
    """The system, leadership, supervisors and administrators see every department."""
    return isinstance(user, SystemActor) or bool(user.role_codes() & ROLES_SEEING_ALL)


def department_check(user: Reader, code: str) -> Department:
    """The department ``code`` if ``user`` may see its complaints (their own department
    and those below it, or every one for the roles that see all); ``InvalidInput`` on
    the field ``department`` otherwise, alike for one that does not exist."""
    department = Department.objects.filter(code=code).first()
    allowed = department is not None and (
        sees_everything(user)
        or (
            isinstance(user, User)
            and user.department_id is not None
            and department.pk in department_subtree_ids(user.department_id)
        )
    )
    if department is None or not allowed:
        raise _refuse(
            "department", _("You may not see department %(department)s.") % {"department": code}
        )
    return department


def plan_check(key: str) -> Plan:
    plan = Plan.objects.filter(key=key).first()
    if plan is None:
        raise _refuse("plan", _("There is no plan “%(plan)s”.") % {"plan": key})
    return plan


@dataclass
class Scope:
    """The reader, the plan and the department of one report (checked)."""

    user: Reader
    plan: Plan | None = None
    department: Department | None = None

    @classmethod
    def build(cls, *, user: Reader, plan_key: str | None, department: str | None) -> Scope:
        return cls(
            user=user,
            plan=plan_check(plan_key) if plan_key else None,
            department=department_check(user, department) if department else None,
        )

    @property
    def department_ids(self) -> set[int] | None:
        if self.department is None:
            return None
        cached: set[int] | None = getattr(self, "_subtree", None)
        if cached is None:
            cached = self._subtree = department_subtree_ids(self.department.pk)
        return cached

    def complaints(self) -> QuerySet[Complaint]:
        """The complaints the reader may see, of the plan and department asked for."""
        qs: QuerySet[Complaint] = (
            Complaint.objects.all()
            if isinstance(self.user, SystemActor)
            else Complaint.objects.visible_to(self.user)
        )
        if self.plan is not None:
            qs = qs.filter(plan_revision__plan=self.plan)
        if self.department_ids is not None:
            qs = qs.filter(department_id__in=self.department_ids)
        return qs

    def received(self, period: Period) -> QuerySet[Complaint]:
        """The visible complaints received in ``period``."""
        start, end = period.bounds()
        return self.complaints().filter(received_at__gte=start, received_at__lt=end)

    def incidents(self) -> QuerySet[Incident]:
        """The incidents the reader may see, of the plan; with a department, those linked
        to the department's complaints."""
        qs = Incident.objects.all() if isinstance(self.user, SystemActor) else None
        if qs is None:
            qs = incidents_visible(self.user)  # type: ignore[arg-type]
        if self.plan is not None:
            qs = qs.filter(plan_revision__plan=self.plan)
        if self.department_ids is not None:
            qs = qs.filter(links__complaint__department_id__in=self.department_ids).distinct()
        return qs

    def describe(self) -> dict[str, Any]:
        return {
            "plan": self.plan.name if self.plan else "",
            "department": self.department.name if self.department else "",
            "reader": _("the system (every complaint)")
            if isinstance(self.user, SystemActor)
            else self.user.display_name,
        }
