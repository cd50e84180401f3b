from django.http import HttpRequest

from tousu.accounts.selectors import organisation_current


def organisation(request: HttpRequest) -> dict:
    context = {"organisation": organisation_current()}
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        from tousu.notifications.selectors import unread_count

        context["unread_notifications"] = unread_count(user)
    return context
