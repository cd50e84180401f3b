"""The framework's ceiling for the intake bench: Tousu's WSGI application with one extra
API operation, ``POST /api/v1/bench/noop``, that authenticates like the complaint intake
(the same ``api_auth``: Bearer token or staff session) and does nothing else.

gunicorn serves this module (``--pythonpath bench noop_wsgi``) in the bench only: the
operation is added to the API before Django first resolves a URL, so production code
gains nothing. Same settings, middleware, API stack and auth as ``tousu.wsgi``, and the
same start (``serving_ready``).
"""

from __future__ import annotations

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tousu.settings")

import django  # noqa: E402

django.setup()

from django.core.wsgi import get_wsgi_application  # noqa: E402

from tousu.accounts.auth import api_auth  # noqa: E402
from tousu.api import api  # noqa: E402
from tousu.core.serving import serving_ready  # noqa: E402


@api.post("/v1/bench/noop", auth=api_auth, response={201: dict})
def bench_noop(request):
    return 201, {"ok": True}


application = get_wsgi_application()
serving_ready()  # as tousu.wsgi does: the ceiling's process starts as the intake's
