"""Every login, successful or not, on the audit log: who (the username typed), from
where (the client address as the throttle sees it), and whether the throttle refused it
before any password was checked."""

from __future__ import annotations

from typing import Any

from axes.backends import AxesStandaloneBackend
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest

from tousu.accounts.http import client_address
from tousu.audit.services import audit_record

LOGIN_SUCCEEDED = "login.succeeded"
LOGIN_FAILED = "login.failed"


def login_succeeded(sender: Any, *, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    audit_record(
        actor=user,
        action=LOGIN_SUCCEEDED,
        object_type="user",
        object_id=user.username,
        data={"address": client_address(request) if request is not None else ""},
    )


def login_failed(
    sender: Any, *, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any
) -> None:
    username = str(credentials.get("username") or "")[:150]
    audit_record(
        actor=None,
        action=LOGIN_FAILED,
        object_type="user",
        object_id=username,
        data={
            "address": client_address(request) if request is not None else "",
            # Refused by the throttle: the password was not looked at.
            "locked_out": bool(request is not None and request.META.get("tousu.throttled")),
        },
    )


def lockout_response(request: HttpRequest, original_response: Any, credentials: Any) -> Any:
    """The page a throttled login gets (429), in the user's language, saying how long."""
    from django.conf import settings
    from django.shortcuts import render

    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    return render(request, "accounts/lockout.html", {"cooloff_minutes": minutes}, status=429)


class LoginThrottleBackend(AxesStandaloneBackend):
    """django-axes' throttle, first of the authentication backends: a throttled login is
    refused before any password is checked. Only logins over HTTP carry a request and
    are throttled (the login page, the admin); code that authenticates without one (the
    test client's ``login``) goes on to the password check as before."""

    def authenticate(self, request: HttpRequest | None, *args: Any, **kwargs: Any) -> None:
        if request is None:
            return None
        try:
            super().authenticate(request, *args, **kwargs)
        except PermissionDenied:
            # Refused by the throttle: no password is checked (the audit log says so).
            request.META["tousu.throttled"] = True
            raise
        return None
