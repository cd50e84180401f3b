"""The copy of the organisation's configuration a drill runs on: the organisation, its
departments, people and their roles, the drilled plan revision and the calendar.

Written from the real database by the conductor, loaded into the drill's fresh database
by the drill's own process. People are copied without their e-mail addresses and without
their notification channels, so nothing in the drill has an address outside the app.
"""

from __future__ import annotations

from django.contrib.auth.models import Group
from django.core import serializers
from django.db.models import Model

from tousu.accounts.models import Department, Organisation, User
from tousu.deadlines.models import CalendarOverride, CalendarYear
from tousu.plans.models import Plan, PlanRevision


def configuration_export(*, revision: PlanRevision, calendar_only: bool = False) -> str:
    """The configuration as a Django JSON fixture (natural keys for roles and people);
    with ``calendar_only`` the calendar alone (a drill staffed by the template's demo
    people, who the drill's process creates itself)."""
    if calendar_only:
        return serializers.serialize(
            "json",
            [*CalendarYear.objects.order_by("pk"), *CalendarOverride.objects.order_by("pk")],
            use_natural_foreign_keys=True,
            use_natural_primary_keys=True,
        )
    organisation = Organisation.objects.order_by("pk").first()
    rows: list[Model] = []
    if organisation is not None:
        organisation.plan_id = None  # the drill adopts the drilled plan itself
        rows.append(organisation)
    rows += list(Department.objects.order_by("pk"))
    rows += list(Group.objects.prefetch_related("permissions__content_type").order_by("pk"))
    people = list(
        User.objects.prefetch_related("groups", "user_permissions__content_type").order_by("pk")
    )
    for person in people:
        person.email = ""  # no address leaves the app in a drill
    rows += people
    plan = Plan.objects.get(pk=revision.plan_id)
    plan.active_revision_id = revision.pk
    rows += [plan, revision]
    rows += list(CalendarYear.objects.order_by("pk"))
    rows += list(CalendarOverride.objects.order_by("pk"))
    return serializers.serialize(
        "json", rows, use_natural_foreign_keys=True, use_natural_primary_keys=True
    )
