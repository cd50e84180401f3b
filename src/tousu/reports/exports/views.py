"""The export button's target: ``/reports/exports/<kind>/?format=xlsx&<the list's filters>``.

Up to ``EXPORT_STREAM_LIMIT`` rows the file comes back at once (CSV streamed as it is
made, XLSX written to a scratch file in constant memory and sent); above it a background
job makes it and the person follows its progress. A refusal (a bad filter, nothing to
export) goes back to the page the export was asked from, with the message.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    QueryDict,
    StreamingHttpResponse,
)
from django.http.response import HttpResponseBase
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _

from tousu.accounts.http import staff
from tousu.core.problems import InvalidInput, NotAllowed, NotFound
from tousu.reports.exports.base import KINDS
from tousu.reports.exports.runner import export_queue
from tousu.reports.exports.services import (
    ExportRequest,
    NothingToExport,
    export_audit,
    export_file,
    export_prepare,
)
from tousu.reports.exports.writers import csv_chunks
from tousu.reports.jobs_views import CONTENT_TYPES

DEFAULT_STREAM_LIMIT = 5000


def stream_limit() -> int:
    return int(getattr(settings, "EXPORT_STREAM_LIMIT", DEFAULT_STREAM_LIMIT))


def _back(kind: str, query: QueryDict) -> str:
    export = KINDS.get(kind)
    url = reverse(export.back if export else "work")
    return f"{url}?{query.urlencode()}" if query else url


def _file_name(request: ExportRequest, fmt: str) -> str:
    return f"{request.kind.title}-{timezone.localtime():%Y%m%d-%H%M}.{fmt}"


def _csv_stream(request: ExportRequest, language: str) -> Iterator[bytes]:
    # Streamed after the view returns: the labels keep the asker's language.
    with translation.override(language):
        sheet = request.kind.sheet(request.user, request.rows)
        for chunk in csv_chunks(sheet.headers, sheet.rows):
            yield chunk.encode("utf-8")


@login_required
def export(request: HttpRequest, kind: str) -> HttpResponseBase:
    user = staff(request)
    query = request.GET.copy()
    fmt = (query.pop("format", None) or ["xlsx"])[-1]
    try:
        prepared = export_prepare(kind=kind, user=user, query=query, fmt=fmt)
    except NotFound as exc:
        raise Http404(exc.detail) from exc
    except NotAllowed as exc:
        raise PermissionDenied(exc.detail) from exc
    except NothingToExport as exc:
        messages.warning(request, exc.detail)
        return redirect(_back(kind, query))
    except InvalidInput as exc:
        messages.error(request, exc.detail)
        return redirect(_back(kind, query))
    if prepared.count > stream_limit():
        job = export_queue(
            kind=kind,
            fmt=fmt,
            title=_("Export: %(title)s") % {"title": prepared.kind.title},
            query=query,
            user=user,
        )
        messages.info(
            request,
            _("%(count)d rows: the file is made in the background.") % {"count": prepared.count},
        )
        return redirect("reports:job", job.pk)
    name = _file_name(prepared, fmt)
    if fmt == "csv":
        export_audit(request=prepared, fmt=fmt, rows=prepared.count)
        response = StreamingHttpResponse(
            _csv_stream(prepared, translation.get_language() or settings.LANGUAGE_CODE),
            content_type=CONTENT_TYPES["csv"],
        )
        response["Content-Disposition"] = content_disposition_header(True, name)
        return response
    handle, scratch = tempfile.mkstemp(prefix="export-", suffix=".xlsx")
    os.close(handle)
    path = Path(scratch)
    try:
        export_file(prepared, fmt, path)
        opened = path.open("rb")
    finally:
        path.unlink(missing_ok=True)  # the open file stays readable until it is sent
    return FileResponse(
        opened, as_attachment=True, filename=name, content_type=CONTENT_TYPES["xlsx"]
    )
