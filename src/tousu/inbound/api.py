"""Inbound API endpoints of /api/v1/: other systems hand complaints over, signed.

Each endpoint checks the signature over the raw request before it reads the body
(``signatures.request_verify``); the services do the rest. See docs/inbound-api.md.
"""

from __future__ import annotations

import json

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from ninja import Router, Status

from tousu.complaints.schemas import Problem
from tousu.inbound.choices import DeliveryKind
from tousu.inbound.models import InboundSource
from tousu.inbound.schemas import (
    InboundAnswer,
    InboundComplaint,
    InboundMaterial,
    InboundStatus,
    body_parse,
    request_body_doc,
)
from tousu.inbound.selectors import (
    closed_at,
    complaint_progress,
    local,
    replied_at,
    source_complaint_get,
    stage_label,
    status_label,
)
from tousu.inbound.services import (
    Answer,
    body_digest,
    complaint_deliver,
    delivery_earlier,
    idempotency_key_check,
    material_deliver,
)
from tousu.inbound.signatures import (
    IDEMPOTENCY_HEADER,
    REPLAYED_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    Unauthenticated,
    request_verify,
)

router = Router(tags=["inbound"], auth=None)
SIGNED = (
    f"Signed by the source: `{TIMESTAMP_HEADER}` (Unix seconds) and `{SIGNATURE_HEADER}: "
    'sha256=<hex HMAC-SHA256 of "{timestamp}.{METHOD} {path}\\n{raw body}" with the '
    "source's secret>` (the path without the query). See docs/inbound-api.md."
)
HEADERS = [
    {"name": TIMESTAMP_HEADER, "in": "header", "required": True, "schema": {"type": "string"}},
    {"name": SIGNATURE_HEADER, "in": "header", "required": True, "schema": {"type": "string"}},
]
IDEMPOTENT = [
    {
        "name": IDEMPOTENCY_HEADER,
        "in": "header",
        "required": True,
        "description": "one per delivery, the same on every retry of it",
        "schema": {"type": "string", "maxLength": 200},
    }
]
# 400 (a body that is not a JSON object, a missing Idempotency-Key) is added to every
# POST of the document by tousu.api.
ERRORS = {401: Problem, 404: Problem, 409: Problem, 422: Problem}


def _unauthorized(exc: Unauthenticated) -> HttpResponse:
    body = {
        "type": "about:blank",
        "title": exc.title,
        "status": exc.status,
        "detail": str(exc.detail),
        "errors": [
            {"field": name, "message": message}
            for name, messages in exc.field_errors.items()
            for message in messages
        ],
    }
    response = HttpResponse(
        json.dumps(body, ensure_ascii=False),
        status=exc.status,
        content_type="application/problem+json",
    )
    response["WWW-Authenticate"] = f'HMAC-SHA256 headers="{TIMESTAMP_HEADER} {SIGNATURE_HEADER}"'
    return response


def _verified(request: HttpRequest, source: str, body: bytes) -> InboundSource:
    """The source, when the request (its method, path and raw ``body``) is signed by it."""
    return request_verify(
        source_key=source,
        timestamp=request.headers.get(TIMESTAMP_HEADER),
        signature=request.headers.get(SIGNATURE_HEADER),
        method=request.method or "",
        path=request.path,
        body=body,
        now=timezone.now(),
    )


def _answer(answer: Answer, response: HttpResponse) -> Status:
    if answer.replayed:
        response[REPLAYED_HEADER] = "true"
    return Status(answer.status, answer.body)


@router.post(
    "/{source}/complaints",
    response={200: InboundAnswer, 201: InboundAnswer, **ERRORS},
    summary="Hand a complaint over",
    description=SIGNED + " The same Idempotency-Key again gives the first answer (200, "
    "`Idempotent-Replayed: true`); with another body it is refused (422).",
    openapi_extra={
        "requestBody": request_body_doc(InboundComplaint),
        "parameters": HEADERS + IDEMPOTENT,
    },
)
def complaint_post(request: HttpRequest, response: HttpResponse, source: str):
    raw = request.body
    try:
        verified = _verified(request, source, raw)
    except Unauthenticated as exc:
        return _unauthorized(exc)
    key = idempotency_key_check(request.headers.get(IDEMPOTENCY_HEADER))
    digest = body_digest(raw)
    earlier = delivery_earlier(
        source=verified, idempotency_key=key, kind=DeliveryKind.COMPLAINT, digest=digest
    )
    if earlier is None:
        data = body_parse(raw, InboundComplaint)
        earlier = complaint_deliver(source=verified, idempotency_key=key, digest=digest, data=data)
    return _answer(earlier, response)


@router.post(
    "/{source}/complaints/{tracking_no}/material",
    response={200: InboundAnswer, 201: InboundAnswer, **ERRORS},
    summary="Add the complainant's material to a complaint the source handed over",
    description=SIGNED + " Idempotent like the hand-over.",
    openapi_extra={
        "requestBody": request_body_doc(InboundMaterial),
        "parameters": HEADERS + IDEMPOTENT,
    },
)
def material_post(request: HttpRequest, response: HttpResponse, source: str, tracking_no: str):
    raw = request.body
    try:
        verified = _verified(request, source, raw)
    except Unauthenticated as exc:
        return _unauthorized(exc)
    key = idempotency_key_check(request.headers.get(IDEMPOTENCY_HEADER))
    digest = body_digest(raw)
    earlier = delivery_earlier(
        source=verified, idempotency_key=key, kind=DeliveryKind.MATERIAL, digest=digest
    )
    if earlier is None:
        data = body_parse(raw, InboundMaterial)
        earlier = material_deliver(
            source=verified,
            idempotency_key=key,
            digest=digest,
            tracking_no=tracking_no,
            data=data,
        )
    return _answer(earlier, response)


@router.get(
    "/{source}/complaints/{tracking_no}",
    response={200: InboundStatus, **ERRORS},
    summary="Where a complaint the source handed over stands",
    description="Signed like the others, with an empty body: `{timestamp}.GET {path}\\n`. "
    "Only complaints this source handed over are found.",
    openapi_extra={"parameters": HEADERS},
)
def complaint_get(request: HttpRequest, source: str, tracking_no: str):
    try:
        verified = _verified(request, source, b"")
    except Unauthenticated as exc:
        return _unauthorized(exc)
    delivery = source_complaint_get(source=verified, tracking_no=tracking_no)
    complaint = delivery.complaint
    assert complaint is not None  # the selector finds delivered complaints only
    progress = complaint_progress(complaint)
    return {
        "tracking_no": complaint.tracking_no,
        "external_id": delivery.external_id,
        "status": complaint.status,
        "status_label": status_label(complaint),
        "stage": stage_label(complaint),
        "received_at": local(complaint.received_at),
        "replied_at": local(replied_at(complaint)),
        "closed_at": local(closed_at(complaint)),
        "reply": progress.reply or progress.ending,
        "satisfaction": complaint.satisfaction or None,
        "process": progress.steps,
    }
