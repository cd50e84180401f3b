"""Staff messages about an incident, through the incident's gate: only people who may
see the incident (its command structure, the leadership, supervisors) are sent or named
in one. The text names no linked complaint (see ``notifications.messages``), so it is
the same for all of them."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from tousu.accounts.choices import ROLES_SEEING_ALL
from tousu.accounts.models import User
from tousu.incidents.models import Incident
from tousu.notifications.services import notify_users


def incident_visible_by_rules(user: User | None, responders: set[int]) -> bool:
    """The gate's rules for one incident held in memory (``responders``: the ids of its
    people and of its improvement actions' owners); ``selectors.incidents_visible`` is
    the same rule as a query."""
    if user is None or not user.is_active:
        return False
    return user.pk in responders or bool(user.role_codes() & ROLES_SEEING_ALL)


def incident_notify(
    *,
    users: Iterable[User | None],
    key: str,
    incident: Incident,
    event: str,
    now: datetime | None = None,
    responders: set[int] | None = None,
    **extra: object,
) -> list[User]:
    """Queue ``event`` about ``incident`` for those of ``users`` who may see it; returns
    them. ``responders``: the ids of the incident's people and improvement owners, when
    the caller holds them (an incident opened in its transaction)."""
    if responders is None:
        responders = set(incident.responders.values_list("user_id", flat=True))
        responders |= set(incident.improvements.values_list("owner_id", flat=True))
    allowed = {u.pk: u for u in users if u is not None and incident_visible_by_rules(u, responders)}
    people = sorted(allowed.values(), key=lambda u: u.username)
    if people:
        notify_users(
            users=people,
            key=key,
            complaint=None,
            incident=incident,
            event=event,
            can_see=lambda user: user.pk in allowed,
            now=now,
            **extra,
        )
    return people
