"""The JSON twin of the public portal: what mini-programs and partner sites send and get."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from ninja import Field, Schema

ATTACHMENTS = (
    "Photos (JPEG, PNG, GIF, WebP) or PDF, at most 10 files. Through this API they may "
    "be at most 3.5 MB together (70 % of the 5 MB request body limit: base64 makes them "
    "a third larger); more is refused with 413 naming `attachments`, and a body over "
    "5 MB with 413 before it is read. Larger files: use the web form."
)


class FileIn(Schema):
    name: str = Field(max_length=200, description="File name; the type is checked by its bytes")
    content_base64: str = Field(description="The file's bytes, base64 (photos and PDF only)")


class FilingIn(Schema):
    category: str = Field(description="A category key of the organisation's plan")
    title: str = Field(max_length=120, description="In one sentence, what happened")
    description: str = Field(max_length=10_000, description="What happened, step by step")
    demand: str = Field("", max_length=2_000, description="What the complainant asks for (诉求)")
    occurred_at: datetime | None = None
    occurred_place: str = Field("", max_length=200)
    merchant: str = Field("", max_length=200)
    product: str = Field("", max_length=200)
    amount_involved: Decimal | None = Field(None, ge=0, max_digits=14, decimal_places=2)
    name: str = Field(max_length=50)
    phone: str = Field("", max_length=30, description="A mobile number, or give an email")
    email: str = Field("", max_length=254)
    privacy_accepted: bool = Field(
        False, description="The complainant read and accepted the privacy notice (required)"
    )
    altcha: str = Field(
        "",
        max_length=4096,
        description="The solved proof of work: GET /challenge, solve it (ALTCHA), send the "
        "base64 payload. Required; each solution is accepted once.",
    )
    attachments: list[FileIn] = Field([], max_length=10, description=ATTACHMENTS)


class FiledOut(Schema):
    tracking_no: str
    access_code: str = Field(description="Shown once: keep it private")
    stage_label: str
    track_url: str


class TrackIn(Schema):
    tracking_no: str = Field(max_length=40)
    code: str = Field(max_length=40, description="The access code or a one-time code")


class TokenOut(Schema):
    token: str = Field(description="Send as `Authorization: Bearer <token>`")
    expires_in: int = Field(description="Seconds")
    tracking_no: str


class CodeIn(Schema):
    tracking_no: str = Field(max_length=40)


class Detail(Schema):
    detail: str


class TimelineOut(Schema):
    at: datetime
    title: str
    who: str
    stage: str
    texts: list[dict[str, str]]


class ActionOut(Schema):
    key: str
    type: str
    label: str
    fields: list[str]
    choices: list[dict[str, str]] = []


class CaseOut(Schema):
    tracking_no: str
    title: str
    category: str
    received_at: datetime
    stage_label: str
    closed: bool
    version: int
    satisfaction: str
    reply: str
    replied_at: datetime | None
    timeline: list[TimelineOut]
    actions: list[ActionOut]


class ActIn(Schema):
    version: int | None = None
    satisfaction: str = Field("", max_length=40)
    note: str = Field("", max_length=2000)
    reason: str = Field("", max_length=2000)
    material: str = Field("", max_length=10_000)
    attachments: list[FileIn] = Field([], max_length=10, description=ATTACHMENTS)
