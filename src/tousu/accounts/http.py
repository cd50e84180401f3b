"""Typed access to the signed-in staff member of a request."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest

from tousu.accounts.models import User


def staff(request: HttpRequest) -> User:
    """The request's user, for views behind ``@login_required``.

    ``request.user`` is typed ``User | AnonymousUser``; behind the login check it is
    always a ``User``. Anyone else is refused rather than passed on.
    """
    user = request.user
    if not isinstance(user, User):
        raise PermissionDenied
    return user
