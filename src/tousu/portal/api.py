"""Public portal endpoints of /api/v1/ (no staff login): the JSON twin of /portal/ for
mini-programs and partner sites.

Filing needs the solved proof of work (``altcha``, from ``GET challenge``) — the API's
anti-abuse, as on the page, with the same rate limits per client address and per phone
number. ``POST track`` exchanges the tracking number and code for a short-lived token
(``Authorization: Bearer <token>``) for the case and its actions. Errors are
``application/problem+json`` naming the field; over a rate limit, 429 with
``Retry-After``.
"""

from __future__ import annotations

import base64
import binascii
import io
import json

from django.http import HttpRequest, HttpResponse
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import Router, Status

from tousu.complaints.models import Complaint
from tousu.complaints.public import satisfaction_label
from tousu.complaints.schemas import Problem
from tousu.core.problems import InvalidInput
from tousu.portal import access
from tousu.portal.presenters import case_context, stage_label
from tousu.portal.proof_of_work import challenge_new, payload_verify
from tousu.portal.schemas import (
    ActIn,
    CaseOut,
    CodeIn,
    Detail,
    FiledOut,
    FileIn,
    FilingIn,
    TokenOut,
    TrackIn,
)
from tousu.portal.services import ACTION_FIELDS, Filing, complainant_act, complaint_file
from tousu.portal.throttle import Throttled, client_bucket, rate, rate_hit
from tousu.portal.uploads import api_total_max, uploads_check

router = Router(tags=["portal"], auth=None)
ERRORS = {403: Problem, 404: Problem, 409: Problem, 413: Problem, 422: Problem, 429: Problem}


class TooLarge(InvalidInput):
    """The attachments of a JSON body are over the API's limit (413, naming them)."""

    status = 413
    title = "Payload too large"


# Service paths → the API's field names.
FIELDS = {"complainant.name": "name", "complainant.phone": "phone", "complainant.email": "email"}


def too_many(exc: Throttled) -> HttpResponse:
    body = {"type": "about:blank", "title": exc.title, "status": 429, "detail": str(exc.detail)}
    response = HttpResponse(
        json.dumps(body, ensure_ascii=False), status=429, content_type="application/problem+json"
    )
    response["Retry-After"] = str(exc.retry_after)
    return response


def _renamed(exc: InvalidInput) -> InvalidInput:
    fields: dict[str, list[str]] = {}
    for path, messages in exc.field_errors.items():
        fields.setdefault(FIELDS.get(path, path), []).extend(messages)
    return InvalidInput(exc.detail, field_errors=fields)


def _files(items: list[FileIn]):
    """Decode the base64 files and check them as the page does (type by bytes, sizes);
    together at most ``api_total_max()`` (a JSON body is capped lower than a form's)."""
    decoded, errors = [], {}
    encoded = sum(len(item.content_base64) for item in items)
    if encoded * 3 // 4 > api_total_max():
        message = _(
            "Through the API, attachments may be at most %(total)s together. "
            "Send fewer or smaller files."
        ) % {"total": filesizeformat(api_total_max())}
        raise TooLarge(message, field_errors={"attachments": [message]})
    for index, item in enumerate(items):
        try:
            data = base64.b64decode(item.content_base64, validate=True)
        except (binascii.Error, ValueError):
            errors[f"attachments.{index}"] = [_("Not valid base64.")]
            continue
        decoded.append((item.name, io.BytesIO(data)))
    if errors:
        raise InvalidInput(_("Some files cannot be read."), field_errors=errors)
    checked = uploads_check(decoded)
    if checked.errors:
        raise InvalidInput(checked.errors[0], field_errors={"attachments": checked.errors})
    return checked.uploads


@router.get("/challenge", response=dict, summary="A proof-of-work challenge (ALTCHA)")
def challenge(request: HttpRequest):
    return challenge_new()


