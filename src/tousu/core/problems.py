"""Domain errors shared by every app.

Services raise these; the API turns them into ``application/problem+json`` bodies and
the views into messages beside the fields. ``field_errors`` maps a field path to the
messages for that field (already translated, lazily).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence


class ServiceError(Exception):
    status = 400
    title = "Bad request"

    def __init__(self, detail: str, *, field_errors: Mapping[str, Sequence[str]] | None = None):
        super().__init__(str(detail))
        self.detail = detail
        self.field_errors = {k: [str(m) for m in v] for k, v in (field_errors or {}).items()}


class InvalidInput(ServiceError):
    status = 422
    title = "Invalid input"


class NotAllowed(ServiceError):
    status = 403
    title = "Forbidden"


class NotFound(ServiceError):
    status = 404
    title = "Not found"


class Conflict(ServiceError):
    status = 409
    title = "Conflict"
