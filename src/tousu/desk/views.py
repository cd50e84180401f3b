"""The hotline and walk-in desk: take a call with the caller's earlier complaints and the
plan's reply scripts at hand, register it in under a minute, print the 受理回执."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils.translation import gettext as _

from tousu.accounts.http import staff
from tousu.complaints import services
from tousu.complaints.checks import ComplainantData
from tousu.complaints.models import Complaint
from tousu.complaints.selectors import complaint_get_visible
from tousu.core.masks import mask_name
from tousu.core.problems import InvalidInput, NotFound
from tousu.desk.forms import DeskRegisterForm
from tousu.desk.receipts import access_code_keep, access_code_shown, receipt_for
from tousu.desk.selectors import caller_history, category_label, scripts_for
from tousu.notifications.messages import portal_url

PAPERS = ("a5", "a4")


def _may_register(request: HttpRequest) -> bool:
    return request.user.has_perm("complaints.add_complaint")


def _refused(request: HttpRequest) -> HttpResponse:
    messages.error(request, _("You may not register complaints."))
    return redirect("complaints:list")


def _panels(request: HttpRequest, phone: str, category: str) -> dict[str, Any]:
    """The caller's earlier complaints and the scripts for the category."""
    revision = services.plan_revision_current()
    plan = revision.plan_model if revision else None
    return {
        "history": caller_history(user=staff(request), phone=phone, category=category)
        if phone.strip()
        else None,
        "scripts": scripts_for(plan, category),
        "category": category,
        "category_label": category_label(plan, category),
    }


def _fragment(template: str, context: dict[str, Any]) -> HttpResponse:
    """A part of the desk page for htmx: no page furniture, so no context processors."""
    return HttpResponse(render_to_string(template, context))


def _register(request: HttpRequest, data: dict[str, Any]) -> Complaint:
    return services.complaint_register(
        actor=staff(request),
        channel=data["channel"],
        title=data["title"],
        description=data["description"],
        category=data["category"],
        severity=data["severity"],
        nature=data["nature"],
        occurred_at=data["occurred_at"],
        occurred_place=data["occurred_place"],
        merchant=data["merchant"],
        product=data["product"],
        amount_involved=data["amount_involved"],
        complainant=ComplainantData(
            name=data["complainant_name"],
            phone=data["complainant_phone"],
            address=data["complainant_address"],
            email=data["complainant_email"],
        ),
    )


@login_required
def desk(request: HttpRequest) -> HttpResponse:
    """The intake screen. A GET with ``phone`` (and ``category``) opens it on that caller
    (a softphone can link here); a POST with ``lookup`` looks the caller up keeping what
    was typed (the path without JavaScript); any other POST registers."""
    if not _may_register(request):
        return _refused(request)
    status = 200
    if request.method == "POST":
        form = DeskRegisterForm(request.POST)
        phone = request.POST.get("complainant_phone", "")
        category = request.POST.get("category", "")
        if "lookup" in request.POST:
            form.focus_after_lookup()
        else:
            if form.is_valid():
                try:
                    complaint = _register(request, form.cleaned_data)
                except InvalidInput as exc:
                    form.add_service_errors(exc.field_errors)
                else:
                    access_code_keep(
                        request.session,
                        complaint.tracking_no,
                        complaint.access_code,  # type: ignore[attr-defined]
                    )
                    return redirect("desk:done", tracking_no=complaint.tracking_no)
            form.focus_first_error()
            status = 422
    else:
        phone = request.GET.get("phone", "")[:32]
        category = request.GET.get("category", "")[:64]
        form = DeskRegisterForm(initial={"complainant_phone": phone, "category": category})
        if phone:
            form.focus_after_lookup()
    context = {"form": form, **_panels(request, phone, category)}
    return render(request, "desk/desk.html", context, status=status)


@login_required
def lookup(request: HttpRequest) -> HttpResponse:
    """The caller panel alone (htmx), with the summary beside the phone field."""
    if not _may_register(request):
        return HttpResponse(status=403)
    phone = (request.GET.get("phone") or request.GET.get("complainant_phone") or "")[:32]
    category = request.GET.get("category", "")[:64]
    return _fragment("desk/_caller.html", {**_panels(request, phone, category), "oob": True})


@login_required
def scripts(request: HttpRequest) -> HttpResponse:
    """The scripts panel alone (htmx), for the category chosen."""
    if not _may_register(request):
        return HttpResponse(status=403)
    return _fragment(
        "desk/_scripts.html", _panels(request, "", request.GET.get("category", "")[:64])
    )


@login_required
def done(request: HttpRequest, tracking_no: str) -> HttpResponse:
    """Registered: the tracking number and the access code to read to the caller."""
    if not _may_register(request):
        return _refused(request)
    code = access_code_shown(request.session, tracking_no)
    try:
        complaint_get_visible(user=request.user, tracking_no=tracking_no)
        visible = True
    except NotFound as exc:
        if not code:  # not one this desk registered just now
            raise Http404(str(exc)) from exc
        visible = False
    context = {
        "tracking_no": tracking_no,
        "access_code": code,
        "visible": visible,
        "tracking_url": portal_url(tracking_no),
    }
    return render(request, "desk/done.html", context)


@login_required
def receipt(request: HttpRequest, tracking_no: str) -> HttpResponse:
    """The printable 受理回执. The access code is on it for a few minutes after this
    desk registered the complaint (``CODE_SHOWN``: to print it, switch the paper without
    JavaScript, print again); later it says the code was given at registration."""
    try:
        complaint = complaint_get_visible(user=request.user, tracking_no=tracking_no)
    except NotFound as exc:
        raise Http404(str(exc)) from exc
    paper = request.GET.get("paper", "a5")
    context = {
        "receipt": receipt_for(
            complaint, access_code=access_code_shown(request.session, tracking_no)
        ),
        "complaint": complaint,
        "complainant": mask_name(complaint.complainant.name),
        "paper": paper if paper in PAPERS else "a5",
    }
    return render(request, "desk/receipt.html", context)
