"""Reading incidents, always through the gate: an incident is seen by its command
structure, the leadership and supervisors; its linked complaints only by those the
complaints' own gate lets see them."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from tousu.accounts.choices import ROLES_SEEING_ALL
from tousu.accounts.models import User
from tousu.complaints.models import Complaint
from tousu.core.problems import NotFound
from tousu.incidents.models import ImprovementAction, Incident, Responder


def incidents_visible(user: User | AnonymousUser | None) -> QuerySet[Incident]:
    """The one gate for reading incidents; deny by default."""
    if user is None or not user.is_authenticated or not user.is_active:
        return Incident.objects.none()
    if user.role_codes() & ROLES_SEEING_ALL:
        return Incident.objects.all()
    # The command structure, and the owners of the review's improvement actions.
    return Incident.objects.filter(
        Q(pk__in=Responder.objects.filter(user=user).values("incident_id"))
        | Q(pk__in=ImprovementAction.objects.filter(owner=user).values("incident_id"))
    )


def incident_visible_to(user: User | AnonymousUser | None, incident: Incident) -> bool:
    return incidents_visible(user).filter(pk=incident.pk).exists()


def incident_get_visible(*, user: User | AnonymousUser | None, number: str) -> Incident:
    """The incident ``number`` if ``user`` may see it; ``NotFound`` alike when it does not
    exist and when it is not theirs to see."""
    incident = (
        incidents_visible(user)
        .select_related("plan_revision", "category")
        .filter(number=number)
        .first()
    )
    if incident is None:
        raise NotFound(_("No such incident."))
    return incident


def linked_complaints(
    incident: Incident, user: User | AnonymousUser | None
) -> tuple[list[Complaint], int]:
    """The linked complaints ``user`` may see, and how many others there are."""
    linked = Complaint.objects.filter(incident_links__incident=incident)
    visible = list(
        linked.visible_to(user)
        .select_related("category", "department")
        .order_by("received_at", "pk")
    )
    return visible, linked.count() - len(visible)
