"""The documents' pages: the menu of a complaint's documents, each document as a print
page, a PDF and a DOCX. Thin: the gate, then ``render``; every read through
``complaint_get_visible`` (404 for a complaint the user may not see)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from tousu.accounts.http import staff
from tousu.complaints.selectors import complaint_get_visible
from tousu.core.documents.docx import html_docx
from tousu.core.documents.pdf import html_pdf
from tousu.core.problems import Conflict, NotFound
from tousu.reports.documents.kinds import KINDS, documents_available
from tousu.reports.documents.render import Rendered, document_render


def _complaint(request: HttpRequest, tracking_no: str):
    try:
        return complaint_get_visible(user=request.user, tracking_no=tracking_no)
    except NotFound as exc:
        raise Http404(str(exc)) from exc


def _event(request: HttpRequest) -> int | None:
    text = request.GET.get("event", "")
    return int(text) if text.isdigit() else None


def _rendered(request: HttpRequest, tracking_no: str, kind: str) -> Rendered | HttpResponse:
    if kind not in KINDS:
        raise Http404(f"no document {kind}")
    complaint = _complaint(request, tracking_no)
    try:
        return document_render(
            kind, user=staff(request), complaint=complaint, event=_event(request)
        )
    except Conflict as exc:
        context = {"complaint": complaint, "title": KINDS[kind], "message": exc.detail}
        return render(request, "reports/documents/unavailable.html", context, status=exc.status)
    except NotFound as exc:
        raise Http404(str(exc)) from exc


@login_required
def document_menu(request: HttpRequest, tracking_no: str) -> HttpResponse:
    """The documents of one complaint, each in its three forms; the complaint page loads
    it as a box (htmx), and it is a page of its own without JavaScript."""
    complaint = _complaint(request, tracking_no)
    context = {"complaint": complaint, "documents": documents_available(complaint)}
    if request.headers.get("HX-Request"):
        return render(request, "reports/documents/_menu.html", context)
    return render(request, "reports/documents/menu.html", context)


@login_required
def document_page(request: HttpRequest, tracking_no: str, kind: str) -> HttpResponse:
    rendered = _rendered(request, tracking_no, kind)
    if isinstance(rendered, HttpResponse):
        return rendered
    context = {
        "rendered": rendered,
        "tracking_no": tracking_no,
        "event": request.GET.get("event", ""),
    }
    return render(request, "reports/documents/page.html", context)


def _download(rendered: Rendered, data: bytes, suffix: str, content_type: str) -> HttpResponse:
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{rendered.filename}.{suffix}"'
    return response


@login_required
def document_pdf(request: HttpRequest, tracking_no: str, kind: str) -> HttpResponse:
    rendered = _rendered(request, tracking_no, kind)
    if isinstance(rendered, HttpResponse):
        return rendered
    data = html_pdf(rendered.body, title=rendered.title)
    return _download(rendered, data, "pdf", "application/pdf")


@login_required
def document_docx(request: HttpRequest, tracking_no: str, kind: str) -> HttpResponse:
    rendered = _rendered(request, tracking_no, kind)
    if isinstance(rendered, HttpResponse):
        return rendered
    data = html_docx(rendered.body, title=rendered.title)
    return _download(
        rendered,
        data,
        "docx",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    )
