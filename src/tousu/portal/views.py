"""The public portal's pages: the complaint form and its result, the tracking page and
the complainant's actions. No login; plain forms that work without script."""

from __future__ import annotations

from captcha.views import captcha_image as captcha_image_view
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_POST

from tousu.complaints.models import Complaint
from tousu.core.problems import Conflict, InvalidInput, NotAllowed, NotFound
from tousu.plans.engine import AvailableAction
from tousu.portal import access
from tousu.portal.forms import ComplainantActionForm, FilingForm, TrackForm
from tousu.portal.presenters import case_context
from tousu.portal.proof_of_work import challenge_new, payload_verify
from tousu.portal.services import (
    Filing,
    complainant_act,
    complainant_actions,
    complaint_file,
    portal_plan,
    retention_years,
)
from tousu.portal.throttle import Throttled, client_bucket, rate, rate_hit
from tousu.portal.uploads import (
    body_max,
    count_max,
    file_max,
    too_large_message,
    total_max,
    uploads_check,
)

RECEIPT_KEY = "portal_receipt"
# Read at most this much of a refused body: enough for the browser to be sending still
# when the answer comes (it then shows it), never the whole of a huge body.
DRAIN_MAX = 2 * 1024 * 1024


def _too_many(request: HttpRequest, template: str, context: dict, exc: Throttled) -> HttpResponse:
    response = render(request, template, {**context, "throttled": exc.detail}, status=429)
    response["Retry-After"] = str(exc.retry_after)
    return response


def _form_context(form: FilingForm | None, **extra) -> dict:
    """The complaint page's context: the form, the attachment limits (the browser checks
    them at once, the server again) and the privacy notice's retention."""
    limits = {
        "file": file_max(),
        "total": total_max(),
        "count": count_max(),
        "message": too_large_message(),
        "count_message": _("Attach at most %(count)d files.") % {"count": count_max()},
        "hint": _("Photos (JPEG, PNG, GIF, WebP) or PDF, up to %(each)s each, %(total)s in all.")
        % {"each": filesizeformat(file_max()), "total": filesizeformat(total_max())},
    }
    return {"form": form, "limits": limits, "retention_years": retention_years(), **extra}


def _drain(request: HttpRequest, length: int) -> None:
    """Read at most ``DRAIN_MAX`` of a refused body without keeping it; the answer then
    closes the connection (``_too_large``), so nothing more is read."""
    left = min(length, DRAIN_MAX)
    stream = request._stream  # the unread WSGI input
    while left > 0:
        chunk = stream.read(min(left, 1 << 16))
        if not chunk:
            break
        left -= len(chunk)


def _body_too_large(request: HttpRequest) -> bool:
    """Whether the request body is over what a form of the portal may send; if so at
    most ``DRAIN_MAX`` of it is read, unparsed."""
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > body_max():
        _drain(request, length)
        return True
    return False


