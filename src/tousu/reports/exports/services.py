"""Making exports: check who asks and what, select the rows through the gate, write the
file, and put the export in the audit chain (who, which kind, which filters, how many
rows — never the rows themselves).

``export_write`` is the one call for the worker, the CLI and bench scripts::

    rows = export_write("complaints", "xlsx", "/tmp/out.xlsx", user, {"status": "open"})
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.http import QueryDict
from django.utils import translation
from django.utils.translation import gettext as _

from tousu.accounts.models import User
from tousu.audit.services import audit_record
from tousu.core.problems import InvalidInput, NotAllowed, NotFound
from tousu.reports.exports import complaints, incidents, kpi, penalties, writers  # noqa: F401  (registers)
from tousu.reports.exports.base import FORMATS, KINDS, ExportKind, query_dict
from tousu.reports.exports.writers import csv_write, xlsx_write

EXPORT_MADE = "export.made"
Progress = Callable[[int, int, str], None]


class NothingToExport(InvalidInput):
    """No row matches: an empty file would only look like a failure of the export."""


@dataclass
class ExportRequest:
    """An export checked and counted, ready to be written."""

    kind: ExportKind
    user: User
    params: Any
    rows: QuerySet[Any]
    count: int


def export_language(user: User) -> str:
    return user.language or settings.LANGUAGE_CODE


def export_prepare(
    *, kind: str, user: User, query: QueryDict | Mapping[str, Any] | None, fmt: str = "xlsx"
) -> ExportRequest:
    """Check an export and count its rows.

    Raises ``NotFound`` for an unknown kind, ``InvalidInput`` (naming the field) for an
    unknown format or a bad filter, ``NotAllowed`` when the user may not export this kind,
    ``NothingToExport`` when no row the user may see matches.
    """
    export = KINDS.get(kind)
    if export is None:
        raise NotFound(_("There is no export of that kind."))
    if fmt not in FORMATS:
        message = _("Choose XLSX or CSV.")
        raise InvalidInput(message, field_errors={"format": [message]})
    if not user.is_active or not export.allowed(user):
        raise NotAllowed(_("You may not export this."))
    data = query if isinstance(query, QueryDict) else query_dict(query)
    params = export.parse(data)
    rows = export.queryset(user, params)
    count = rows.count()
    if not count:
        raise NothingToExport(_("No rows match these filters: there is nothing to export."))
    if fmt == "xlsx" and count > writers.XLSX_MAX_ROWS:
        message = _("Too many rows for XLSX (%(count)s): choose CSV.") % {"count": count}
        raise InvalidInput(message, field_errors={"format": [message]})
    return ExportRequest(export, user, params, rows, count)


def export_audit(*, request: ExportRequest, fmt: str, rows: int) -> None:
    """Record the export in the audit chain (its own chain, not a complaint's timeline)."""
    with transaction.atomic():
        audit_record(
            actor=request.user,
            action=EXPORT_MADE,
            object_type="export",
            object_id=request.kind.key,
            data={
                "kind": request.kind.key,
                "format": fmt,
                "filters": request.kind.audit_filters(request.params),
                "rows": rows,
                "personal_data": request.kind.holds_personal_data(request.user),
            },
        )


def export_file(
    request: ExportRequest, fmt: str, path: Path | str, *, progress: Progress | None = None
) -> int:
    """Write a prepared export to ``path`` in the active language; the rows written."""
    sheet = request.kind.sheet(request.user, request.rows)
    total = request.count
    step = str(request.kind.title)

    def tick(done: int) -> None:
        if progress is not None:
            progress(done, max(total, done), step)

    if fmt == "csv":
        written = csv_write(path, sheet, tick=tick)
    else:
        written = xlsx_write(path, [sheet], tick=tick)
    export_audit(request=request, fmt=fmt, rows=written)
    return written


def export_write(
    kind: str,
    fmt: str,
    path: Path | str,
    user: User,
    filters: QueryDict | Mapping[str, Any] | None = None,
    *,
    progress: Progress | None = None,
    language: str | None = None,
) -> int:
    """Write the export ``kind`` of what ``user`` may see, narrowed by ``filters`` (the
    list's query parameters), as ``fmt`` (xlsx or csv) to ``path``; return the number
    of rows. Headers in ``language`` (default: the user's own). Recorded in the audit
    chain. Raises as ``export_prepare``."""
    with translation.override(language or export_language(user)):
        request = export_prepare(kind=kind, user=user, query=filters, fmt=fmt)
        return export_file(request, fmt, path, progress=progress)
