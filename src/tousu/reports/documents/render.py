"""One HTML body per document, rendered from its template in Chinese; the print page, the
PDF and the DOCX are all made from it."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation

from tousu.complaints.models import Complaint
from tousu.core.problems import NotFound
from tousu.reports.documents import case_file, content
from tousu.reports.documents.kinds import KINDS, document_title

# Documents that are Chinese by nature: printed forms filed with the case.
LANGUAGE = "zh-hans"


@dataclass(frozen=True)
class Rendered:
    kind: str
    title: str
    body: str
    filename: str  # without the suffix; ASCII (tracking number and kind)


def _gather(kind: str, *, user, complaint: Complaint, event: int | None):
    if kind == "receipt":
        return content.receipt_document(complaint)
    if kind == "refusal":
        return content.refusal_document(user=user, complaint=complaint, seq=event)
    if kind == "transfer":
        return content.transfer_document(complaint, event)
    if kind == "supervision":
        return content.supervision_document(complaint, event)
    if kind == "instruction":
        return content.instruction_document(complaint, event)
    if kind == "case-file":
        return case_file.case_file_document(user=user, complaint=complaint)
    raise NotFound(f"no document {kind}")


def document_render(kind: str, *, user, complaint: Complaint, event: int | None = None) -> Rendered:
    """The body of document ``kind`` for ``complaint`` (read through the gate by the
    caller). Raises ``NotFound`` for an unknown kind and ``Conflict`` for a document that
    does not apply to the complaint. In a drill's process (``TOUSU_DRILL``) the body opens
    with the drill marker, so no printed, PDF or Word copy passes for a real case's."""
    if kind not in KINDS:
        raise NotFound(f"no document {kind}")
    with translation.override(LANGUAGE):
        doc = _gather(kind, user=user, complaint=complaint, event=event)
        name = document_title(kind, complaint)
        title = f"{name} {complaint.tracking_no}"
        body = render_to_string(
            f"reports/documents/{kind}.html",
            {"doc": doc, "title": name, "drill": bool(getattr(settings, "TOUSU_DRILL", False))},
        )
    return Rendered(
        kind=kind,
        title=title,
        body=body,
        filename=f"{complaint.tracking_no}-{kind}" + (f"-{event}" if event else ""),
    )
