"""``GET /healthz`` and ``GET /metrics`` (docs/operations.md, "Monitoring").

/healthz answers anyone, without a session: whether the database answers and how old the
worker's last finished pass is — no names, no counts of cases. It is 503 only when the
database does not answer (a load balancer then takes the process out); a stale worker is
for an alert, not a reason to stop serving.

/metrics is the Prometheus text format. With ``TOUSU_METRICS_TOKEN`` set, a request must
carry it as ``Authorization: Bearer <token>`` (401 otherwise, from any address); without
a token, only loopback and ``TOUSU_METRICS_ADDRESSES`` may read it (403 for others).
"""

from __future__ import annotations

import hmac
import ipaddress

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from tousu.accounts.http import client_address
from tousu.ops import exposition, selectors


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    now = timezone.now()
    if not selectors.database_answers():
        return JsonResponse({"status": "unavailable", "database": "unavailable"}, status=503)
    last = selectors.worker_last_pass()
    worker = (
        {
            "last_pass_finished_at": last.finished_at.isoformat(),
            "last_pass_age_seconds": round(last.age_seconds(now), 1),
        }
        if last is not None
        else {"last_pass_finished_at": None, "last_pass_age_seconds": None}
    )
    return JsonResponse({"status": "ok", "database": "ok", "worker": worker})


def _address_allowed(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    if ip.is_loopback:
        return True
    for network in settings.METRICS_ADDRESSES:
        try:
            if ip in ipaddress.ip_network(network, strict=False):
                return True
        except ValueError:
            continue
    return False


def _refusal(request: HttpRequest) -> HttpResponse | None:
    token = settings.METRICS_TOKEN
    if token:
        scheme, _space, given = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() == "bearer" and hmac.compare_digest(
            given.strip().encode(), token.encode()
        ):
            return None
        response = HttpResponse("unauthorized\n", status=401, content_type="text/plain")
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    if _address_allowed(client_address(request)):
        return None
    return HttpResponse("forbidden\n", status=403, content_type="text/plain")


@never_cache
@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    refused = _refusal(request)
    if refused is not None:
        return refused
    now = timezone.now()
    body = exposition.render(selectors.metrics_sample(now=now), now=now)
    return HttpResponse(body, content_type=exposition.CONTENT_TYPE)
