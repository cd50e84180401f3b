"""Django's error answers for what no view answers (``handler400``, ``handler404``): an
API path gets a problem body like every other API error, a page the error page."""

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


def not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """A path nothing answers: ``application/problem+json`` under the API (a client of
    the API reads JSON, whatever it asked for), the 404 page elsewhere."""
    if request.path.startswith(API_PREFIX):
        detail = _(
            "There is nothing here, or it is not yours to see. A complaint of another "
            "department looks exactly like one that does not exist."
        )
        return problem_response(404, _("Not found"), detail)
    return defaults.page_not_found(request, exception)
