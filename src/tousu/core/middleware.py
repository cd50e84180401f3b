"""Response headers every page and API answer carries, and the API's guard on request
bodies (a wrong content type is a 415, an oversized body a 413, both problem+json)."""

from __future__ import annotations

import json
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _

from tousu.core.config import config_scope
from tousu.core.request_memo import request_memo_scope

# No inline script or style anywhere: the pages load Tousu's own files only.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
PERMISSIONS_POLICY = ", ".join(
    f"{feature}=()"
    for feature in (
        "camera",
        "microphone",
        "geolocation",
        "payment",
        "usb",
        "serial",
        "bluetooth",
        "interest-cohort",
    )
)
API_PREFIX = "/api/"
BODY_TYPES = ("application/json", "multipart/form-data")


class SecurityHeadersMiddleware:
    """CSP and Permissions-Policy on every answer; ``Cache-Control: no-store`` on every
    answer that is not a static file (pages and API bodies may hold personal data, and
    no shared or browser cache should keep them). Static files are answered by
    WhiteNoise before this runs."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        user = getattr(request, "user", None)
        if "Cache-Control" not in response.headers or (user is not None and user.is_authenticated):
            response.headers["Cache-Control"] = "no-store"
        return response


def problem_response(status: int, title: str, detail: str) -> HttpResponse:
    """An ``application/problem+json`` answer (RFC 9457) outside the API's own handlers."""
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail}
    return HttpResponse(
        json.dumps(body, ensure_ascii=False),
        status=status,
        content_type="application/problem+json",
    )


class ApiBodyGuardMiddleware:
    """Before the API reads a body: one larger than DATA_UPLOAD_MAX_MEMORY_SIZE is a
    413, and one that is not JSON (or a multipart upload) is a 415 — never parsed as
    something it does not say it is."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path.startswith(API_PREFIX) and request.method in ("POST", "PUT", "PATCH"):
            refused = self._refusal(request)
            if refused is not None:
                return refused
        return self.get_response(request)

    def _refusal(self, request: HttpRequest) -> HttpResponse | None:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        kind = request.content_type or ""
        # A file upload may be as large as an attachment may be (plus the form's framing).
        limit = (
            settings.ATTACHMENT_MAX_BYTES + 64 * 1024
            if kind == "multipart/form-data"
            else settings.DATA_UPLOAD_MAX_MEMORY_SIZE or 0
        )
        if limit and length > limit:
            return problem_response(
                413,
                "Payload too large",
                _("The request body is larger than %(limit)d bytes.") % {"limit": limit},
            )
        if length and kind not in BODY_TYPES:
            return problem_response(
                415,
                "Unsupported media type",
                _("Send the body as application/json (or multipart/form-data for a file)."),
            )
        return None


class ConfigOnceMiddleware:
    """A GET or HEAD request — one that changes nothing — reads the configuration token
    once (``core.config``): the organisation, the plan, departments, roles and
    permissions then come from the process's cache for the whole request, instead of a
    query each where a page asks for them; and what it asks twice (``request_memo``: a
    page's and its count's search hits) is read once. Requests that write keep their
    own scopes: what they change is read back as it now is."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method not in ("GET", "HEAD"):
            return self.get_response(request)
        with config_scope(), request_memo_scope():
            return self.get_response(request)