def _too_large(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    """The 413 answer, telling the client the connection closes (the rest of the body
    is never read). wsgiref's server (runserver, the tests' live server) refuses that
    header from an application and closes by itself, so it is not sent there."""
    response.status_code = 413
    if not str(request.META.get("SERVER_SOFTWARE", "")).startswith("WSGIServer/"):
        response["Connection"] = "close"
    return response


@csrf_exempt  # checked below, once the size is known (a refused body is never parsed)
def complaint_new(request: HttpRequest) -> HttpResponse:
    """The complaint form (GET) and its submission (POST)."""
    plan, closed = portal_plan()
    if plan is None:
        return render(request, "portal/form.html", {"closed": closed})
    if request.method == "POST":
        if _body_too_large(request):
            context = _form_context(FilingForm(plan=plan), too_large=too_large_message())
            return _too_large(request, render(request, "portal/form.html", context))
        return _complaint_post(request, plan)
    return render(request, "portal/form.html", _form_context(FilingForm(plan=plan)))


def _anti_abuse_check(form: FilingForm) -> None:
    """The proof of work when the browser ran it, else the picture's answer (checked
    by the form's captcha field), else neither: refused."""
    payload = form.altcha_payload
    if payload:
        try:
            payload_verify(payload)
        except InvalidInput as exc:
            form.add_error("captcha", exc.detail)  # shown in the check's own section
    elif not form.captcha_answered:
        form.add_error("captcha", _("Complete the check that you are not a robot."))


@csrf_protect
def _complaint_post(request: HttpRequest, plan) -> HttpResponse:
    address = client_bucket(request)
    form = FilingForm(request.POST, request.FILES, plan=plan)
    try:
        rate_hit(rate("form_post_address"), address)
    except Throttled as exc:
        return _too_many(request, "portal/form.html", _form_context(form), exc)
    form.is_valid()
    if form.honeypot_filled:
        # Answered like any refusal, and nothing is stored: a fake success would mislead
        # a real person whose browser filled the hidden field.
        form.add_error(
            None, _("The form could not be accepted. Please check it and send it again.")
        )
        return render(request, "portal/form.html", _form_context(form), status=422)
    _anti_abuse_check(form)
    files = request.FILES.getlist("attachments")
    checked = uploads_check((f.name or "", f) for f in files)
    for message in checked.errors:
        form.add_error("attachments", message)
    if form.errors:
        return render(request, "portal/form.html", _form_context(form), status=422)
    data = form.cleaned_data
    filing = Filing(
        category=data["category"],
        title=data["title"],
        description=data["description"],
        demand=data["demand"],
        name=data["name"],
        phone=data["phone"],
        email=data["email"],
        occurred_at=data["occurred_at"],
        occurred_place=data["occurred_place"],
        merchant=data["merchant"],
        product=data["product"],
        amount_involved=data["amount_involved"],
    )
    try:
        complaint = complaint_file(filing=filing, attachments=checked.uploads, address=address)
    except Throttled as exc:
        return _too_many(request, "portal/form.html", _form_context(form), exc)
    except (InvalidInput, Conflict) as exc:
        form.add_service_errors(exc.field_errors)
        if not form.errors:
            form.add_error(None, exc.detail)
        return render(request, "portal/form.html", _form_context(form), status=exc.status)
    access.session_grant(request.session, complaint.tracking_no)
    request.session[RECEIPT_KEY] = {
        "tracking_no": complaint.tracking_no,
        "code": complaint.access_code,  # type: ignore[attr-defined]
    }
    return redirect("portal:done")


@require_GET
def complaint_done(request: HttpRequest) -> HttpResponse:
    """The tracking number and the access code, shown once."""
    receipt = request.session.pop(RECEIPT_KEY, None)
    return render(request, "portal/done.html", {"receipt": receipt})


@require_GET
def challenge(request: HttpRequest) -> JsonResponse:
    """A fresh proof-of-work challenge for the widget."""
    return JsonResponse(challenge_new())


@require_GET
def captcha_image(request: HttpRequest, key: str) -> HttpResponse:
    return captcha_image_view(request, key, scale=1)


def track(request: HttpRequest) -> HttpResponse:
    """Open a complaint by tracking number and code, or ask for a one-time code."""
    form = TrackForm(request.POST or None, initial={"tracking_no": request.GET.get("no", "")})
    if request.method != "POST":
        return render(request, "portal/track.html", {"form": form})
    if not form.is_valid():
        return render(request, "portal/track.html", {"form": form}, status=422)
    address = client_bucket(request)
    number = access.tracking_no_normalise(form.cleaned_data["tracking_no"])
    if "send_code" in request.POST:
        try:
            access.code_send(tracking_no=number, address=address)
        except Throttled as exc:
            return _too_many(request, "portal/track.html", {"form": form}, exc)
        context = {
            "form": TrackForm(initial={"tracking_no": number}),
            "code_sent": _(
                "If the number is right, a one-time code is on its way to the mobile number "
                "or email address given with the complaint. It is valid for %(minutes)d "
                "minutes."
            )
            % {"minutes": access.code_minutes()},
        }
        return render(request, "portal/track.html", context)
    return _open(request, number, form.cleaned_data["code"], form)


def _open(request: HttpRequest, number: str, code: str, form: TrackForm) -> HttpResponse:
    try:
        complaint = access.complaint_open(
            tracking_no=number, code=code, address=client_bucket(request)
        )
    except Throttled as exc:
        return _too_many(request, "portal/track.html", {"form": form}, exc)
    except NotFound as exc:
        form.add_error("code", exc.detail)
        return render(request, "portal/track.html", {"form": form}, status=404)
    access.session_grant(request.session, complaint.tracking_no)
    return redirect("portal:case", tracking_no=complaint.tracking_no)


def case(request: HttpRequest, tracking_no: str) -> HttpResponse:
    """The tracking page of one complaint (opened in this session), or the receipt
    link ``?code=…`` that opens it."""
    code = request.GET.get("code", "")
    if code:
        form = TrackForm({"tracking_no": tracking_no})
        form.is_valid()
        return _open(request, tracking_no, code, form)
    try:
        complaint = access.session_complaint(request.session, tracking_no)
    except NotFound:
        form = TrackForm(initial={"tracking_no": tracking_no})
        return render(request, "portal/track.html", {"form": form})
    return render(request, "portal/case.html", case_context(complaint))


@require_POST
def case_close(request: HttpRequest, tracking_no: str) -> HttpResponse:
    """Close the complaint in this browser (a shared computer)."""
    cases = dict(request.session.get(access.SESSION_KEY) or {})
    cases.pop(access.tracking_no_normalise(tracking_no), None)
    request.session[access.SESSION_KEY] = cases
    return redirect("portal:track")


def _action_spec(complaint: Complaint, key: str):
    """The action ``key`` as the complainant is offered it now, or as the plan defines
    it elsewhere (the engine then says why not now)."""
    for action in complainant_actions(complaint):
        if action.key == key:
            return action
    spec = complaint.plan.action_anywhere(key) if complaint.plan_revision_id else None
    if spec is None or "complainant" not in spec.by:
        return None
    return AvailableAction(
        key=spec.key,
        type=spec.type.value,
        label=spec.label,
        requires=list(spec.requires),
        to=spec.to,
    )


@csrf_exempt  # checked below, once the size is known (a refused body is never parsed)
@require_POST
def case_act(request: HttpRequest, tracking_no: str, action: str) -> HttpResponse:
    """One action of the complainant (add material, rate, appeal, withdraw)."""
    try:
        complaint = access.session_complaint(request.session, tracking_no)
    except NotFound:
        return redirect(f"{reverse('portal:track')}?{urlencode({'no': tracking_no})}")
    if _body_too_large(request):
        messages.error(request, too_large_message())
        context = case_context(complaint)
        return _too_large(request, render(request, "portal/case.html", context))
    return _case_act(request, complaint, action)


@csrf_protect
def _case_act(request: HttpRequest, complaint: Complaint, action: str) -> HttpResponse:
    available = _action_spec(complaint, action)
    if available is None:
        messages.error(request, _("This is not something you can do on the complaint."))
        return redirect("portal:case", tracking_no=complaint.tracking_no)
    form = ComplainantActionForm(request.POST, request.FILES, action=available, plan=complaint.plan)
    status = 422
    if form.is_valid():
        files = request.FILES.getlist(f"{available.key}-attachments")
        checked = uploads_check((f.name or "", f) for f in files)
        for message in checked.errors:
            form.add_error("attachments", message)
        if not checked.errors:
            try:
                complainant_act(
                    complaint=complaint,
                    action=available.key,
                    data=form.data_for_service(),
                    version=form.cleaned_data.get("version"),
                    uploads=checked.uploads,
                    address=client_bucket(request),
                )
            except Throttled as exc:
                complaint.refresh_from_db()
                context = case_context(complaint, failed=form)
                return _too_many(request, "portal/case.html", context, exc)
            except (InvalidInput, Conflict, NotAllowed) as exc:
                form.add_refusal(exc)
                status = exc.status
            else:
                messages.success(request, _("Done: %(label)s.") % {"label": available.label})
                return redirect("portal:case", tracking_no=complaint.tracking_no)
    complaint.refresh_from_db()
    return render(request, "portal/case.html", case_context(complaint, failed=form), status=status)
