"""Typed access to the signed-in staff member of a request."""

from __future__ import annotations

import ipaddress

from django.conf import settings
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


def _trusted(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    for proxy in settings.TRUSTED_PROXIES:
        try:
            if ip in ipaddress.ip_network(proxy, strict=False):
                return True
        except ValueError:
            continue
    return False


def client_address(request: HttpRequest) -> str:
    """The client's address: REMOTE_ADDR, unless that is one of the configured trusted
    proxies (``TOUSU_TRUSTED_PROXIES``); then the nearest X-Forwarded-For entry that is
    not a trusted proxy. A header from anyone else is ignored, so a client cannot pick
    the address it is throttled under."""
    address = str(request.META.get("REMOTE_ADDR", "") or "")
    if not _trusted(address):
        return address
    hops = [h.strip() for h in str(request.META.get("HTTP_X_FORWARDED_FOR", "")).split(",")]
    for hop in reversed([h for h in hops if h]):
        if not _trusted(hop):
            return hop
    return address
