"""The drill banner: every page served by a drill's own process says so."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest


def drill(request: HttpRequest) -> dict[str, bool]:
    return {"drill_mode": bool(getattr(settings, "TOUSU_DRILL", False))}
