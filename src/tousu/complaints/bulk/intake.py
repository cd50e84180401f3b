"""Checking rows for a bulk registration by ``complaint_register``'s rules, against the
organisation's plan, categories and departments read once (``BulkIntake``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _

from tousu.accounts.models import Department
from tousu.complaints.checks import ComplainantData, FieldErrors, complainant_clean
from tousu.complaints.choices import Channel
from tousu.complaints.models import Category
from tousu.complaints.services import intake_department, plan_revision_current
from tousu.core.inputs import date_problem, text_problem
from tousu.core.problems import InvalidInput
from tousu.plans.schema import Plan

CHANNELS = frozenset(Channel.values)
RESULT_LIMIT = 10_000  # the engine's limit on a reply's text


@dataclass
class BulkComplaint:
    """One row checked by ``BulkIntake.check``: everything a registration needs."""

    channel: str
    title: str
    description: str
    category: Category
    complainant: ComplainantData
    severity: str
    nature: str
    department: Department
    received_at: dt.datetime
    confidential: bool = False
    occurred_at: dt.datetime | None = None
    occurred_place: str = ""
    persons_involved: str = ""
    merchant: str = ""
    product: str = ""
    amount_involved: Decimal | None = None
    closed: bool = False
    reply: str = ""
    result: str = ""


def _archive_stage(plan: Plan) -> str:
    """The terminal stage an archived case rests in: the plan's archived one, else its
    closed one, else its first terminal stage."""
    terminal = [key for key, stage in plan.stages.items() if stage.terminal]
    for status in ("archived", "closed"):
        for key in terminal:
            if plan.stage(key).status == status:
                return key
    return terminal[0]


def _by_label(choices: Sequence[Any]) -> dict[str, str]:
    return {choice.label: choice.key for choice in choices}


class BulkIntake:
    """What rows are checked against, read once: the organisation's plan, its categories
    (by key and by label), the departments (by code and by name) and the intake
    department. Raises ``InvalidInput`` when the organisation runs no plan."""

    def __init__(self) -> None:
        revision = plan_revision_current()
        if revision is None:
            message = _("The organisation runs no plan: adopt one before importing complaints.")
            raise InvalidInput(message, field_errors={"plan": [message]})
        self.revision = revision
        self.plan = revision.plan_model
        self.archive_stage = _archive_stage(self.plan)
        categories = {c.pk: c for c in Category.objects.all()}
        for category in categories.values():  # the lineage the plan's conditions read
            if category.parent_id is not None:
                category.parent = categories[category.parent_id]
        active = [c for c in categories.values() if c.is_active]
        self.categories = {c.key: c for c in active}
        self.category_names: dict[str, list[Category]] = {}
        for category in active:
            self.category_names.setdefault(category.name, []).append(category)
        departments = list(Department.objects.filter(is_active=True))
        self.departments = {d.code: d for d in departments}
        self.department_names = {d.name: d for d in departments}
        self.intake = intake_department()
        self.severities = _by_label(self.plan.severities)
        self.natures = _by_label(self.plan.natures)

    def default_of(self, kind: str) -> str:
        """The severity or nature a row without one gets: registration's default
        (ordinary, problem) where the plan has it, else the plan's first."""
        if kind == "severity":
            keys, preferred = self.plan.keys_of("severities"), "ordinary"
        else:
            keys, preferred = self.plan.keys_of("natures"), "problem"
        return preferred if preferred in keys else keys[0]

    def _plan_key(self, errors: FieldErrors, name: str, value: str, labels: dict[str, str]) -> str:
        """A plan severity or nature given by its key or its label."""
        value = labels.get(value, value)
        errors.key(name, value, list(labels.values()))
        return value

    def _category(self, errors: FieldErrors, value: str) -> Category | None:
        if not value:
            errors.add("category", _("This field is required."))
            return None
        found = self.categories.get(value)
        if found is not None:
            return found
        named = self.category_names.get(value, [])
        if len(named) == 1:
            return named[0]
        if named:
            errors.add(
                "category",
                _("Several categories are called “%(value)s”: give its key.") % {"value": value},
            )
        else:
            errors.add("category", _("Unknown category “%(value)s”.") % {"value": value})
        return None

    def _department(self, errors: FieldErrors, value: str) -> Department | None:
        if not value:
            if self.intake is None:
                errors.add("department", _("The organisation has no department to receive it."))
            return self.intake
        found = self.departments.get(value) or self.department_names.get(value)
        if found is None:
            errors.add("department", _("Unknown department “%(value)s”.") % {"value": value})
        return found

    def _channel(self, errors: FieldErrors, value: str, closed: bool) -> str:
        """Any channel for an archived case; one the plan accepts for an open case, which
        enters the plan as if it came in now."""
        if not value:
            errors.add("channel", _("This field is required."))
        elif value not in CHANNELS:
            errors.add("channel", _("Unknown value “%(value)s”.") % {"value": value})
        elif not closed and value not in self.plan.channels:
            errors.add(
                "channel",
                _("The plan does not accept complaints through “%(value)s”.") % {"value": value},
            )
        return value

    def check(
        self,
        *,
        title: str,
        description: str,
        category: str,
        complainant: ComplainantData,
        received_at: dt.datetime | None,
        now: dt.datetime,
        channel: str = Channel.IMPORT,
        severity: str = "",
        nature: str = "",
        department: str = "",
        occurred_at: dt.datetime | None = None,
        occurred_place: str = "",
        persons_involved: str = "",
        merchant: str = "",
        product: str = "",
        amount_involved: Decimal | None = None,
        closed: bool = False,
        reply: str = "",
        result: str = "",
    ) -> tuple[BulkComplaint | None, dict[str, list[str]]]:
        """Check one row by ``complaint_register``'s rules (field names as it names
        them: ``complainant.phone`` …); the checked row, or None and the errors."""
        errors = FieldErrors()
        texts = {
            name: errors.text(name, value, required=name in ("title", "description"))
            for name, value in (
                ("title", title),
                ("description", description),
                ("occurred_place", occurred_place),
                ("persons_involved", persons_involved),
                ("merchant", merchant),
                ("product", product),
            )
        }
        channel = self._channel(errors, channel, closed)
        severity = self._plan_key(
            errors, "severity", severity or self.default_of("severity"), self.severities
        )
        nature = self._plan_key(errors, "nature", nature or self.default_of("nature"), self.natures)
        if amount_involved is not None and not (0 <= amount_involved < Decimal("1e12")):
            errors.add("amount_involved", _("Give an amount of zero or more yuan."))
        person = complainant_clean(errors, complainant)
        category_obj = self._category(errors, category)
        department_obj = self._department(errors, department)
        if received_at is None:
            errors.add("received_at", _("This field is required."))
        for name, moment in (("received_at", received_at), ("occurred_at", occurred_at)):
            if moment is None:
                continue
            problem = date_problem(moment)
            if problem:
                errors.add(name, problem)
            elif moment > now:
                errors.add(name, _("Cannot be in the future."))
        answers = {"reply": reply.strip(), "result": result.strip()}
        for name, value in answers.items():
            problem = text_problem(value)
            if problem:
                errors.add(name, problem)
            elif len(value) > RESULT_LIMIT:
                errors.add(
                    name,
                    _("At most %(limit)d characters (this has %(count)d).")
                    % {"limit": RESULT_LIMIT, "count": len(value)},
                )
        if errors.fields:
            return None, errors.fields
        assert category_obj is not None and department_obj is not None and received_at
        return BulkComplaint(
            channel=channel,
            severity=severity,
            nature=nature,
            category=category_obj,
            complainant=person,
            department=department_obj,
            received_at=received_at,
            occurred_at=occurred_at,
            amount_involved=amount_involved,
            # A nature the plan holds confidential (e.g. 涉密) makes the complaint so.
            confidential=nature in self.plan.confidentiality.natures,
            closed=closed,
            **texts,
            **answers,
        ), {}