@router.post(
    "/complaints",
    response={201: FiledOut, **ERRORS},
    summary="File a complaint (the solved challenge is required)",
)
def complaint_new(request: HttpRequest, payload: FilingIn):
    address = client_bucket(request)
    try:
        rate_hit(rate("form_post_address"), address)
        if not payload.privacy_accepted:
            message = _("Please read and accept the privacy notice.")
            raise InvalidInput(message, field_errors={"privacy_accepted": [message]})
        payload_verify(payload.altcha)
        uploads = _files(payload.attachments)
        complaint = complaint_file(
            filing=Filing(
                category=payload.category,
                title=payload.title,
                description=payload.description,
                demand=payload.demand,
                name=payload.name,
                phone=payload.phone,
                email=payload.email,
                occurred_at=payload.occurred_at,
                occurred_place=payload.occurred_place,
                merchant=payload.merchant,
                product=payload.product,
                amount_involved=payload.amount_involved,
            ),
            attachments=uploads,
            address=address,
        )
    except Throttled as exc:
        return too_many(exc)
    except TooLarge:
        raise
    except InvalidInput as exc:
        raise _renamed(exc) from exc
    return Status(
        201,
        {
            "tracking_no": complaint.tracking_no,
            "access_code": complaint.access_code,  # type: ignore[attr-defined]
            "stage_label": stage_label(complaint),
            "track_url": request.build_absolute_uri(
                reverse("portal:case", args=[complaint.tracking_no])
            ),
        },
    )


@router.post("/track", response={200: TokenOut, **ERRORS}, summary="Open a complaint")
def track(request: HttpRequest, payload: TrackIn):
    try:
        complaint = access.complaint_open(
            tracking_no=payload.tracking_no, code=payload.code, address=client_bucket(request)
        )
    except Throttled as exc:
        return too_many(exc)
    return {
        "token": access.token_issue(complaint),
        "expires_in": access.access_minutes() * 60,
        "tracking_no": complaint.tracking_no,
    }


@router.post(
    "/track/code",
    response={202: Detail, **ERRORS},
    summary="Send a one-time code to the phone or email on record",
)
def code_send(request: HttpRequest, payload: CodeIn):
    try:
        access.code_send(tracking_no=payload.tracking_no, address=client_bucket(request))
    except Throttled as exc:
        return too_many(exc)
    detail = _(
        "If the number is right, a one-time code is on its way to the mobile number or email "
        "address given with the complaint."
    )
    return Status(202, {"detail": detail})


def _bearer(request: HttpRequest) -> Complaint:
    header = request.headers.get("Authorization", "")
    scheme, _space, token = header.partition(" ")
    return access.token_complaint(token.strip() if scheme.lower() == "bearer" else "")


def _case(complaint: Complaint) -> dict:
    context = case_context(complaint)
    reply = context["reply"]
    actions = []
    for form in context["action_forms"]:
        fields = list(ACTION_FIELDS.get(form.action.type, ("note",)))
        if form.action.type == "add_material":
            fields.append("attachments")
        choices = []
        if "satisfaction" in form.fields:
            choices = [
                {"value": value, "label": str(label)}
                for value, label in form.fields["satisfaction"].choices
            ]
        actions.append(
            {
                "key": form.action.key,
                "type": form.action.type,
                "label": form.action.label,
                "fields": fields,
                "choices": choices,
            }
        )
    return {
        "tracking_no": complaint.tracking_no,
        "title": complaint.title,
        "category": complaint.category.name,
        "received_at": complaint.received_at,
        "stage_label": context["stage"],
        "closed": context["terminal"],
        "version": complaint.version,
        "satisfaction": satisfaction_label(complaint.satisfaction),
        "reply": reply.reply if reply else "",
        "replied_at": reply.at if reply else None,
        "timeline": [
            {
                "at": entry.at,
                "title": entry.title,
                "who": entry.who,
                "stage": entry.stage,
                "texts": [{"label": label, "text": text} for label, text in entry.texts],
            }
            for entry in reversed(context["timeline"])
        ],
        "actions": actions,
    }


BEARER = "Send the token of `POST track` as `Authorization: Bearer <token>`."


@router.get(
    "/case",
    response={200: CaseOut, **ERRORS},
    summary="The opened complaint: status, public timeline, reply, what may be done now",
    description=BEARER,
)
def case(request: HttpRequest):
    return _case(_bearer(request))


@router.post(
    "/case/actions/{key}",
    response={200: CaseOut, **ERRORS},
    summary="Act on the opened complaint: add material, rate, appeal, withdraw",
    description=BEARER + " `key` is an action `key` of GET case; the engine decides whether "
    "it may be done now (409 with its reason otherwise).",
)
def case_act(request: HttpRequest, key: str, payload: ActIn):
    complaint = _bearer(request)
    try:
        uploads = _files(payload.attachments)
        complainant_act(
            complaint=complaint,
            action=key,
            data={
                "satisfaction": payload.satisfaction,
                "note": payload.note,
                "reason": payload.reason,
                "material": payload.material,
            },
            version=payload.version,
            uploads=uploads,
            address=client_bucket(request),
        )
    except Throttled as exc:
        return too_many(exc)
    complaint.refresh_from_db()
    return _case(complaint)
