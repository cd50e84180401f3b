"""Staff messages about a complaint, always through the visibility gate: nobody is sent,
or named in, a message about a case they could not open."""

from __future__ import annotations

from datetime import datetime

from tousu.accounts.models import User
from tousu.complaints.models import Participant
from tousu.complaints.selectors import complaint_visible_by_rules
from tousu.notifications.services import notify_users


def staff_notify(
    *, users, key: str, complaint, event: str, now: datetime | None = None, **extra
) -> list:
    """Queue ``event`` for those of ``users`` who may see ``complaint``; returns them.

    The gate's rules are applied in memory (``complaint_visible_by_rules``, held equal to
    the gate's query by a test), with the case's participants read once: telling ten
    people costs one query, not ten."""
    users = [user for user in users if user is not None and user.is_active]
    if not users:
        return []
    participants = set(
        Participant.objects.filter(complaint=complaint).values_list("user_id", flat=True)
    )
    seen: dict[int, User] = {}
    for user in users:
        if user.pk not in seen and complaint_visible_by_rules(user, complaint, participants):
            seen[user.pk] = user
    allowed = sorted(seen.values(), key=lambda u: u.username)
    if allowed:
        notify_users(
            users=allowed,
            key=key,
            complaint=complaint,
            event=event,
            can_see=lambda u: u.pk in seen,
            now=now,
            **extra,
        )
    return allowed
