"""Django's error answers for what fails before a view runs (``handler400``): an API
path gets a problem body like every other API error, a page the 400 page."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.views import defaults

from tousu.core.middleware import API_PREFIX, problem_response


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    """A request Django refuses before routing it (an unknown or malformed ``Host``, a
    suspicious operation): ``application/problem+json`` on the API, as documented for
    every 400 there; the 400 page elsewhere. The detail names nothing of the request."""
    if request.path.startswith(API_PREFIX):
        return problem_response(400, _("Bad request"), _("The request could not be understood."))
    return defaults.bad_request(request, exception)
