"""Rate limits of the public portal, shared by every web process (a counter row per
scope, key and fixed window in the database — not the per-process memory cache).

The key of a counter is a keyed digest of what is counted, so the table holds no
address or phone number. Increment and read run in one transaction: on PostgreSQL the
UPDATE locks the row until commit, so concurrent hits each read their own count; on
SQLite the transaction takes the write lock at BEGIN.

The client address is ``accounts.http.client_address``: REMOTE_ADDR, unless the request
came through one of ``TOUSU_TRUSTED_PROXIES`` (then the nearest X-Forwarded-For hop that
is not one). Behind a proxy, configure that setting; a forwarded header from anyone
else is ignored, so a client cannot choose the address it is counted under. An IPv6
client is counted by its /64 network (``address_bucket``): one subscriber usually holds a
whole /64 and could otherwise step through its addresses.
"""

from __future__ import annotations

import ipaddress
import math
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.http import HttpRequest
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _

from tousu.accounts.http import client_address
from tousu.core.problems import ServiceError
from tousu.portal.models import ThrottleCount


@dataclass(frozen=True)
class Rate:
    """At most ``limit`` hits of ``scope`` per key in each window of ``seconds``."""

    scope: str
    limit: int
    seconds: int


# name: (limit, seconds). Generous enough for a family on one connection or a carrier's
# shared address (CGNAT) filing a few complaints; tight enough to stop a script.
DEFAULT_RATES: dict[str, tuple[int, int]] = {
    "form_post_address": (30, 600),  # every POST of the form, valid or not
    "file_address": (5, 600),  # complaints filed from one address
    "file_contact": (3, 3600),  # complaints filed with one phone number (or email)
    "track_fail_address": (10, 900),  # wrong tracking number or code, per address
    "track_fail_number": (5, 900),  # wrong one-time codes per tracking number typed
    "code_send_address": (10, 3600),  # one-time codes asked for, per address
    "code_send_number": (3, 3600),  # … per tracking number
    "act_address": (30, 600),  # actions (material, rating, appeal) per address
}


def address_bucket(address: str) -> str:
    """What a client address is counted under: an IPv4 address itself, an IPv6 address
    by its /64 network (an IPv4-mapped one as its IPv4 address)."""
    try:
        parsed = ipaddress.ip_address((address or "").strip())
    except ValueError:
        return address
    if isinstance(parsed, ipaddress.IPv6Address):
        if parsed.ipv4_mapped is not None:
            return str(parsed.ipv4_mapped)
        return str(ipaddress.IPv6Network((parsed, 64), strict=False))
    return str(parsed)


def client_bucket(request: HttpRequest) -> str:
    """The request's client address as the portal's limits count it (``address_bucket``)."""
    return address_bucket(client_address(request))


def rate(name: str) -> Rate:
    """The rate ``name``; ``settings.PORTAL_RATES`` may override it as (limit, seconds)."""
    limit, seconds = getattr(settings, "PORTAL_RATES", {}).get(name, DEFAULT_RATES[name])
    return Rate(scope=name, limit=int(limit), seconds=int(seconds))


class Throttled(ServiceError):
    """Over a rate limit: refused for ``retry_after`` seconds (HTTP 429)."""

    status = 429
    title = "Too many requests"

    def __init__(self, retry_after: int):
        minutes = max(1, math.ceil(retry_after / 60))
        super().__init__(
            _("Too many attempts. Please try again in %(minutes)d minutes.") % {"minutes": minutes}
        )
        self.retry_after = retry_after


def _digest(scope: str, value: str) -> str:
    return salted_hmac("tousu.portal.throttle", f"{scope}:{value}", algorithm="sha256").hexdigest()


def _window(rate: Rate, now: datetime) -> tuple[datetime, datetime]:
    epoch = int(now.timestamp())
    start = epoch - epoch % rate.seconds
    begin = datetime.fromtimestamp(start, tz=now.tzinfo or timezone.get_current_timezone())
    return begin, begin + timedelta(seconds=rate.seconds)


def _retry_after(end: datetime, now: datetime) -> int:
    return max(1, math.ceil((end - now).total_seconds()))


def rate_count(rate: Rate, value: str, *, now: datetime | None = None) -> int:
    """Count one hit of ``rate`` for ``value``; returns the count in this window."""
    now = now or timezone.now()
    start, end = _window(rate, now)
    key = _digest(rate.scope, value)
    where = {"scope": rate.scope, "key": key, "window_start": start}
    with transaction.atomic():
        ThrottleCount.objects.bulk_create(
            [ThrottleCount(**where, count=0, expires_at=end)], ignore_conflicts=True
        )
        ThrottleCount.objects.filter(**where).update(count=F("count") + 1)
        count = ThrottleCount.objects.filter(**where).values_list("count", flat=True).get()
    if secrets.randbelow(64) == 0:  # now and then, forget the windows that are over
        ThrottleCount.objects.filter(expires_at__lt=now).delete()
    return count


def rate_uncount(rate: Rate, value: str, *, now: datetime | None = None) -> None:
    """Take back one hit counted by ``rate_hit`` in this window (an attempt counted
    before it was checked, that turned out not to be a failure)."""
    now = now or timezone.now()
    start, _end = _window(rate, now)
    ThrottleCount.objects.filter(
        scope=rate.scope, key=_digest(rate.scope, value), window_start=start, count__gt=0
    ).update(count=F("count") - 1)


def rate_hit(rate: Rate, value: str, *, now: datetime | None = None) -> None:
    """Count one hit; raise ``Throttled`` when it is over the limit."""
    now = now or timezone.now()
    if rate_count(rate, value, now=now) > rate.limit:
        raise Throttled(_retry_after(_window(rate, now)[1], now))
