"""Pydantic schemas of the incident API (shapes only; rules live in the services). Keys
are given with their labels: programs read the keys, people the labels."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from ninja import Schema
from pydantic import Field

from tousu.complaints.schemas import COUNT_MAX, Input


class Labelled(Schema):
    key: str
    label: str


class LevelOut(Labelled):
    colour: str = Field(description="red, orange, yellow, blue or none")


class PersonOut(Schema):
    username: str
    name: str


class IncidentListItem(Schema):
    number: str
    title: str
    level: LevelOut
    status: Labelled
    source: Labelled
    trigger: str = Field(description="the plan trigger's label, if one opened it")
    opened_at: datetime
    activated_at: datetime | None
    closed_at: datetime | None
    linked_complaints: int = Field(description="how many complaints are linked (all)")
    version: int


class IncidentPage(Schema):
    count: int
    page: int
    page_size: int
    pages: int
    results: list[IncidentListItem]


class ResponderOut(Schema):
    person: PersonOut
    group: Labelled
    part: Labelled


class TaskOut(Schema):
    id: int
    label: str
    group: Labelled
    owner: PersonOut | None
    due_at: datetime | None
    overdue: bool
    done_at: datetime | None
    done_by: PersonOut | None
    note: str


class SituationOut(Schema):
    id: int
    author: PersonOut
    text: str
    level: LevelOut
    at: datetime


class UpwardOut(Schema):
    id: int
    authority: str
    due_at: datetime | None
    overdue: bool
    reported_at: datetime | None
    reported_by: PersonOut | None
    content: str


class MediaOut(Schema):
    id: int
    outlet: str
    person: str
    summary: str
    at: datetime
    recorded_by: PersonOut


class StatementOut(Schema):
    id: int
    text: str
    status: Labelled
    author: PersonOut
    created_at: datetime
    approved_by: PersonOut | None
    approved_at: datetime | None
    published_by: PersonOut | None
    published_at: datetime | None


class ImprovementOut(Schema):
    id: int
    title: str
    owner: PersonOut
    due_on: date
    done_at: datetime | None
    note: str


class ReviewOut(Schema):
    causes: str
    lessons: str
    figures: dict
    author: PersonOut
    created_at: datetime
    proposed_revision: int | None
    improvements: list[ImprovementOut]


class IncidentOut(IncidentListItem):
    description: str
    plan: str
    category: str | None = Field(description="the event class's name, for an event report")
    severity: str
    amount_involved: Decimal | None
    people_injured: int
    contained_at: datetime | None
    reviewed_at: datetime | None
    outcome: str
    elapsed: str = Field(description="time since activation, in words")
    next_situation_due: datetime | None
    responders: list[ResponderOut]
    tasks: list[TaskOut]
    situation_reports: list[SituationOut]
    upward: list[UpwardOut]
    media: list[MediaOut]
    statements: list[StatementOut]
    complaints: list[str] = Field(description="tracking numbers of the linked complaints you see")
    complaints_hidden: int = Field(description="linked complaints you may not see")
    review: ReviewOut | None


class IncidentReceipt(Schema):
    """What the caller learns of an incident it opened or raised (it may not see it)."""

    number: str
    title: str
    level: LevelOut
    status: Labelled
    visible: bool = Field(description="whether GET /api/v1/incidents/{number} shows it to you")


class EventReportIn(Input):
    title: str
    description: str = ""
    category: str = Field(description="an event class: a category key of the plan")
    severity: str = Field(description="a severity key of the plan")
    amount_involved: Decimal | None = Field(None, ge=0, le=Decimal("999999999999.99"))
    people_injured: int = Field(0, ge=0, le=COUNT_MAX)


class ActivateIn(Input):
    level: str = Field("", description="a level key of the plan; empty keeps the reported one")


class LevelIn(Input):
    level: str = Field(description="a level key of the plan")
    reason: str = Field("", description="required when lowering the level")
    version: int | None = Field(
        None, ge=1, le=COUNT_MAX, description="the version you read; a stale one gets 409"
    )


class NoteIn(Input):
    note: str = ""


class SituationIn(Input):
    text: str


class UpwardIn(Input):
    content: str = Field(description="what was reported to the authority")


class MediaIn(Input):
    outlet: str
    summary: str
    person: str = ""
    at: datetime | None = Field(None, description="when; now if absent")


class StatementIn(Input):
    text: str


class CloseIn(Input):
    outcome: str


class ImprovementIn(Input):
    title: str
    owner: str = Field(description="username")
    due_on: date


class AccountabilityIn(Input):
    person: str = Field(description="username")
    reason: str
    amount: Decimal = Field(Decimal(0), ge=0, le=Decimal("99999999.99"))
    performance: Literal["", "zero", "management_zero"] = Field(
        "", description="zero: monthly performance set to zero; management_zero: management's"
    )


class ReviewIn(Input):
    causes: str
    lessons: str
    improvements: list[ImprovementIn] = Field(default_factory=list, max_length=50)
    accountability: list[AccountabilityIn] = Field(default_factory=list, max_length=50)
    revision_source: str = Field("", description="a proposed plan revision (YAML), optional")


class EmergencyIn(Input):
    level: str = Field(description="a level key of the plan")
    reason: str = Field(description="why the plan is activated")
