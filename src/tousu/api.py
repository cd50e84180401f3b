"""The JSON API under /api/v1/: one NinjaAPI, one router per app, problem+json errors."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from tousu.accounts.auth import api_auth
from tousu.complaints.api import router as complaints_router
from tousu.core.jsonrender import RENDERER
from tousu.core.problems import ServiceError
from tousu.inbound.api import router as inbound_router
from tousu.incidents.api import router as incidents_router
from tousu.portal.api import router as portal_router
from tousu.reports.dashboard.api import router as stats_router

PROBLEM_JSON = "application/problem+json"


class TousuAPI(NinjaAPI):
    """The API whose document says what it sends: error answers are
    ``application/problem+json`` (RFC 9457), a body that is not JSON gets a 415 and an
    oversized one a 413 (``core.middleware.ApiBodyGuardMiddleware``)."""

    def get_openapi_schema(self, *args: Any, **kwargs: Any) -> Any:
        schema = super().get_openapi_schema(*args, **kwargs)
        problem = {"$ref": "#/components/schemas/Problem"}
        for path in schema.get("paths", {}).values():
            for method, operation in path.items():
                responses = operation.get("responses", {})
                for status, response in responses.items():
                    content = response.get("content", {})
                    if str(status) >= "400" and "application/json" in content:
                        content[PROBLEM_JSON] = content.pop("application/json")
                if method in ("post", "put", "patch"):
                    for status, text in (
                        ("400", "The body is not valid JSON"),
                        ("413", "Payload too large"),
                        ("415", "Not JSON"),
                    ):
                        responses.setdefault(
                            status,
                            {"description": text, "content": {PROBLEM_JSON: {"schema": problem}}},
                        )
        return schema


api = TousuAPI(
    title="Tousu API",
    version="1",
    description="Complaint intake, lists and assignment. Authenticate with `Authorization: "
    "Bearer <token>` (`tousu users token USERNAME` prints one) or a staff session.",
    auth=api_auth,
    renderer=RENDERER,
    urls_namespace="api",
    openapi_url="/openapi.json",
    docs_url="/docs",
)
api.add_router("/v1/", complaints_router)
api.add_router("/v1/", incidents_router)
api.add_router("/v1/portal/", portal_router)
api.add_router("/v1/inbound/", inbound_router)
api.add_router("/v1/stats/", stats_router)


def problem(request: HttpRequest, *, status: int, title: str, detail: str, errors=None):
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail}
    if errors:
        body["errors"] = errors
    response = api.create_response(request, body, status=status)
    response["Content-Type"] = "application/problem+json"
    return response


def _field_list(field_errors: dict[str, list[str]]) -> list[dict]:
    return [
        {"field": name, "message": message}
        for name, messages in field_errors.items()
        for message in messages
    ]


@api.exception_handler(ServiceError)
def service_error(request, exc: ServiceError):
    return problem(
        request,
        status=exc.status,
        title=exc.title,
        detail=str(exc.detail),
        errors=_field_list(exc.field_errors),
    )


@api.exception_handler(ValidationError)
def validation_error(request, exc: ValidationError):
    errors = []
    for error in exc.errors:
        loc = [str(part) for part in error.get("loc", ()) if part not in ("body", "payload")]
        if loc and loc[0] in ("query", "path", "form", "file"):
            loc = loc[1:]
        if loc and loc[0] in ("filters",):
            loc = loc[1:]
        errors.append({"field": ".".join(loc) or "body", "message": error.get("msg", "")})
    return problem(
        request,
        status=422,
        title="Invalid input",
        detail=_("Some fields are not valid."),
        errors=errors,
    )


@api.exception_handler(AuthenticationError)
def authentication_error(request, exc):
    response = problem(
        request,
        status=401,
        title="Unauthorized",
        detail=_("A valid API token is required (Authorization: Bearer …)."),
    )
    response["WWW-Authenticate"] = "Bearer"
    return response


@api.exception_handler(HttpError)
def http_error(request, exc: HttpError):
    return problem(request, status=exc.status_code, title=str(exc), detail=str(exc))
