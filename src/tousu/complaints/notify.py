"""Staff messages about a complaint, always through the visibility gate: nobody is sent,
or named in, a message about a case they could not open."""

from __future__ import annotations

from datetime import datetime

from tousu.accounts.models import User
from tousu.complaints.selectors import complaint_visible_to
from tousu.notifications.services import notify_users


def staff_notify(
    *, users, key: str, complaint, event: str, now: datetime | None = None, **extra
) -> list:
    """Queue ``event`` for those of ``users`` who may see ``complaint``; returns them."""
    seen: dict[int, User] = {}
    for user in users:
        if (
            user is not None
            and user.is_active
            and user.pk not in seen
            and complaint_visible_to(user=user, complaint=complaint)
        ):
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
