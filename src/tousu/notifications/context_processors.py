from django.http import HttpRequest

from tousu.accounts.selectors import organisation_current
from tousu.notifications.selectors import unread_count


def organisation(request: HttpRequest) -> dict[str, object]:
    """The organisation's name and the user's unread notifications, on every page."""
    context: dict[str, object] = {"organisation": organisation_current()}
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        context["unread_notifications"] = unread_count(user)
    return context
