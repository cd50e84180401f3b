"""Pydantic schemas of the complaint API (shapes only; rules live in the services)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

from ninja import Schema
from pydantic import Field, field_validator

from tousu.complaints.selectors import SORTS
from tousu.core.inputs import date_problem, text_problem

# Versions and page numbers are counted, never astronomically large.
COUNT_MAX = 1_000_000


class Input(Schema):
    """A request body or query: every text must be storable (no control characters or
    broken Unicode) and every date within the range a complaint can have — refused with
    a 422 naming the field before anything reaches the services or the database."""

    @field_validator("*", mode="after")
    @classmethod
    def _storable(cls, value: Any) -> Any:
        if isinstance(value, str):
            problem = text_problem(value)
            if problem:
                raise ValueError(problem)
        elif isinstance(value, date):
            problem = date_problem(value)
            if problem:
                raise ValueError(problem)
        return value


class ComplainantIn(Input):
    name: str
    phone: str = ""
    id_number: str = ""
    address: str = ""
    email: str = ""


class ComplaintIn(Input):
    channel: str = Field(description="phone, walk_in, letter, email, web, chat, api or import")
    title: str
    description: str = Field(description="what happened")
    category: str = Field(description="category key, see GET /api/v1/categories")
    complainant: ComplainantIn
    severity: str = "ordinary"
    nature: str = "problem"
    occurred_at: datetime | None = None
    occurred_place: str = ""
    persons_involved: str = ""
    merchant: str = ""
    product: str = ""
    amount_involved: Decimal | None = Field(
        None, ge=0, lt=Decimal("1e12"), description="yuan; emergency triggers weigh it"
    )
    people_injured: int = Field(0, ge=0, le=COUNT_MAX, description="emergency triggers weigh it")
    media_involved: bool = Field(False, description="the media is involved (舆情)")
    confidential: bool = False
    department: str = Field("", description="department code; default: the caller's")
    received_at: datetime | None = None


class ComplaintPatch(Input):
    version: int = Field(
        ge=1, le=COUNT_MAX, description="the version you read; a stale one gets 409"
    )
    title: str | None = None
    description: str | None = None
    category: str | None = None
    severity: str | None = None
    nature: str | None = None
    occurred_at: datetime | None = None
    occurred_place: str | None = None
    persons_involved: str | None = None
    merchant: str | None = None
    product: str | None = None
    confidential: bool | None = None


class AssignIn(Input):
    version: int = Field(ge=1, le=COUNT_MAX)
    department: str = Field(description="target department code; another one transfers it")
    assignee: str = Field("", description="username of the person, optional")
    note: str = Field("", description="required for a transfer")


class ConfidentialityIn(Input):
    version: int
    confidential: bool
    reason: str = Field(description="why it is set or cleared (on the timeline)")


class Ref(Schema):
    key: str
    name: str


class DepartmentRef(Schema):
    code: str
    name: str


class MaskedComplainant(Schema):
    name: str
    phone: str
    id_number: str
    address: str
    email: str


class AttachmentOut(Schema):
    id: int
    name: str
    content_type: str
    size: int
    sha256: str
    url: str


class ComplaintListItem(Schema):
    tracking_no: str
    title: str
    category: Ref
    severity: str
    nature: str
    channel: str
    status: str
    confidential: bool
    department: DepartmentRef
    assignee: str | None
    complainant: MaskedComplainant
    received_at: datetime
    next_due: datetime | None = Field(None, description="the earliest running deadline")
    stage: str = ""
    version: int


class PlanRef(Schema):
    key: str
    name: str
    revision: int


class DeadlineOut(Schema):
    key: str
    stage: str
    due_at: datetime
    warn_at: datetime | None
    provisional: bool


class ComplaintOut(ComplaintListItem):
    plan: PlanRef | None
    stage_label: str
    satisfaction: str
    emergency_marked: bool
    deadlines: list[DeadlineOut]
    description: str
    occurred_at: datetime | None
    occurred_place: str
    persons_involved: str
    merchant: str
    product: str
    amount_involved: Decimal | None
    people_injured: int
    media_involved: bool
    received_by: str
    registered_at: datetime
    updated_at: datetime
    attachments: list[AttachmentOut]


class ComplaintPage(Schema):
    count: int = Field(
        description="how many complaints match — exactly up to 10,000; above, 10,000 "
        "with `count_exact` false"
    )
    count_exact: bool = Field(description="false when there are more than `count`")
    page: int | None = Field(description="the page number asked for; null with a cursor")
    page_size: int
    pages: int = Field(description="pages of `count` complaints (more when not exact)")
    next_cursor: str | None = Field(
        description="pass as `cursor` for the next page; null on the last page"
    )
    next: str | None = Field(description="the next page's address; null on the last page")
    results: list[ComplaintListItem]


class ComplaintFilterIn(Input):
    status: str = ""
    category: str = ""
    severity: str = ""
    department: str = ""
    channel: str = ""
    stage: str = Field("", description="a stage key of the plan")
    assignee: str = Field("", description="a username, `me` or `none`")
    mine: bool = Field(False, description="only complaints the plan gives me an action on now")
    overdue: bool = Field(False, description="only complaints past a running deadline")
    received_from: date | None = None
    received_to: date | None = None
    q: str = Field(
        "",
        max_length=200,
        description="keywords in the complaint text (Chinese: 2+ characters), a whole "
        "tracking number, or — for roles that may see complainants — the complainant's "
        "phone number (whole or its last 4+ digits) or whole name",
    )
    sort: str = Field("-received", description=", ".join(SORTS))
    # The dashboard's click-through filters, as the list reads them.
    plan: str = Field("", max_length=64, description="a plan's key")
    # The click-through flags read as the list reads them: "1" or nothing.
    open: Literal["", "1"] = Field("", description="`1`: only complaints not closed or archived")
    due_soon: Literal["", "1"] = Field(
        "", description="`1`: only complaints with a running deadline past its warning point"
    )
    deadlines: Literal["", "met", "missed"] = Field(
        "", description="`met`: every deadline kept; `missed`: one breached, late or overdue"
    )
    satisfaction: Literal["", "rated", "satisfied", "basically_satisfied", "dissatisfied"] = Field(
        "", description="a rating, or `rated` for any rating"
    )
    merchant: str = Field("", max_length=200, description="the merchant, exactly")
    product: str = Field("", max_length=200, description="the product or service, exactly")
    place: str = Field("", max_length=200, description="where it happened, exactly")
    incident: str = Field("", max_length=32, description="an incident's number")
    repeat: Literal["", "1"] = Field(
        "", description="`1`: only complaints of callers with more than one in the selection"
    )
    page: int = Field(1, ge=1, le=COUNT_MAX, description="not used with a cursor")
    page_size: int = Field(25, ge=1, le=100)
    cursor: str = Field(
        "",
        max_length=500,
        description="the `next_cursor` of the previous page, with the same sort: pages "
        "that neither skip nor repeat rows however deep (a bad cursor is a 400)",
    )


class ComplainantOut(Schema):
    name: str
    phone: str
    id_number: str
    address: str
    email: str


class ActionOut(Schema):
    key: str
    type: str
    label: str
    requires: list[str]
    to: str | None
    measures: list[str] | None = None


class ActionsOut(Schema):
    stage: str
    stage_label: str
    version: int
    actions: list[ActionOut]


class ActionIn(Input):
    """The data an action carries; which fields it needs is listed by GET …/actions."""

    version: int = Field(
        ge=1, le=COUNT_MAX, description="the version you read; a stale one gets 409"
    )
    note: str | None = None
    department: str | None = None
    slip: str | None = Field(None, description="transfer slip (投诉接收单)")
    assignee: str | None = None
    category: str | None = None
    severity: str | None = None
    nature: str | None = None
    findings: str | None = None
    evidence: str | None = None
    report: str | None = None
    opinion: str | None = None
    owner: str | None = Field(None, description="username of the meeting's owner")
    due_at: datetime | None = None
    agenda: str | None = None
    measure: str | None = None
    amount: Decimal | None = Field(None, description="yuan, e.g. 1200.00")
    result: str | None = None
    reply: str | None = None
    satisfaction: str | None = None
    reason: str | None = None
    reached: bool | None = None
    remarks: str | None = None
    complained_person: str | None = Field(
        None, description="username of the member of staff complained about (被投诉人)"
    )
    items: int | None = Field(
        None, ge=1, le=50, description="items of the complaint upheld (投诉内容项数)"
    )
    fine: Decimal | None = Field(None, description="yuan, within the penalty rule's range")


class TimelineEntry(Schema):
    seq: int
    at: datetime
    actor: str | None
    action: str
    data: dict


class Problem(Schema):
    type: str
    title: str
    status: int
    detail: str
    errors: list[dict] = []
