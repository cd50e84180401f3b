"""What an export is: a kind (complaints, penalties, incidents …) that reads its filters
from a query, selects its rows through the visibility gate, and gives one table of labels.

To add an export (the KPI sheet, say): subclass ``ExportKind``, give it a ``key``, a
``title``, ``parse`` (query → parameters, ``InvalidInput`` naming the field),
``queryset`` (the rows the user may see, as a queryset or any sized iterable) and
``sheet`` (headers in the active language, rows of plain values), and decorate it with
``@export_kind``. The view, the background runner, the CLI, the audit entry and both file
formats then come for free.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, tzinfo
from typing import Any

from django.db.models import Model, QuerySet
from django.http import QueryDict
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.text import capfirst

from tousu.accounts.models import User
from tousu.core.problems import InvalidInput
from tousu.plans.models import PlanRevision
from tousu.plans.schema import Plan
from tousu.reports.exports.writers import Sheet

# Rows fetched per database round trip: memory stays bounded at any number of rows.
CHUNK_SIZE = 2000
FORMATS = ("xlsx", "csv")


class ExportKind:
    key: str = ""
    title: str | Promise = ""
    # The page the export is asked from (a URL name), where a refusal is shown.
    back: str = "work"

    def allowed(self, user: User) -> bool:
        """May ``user`` export this kind at all (the gate still narrows the rows)."""
        return True

    def filter_names(self) -> list[str]:
        """The query parameters ``parse`` reads (the CLI refuses others)."""
        return ["period", "status"]

    def personal_filters(self) -> tuple[str, ...]:
        """The query parameters that may name a person (a search for a phone number or a
        name): a background job keeps them encrypted, never in its clear parameters."""
        return ()

    def holds_personal_data(self, user: User) -> bool:
        """Does ``user``'s file of this kind hold unmasked personal data?"""
        return False

    def parse(self, data: QueryDict) -> Any:
        """The parameters in ``data``; ``InvalidInput`` naming the field when one is bad."""
        raise NotImplementedError

    def queryset(self, user: User, params: Any) -> QuerySet:
        raise NotImplementedError

    def sheet(self, user: User, rows: QuerySet) -> Sheet:
        """The table of ``rows``: headers in the active language, values as labels."""
        raise NotImplementedError

    def audit_filters(self, params: Any) -> dict[str, Any]:
        """The filters as the audit entry keeps them (no personal data)."""
        return {}


KINDS: dict[str, ExportKind] = {}


def export_kind(cls: type[ExportKind]) -> type[ExportKind]:
    KINDS[cls.key] = cls()
    return cls


def query_dict(data: Mapping[str, Any] | None) -> QueryDict:
    """A query from a mapping of names to a value or a list of values (a job's stored
    parameters, the CLI's ``--filter`` pairs)."""
    query = QueryDict(mutable=True)
    for name, value in (data or {}).items():
        values = value if isinstance(value, list | tuple) else [value]
        query.setlist(name, [str(v) for v in values])
    return query


def query_lists(query: QueryDict, *, drop: Iterable[str] = ()) -> dict[str, list[str]]:
    """A query as JSON-storable lists, without the names in ``drop`` (the format …)."""
    return {name: query.getlist(name) for name in query if name not in set(drop)}


def form_invalid(form: Any) -> InvalidInput:
    """A bound form's errors as ``InvalidInput`` naming its fields."""
    errors = {name: [str(e) for e in messages] for name, messages in form.errors.items()}
    first = next(iter(form.errors.items()))
    label = form.fields[first[0]].label if first[0] in form.fields else first[0]
    return InvalidInput(f"{label}: {first[1][0]}", field_errors=errors)


def field_label(model: type[Model], name: str) -> str:
    """A model field's verbose name as a column header (in the active language)."""
    field = model._meta.get_field(name)
    return capfirst(str(getattr(field, "verbose_name", name)))


def local(moment: datetime | None, zone: tzinfo | None = None) -> datetime | None:
    """An aware moment as naive local time (what a spreadsheet cell holds); ``zone``:
    the current time zone, when a loop over many rows has looked it up once."""
    if moment is None:
        return None
    return moment.astimezone(zone or timezone.get_current_timezone()).replace(
        tzinfo=None, microsecond=0
    )


class Plans:
    """The typed plans of the revisions the rows run under, read once per revision."""

    def __init__(self) -> None:
        self._plans: dict[int, Plan] = {}

    def get(self, revision_id: int | None) -> Plan | None:
        if revision_id is None:
            return None
        plan = self._plans.get(revision_id)
        if plan is None:
            plan = self._plans[revision_id] = PlanRevision.objects.get(pk=revision_id).plan_model
        return plan
