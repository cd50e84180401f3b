"""Shapes of the inbound API (rules live in the services).

Bodies are parsed here only after their signature was checked over the raw bytes; an
unknown field is refused, so a misspelt one is not silently dropped.
"""

from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _
from ninja import Schema
from pydantic import ConfigDict, Field
from pydantic import ValidationError as SchemaError

from tousu.complaints.schemas import Input
from tousu.core.problems import InvalidInput, ServiceError

ATTACHMENTS_MAX = 10


class Strict(Input):
    model_config = ConfigDict(extra="forbid")


class InboundComplainant(Strict):
    name: str
    phone: str = Field("", description="mainland mobile or landline number")
    email: str = ""
    address: str = ""


class InboundAttachment(Strict):
    name: str = Field(description="file name with its extension, e.g. 发票.jpg")
    content_base64: str = Field(description="the file's bytes, base64-encoded")


class InboundComplaint(Strict):
    """A complaint handed over by a source. Times are ISO 8601; one without an offset is
    read as Beijing time (+08:00)."""

    title: str
    description: str = Field(description="what happened, and what the complainant asks for")
    category: str = Field(description="category key of the organisation's plan")
    complainant: InboundComplainant
    occurred_at: datetime | None = None
    occurred_place: str = ""
    merchant: str = ""
    product: str = ""
    amount_involved: Decimal | None = Field(None, description="yuan")
    external_id: str = Field(
        "", max_length=100, description="the source's own reference, echoed in callbacks"
    )
    received_at: datetime | None = Field(
        None, description="when the source received it (default: now); not in the future"
    )
    attachments: list[InboundAttachment] = Field(default=[], max_length=ATTACHMENTS_MAX)


class InboundMaterial(Strict):
    """More material for a complaint the source delivered, from the complainant."""

    material: str = Field(description="what the complainant adds")
    attachments: list[InboundAttachment] = Field(default=[], max_length=ATTACHMENTS_MAX)


class InboundAnswer(Schema):
    tracking_no: str
    access_code: str | None = Field(
        None, description="new complaints only: give it to the complainant, with track_url"
    )
    track_url: str | None = None
    external_id: str = ""
    status: str
    status_label: str
    stage: str = Field(description="the stage's label in the plan")
    received_at: datetime


class ProcessStep(Schema):
    action: str
    by: str = Field(description="complainant, staff or system (never a name)")
    at: datetime


class InboundStatus(Schema):
    tracking_no: str
    external_id: str
    status: str
    status_label: str
    stage: str
    received_at: datetime
    replied_at: datetime | None
    closed_at: datetime | None
    reply: str
    satisfaction: str | None
    process: list[ProcessStep]


def body_parse(body: bytes, schema: type[Strict]) -> Any:
    """``body`` as ``schema``; raises a 400 naming ``body`` when it is not a JSON object
    and ``InvalidInput`` naming each bad field."""
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        message = _("The body is not valid JSON (UTF-8).")
        raise ServiceError(message, field_errors={"body": [message]}) from None
    if not isinstance(data, dict):
        message = _("The body must be a JSON object.")
        raise ServiceError(message, field_errors={"body": [message]})
    try:
        return schema.model_validate(data)
    except SchemaError as exc:
        errors: dict[str, list[str]] = {}
        for error in exc.errors():
            name = ".".join(str(part) for part in error["loc"]) or "body"
            errors.setdefault(name, []).append(error["msg"])
        raise InvalidInput(_("Some fields are not valid."), field_errors=errors) from None


def _inline(schema: dict, definitions: dict) -> Any:
    """``schema`` with every ``#/$defs/…`` reference replaced by its definition."""
    if isinstance(schema, dict):
        ref = schema.get("$ref", "")
        if ref.startswith("#/$defs/"):
            return _inline(definitions[ref.rsplit("/", 1)[1]], definitions)
        return {k: _inline(v, definitions) for k, v in schema.items() if k != "$defs"}
    if isinstance(schema, list):
        return [_inline(v, definitions) for v in schema]
    return schema


def request_body_doc(schema: type[Strict]) -> dict:
    """The OpenAPI ``requestBody`` of an endpoint that reads its body itself (after the
    signature check), so the document still shows the schema."""
    full = schema.model_json_schema()
    return {
        "required": True,
        "content": {"application/json": {"schema": _inline(full, full.get("$defs", {}))}},
    }
