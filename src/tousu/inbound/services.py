"""Writes of the inbound API: the deliveries sources make (sources themselves are
written by ``inbound.sources``).

A delivery (a new complaint, or material for one) is written in one transaction with
its ``InboundDelivery`` row, whose unique (source, idempotency key) makes a retried
delivery — also one arriving at the same moment as the first — answer with the first
one's result instead of making a second complaint.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import io
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tousu.complaints.attachments import AttachmentUpload
from tousu.complaints.checks import ComplainantData
from tousu.complaints.evidence import material_add
from tousu.complaints.models import Complaint
from tousu.complaints.services import complaint_register
from tousu.core.actors import INBOUND, ComplainantActor
from tousu.core.problems import InvalidInput, ServiceError
from tousu.inbound.choices import DeliveryKind
from tousu.inbound.models import InboundDelivery, InboundSource
from tousu.inbound.schemas import InboundAttachment, InboundComplaint, InboundMaterial
from tousu.inbound.selectors import local, source_complaint_get, stage_label, status_label
from tousu.inbound.signatures import IDEMPOTENCY_HEADER
from tousu.notifications.messages import portal_url

_IDEMPOTENCY_KEY = re.compile(r"[\x21-\x7e]{1,200}")


@dataclass(frozen=True)
class Answer:
    """What the API sends back: the status and body, and whether it is the first
    answer given again (``Idempotent-Replayed``)."""

    status: int
    body: dict[str, Any]
    replayed: bool = False


def idempotency_key_check(value: str | None) -> str:
    """The request's ``Idempotency-Key``; a 400 naming the header when missing or bad."""
    if not value:
        message = _(
            "The request has no %(header)s header: give every delivery a key of its own and "
            "send the same key with each retry."
        ) % {"header": IDEMPOTENCY_HEADER}
        raise ServiceError(message, field_errors={IDEMPOTENCY_HEADER: [message]})
    if not _IDEMPOTENCY_KEY.fullmatch(value):
        message = _("%(header)s must be 1 to 200 visible ASCII characters.") % {
            "header": IDEMPOTENCY_HEADER
        }
        raise ServiceError(message, field_errors={IDEMPOTENCY_HEADER: [message]})
    return value


def body_digest(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def _replay(row: InboundDelivery, kind: str, digest: str) -> Answer:
    """The first answer to this key, when this delivery is the same as the first."""
    if row.kind != kind or not hmac.compare_digest(row.body_sha256, digest):
        message = _(
            "This %(header)s was used for another delivery with a different body: use a new "
            "key for a new delivery."
        ) % {"header": IDEMPOTENCY_HEADER}
        raise InvalidInput(message, field_errors={IDEMPOTENCY_HEADER: [message]})
    return Answer(status=200, body=json.loads(row.response), replayed=True)


def delivery_earlier(
    *, source: InboundSource, idempotency_key: str, kind: str, digest: str
) -> Answer | None:
    """The first answer when this key was used before (``InvalidInput`` naming the key
    when that delivery had another body); None for a new key."""
    row = InboundDelivery.objects.filter(source=source, idempotency_key=idempotency_key).first()
    return None if row is None else _replay(row, kind, digest)


def _uploads(attachments: list[InboundAttachment]) -> list[AttachmentUpload]:
    uploads: list[AttachmentUpload] = []
    errors: dict[str, list[str]] = {}
    for index, attachment in enumerate(attachments):
        try:
            data = base64.b64decode(attachment.content_base64, validate=True)
        except (binascii.Error, ValueError):
            errors[f"attachments.{index}.content_base64"] = [_("Not valid base64.")]
            continue
        uploads.append(AttachmentUpload.from_file(attachment.name, io.BytesIO(data)))
    if errors:
        raise InvalidInput(_("Some fields are not valid."), field_errors=errors)
    return uploads


def _aware(moment: datetime | None) -> datetime | None:
    """A time without an offset is Beijing time."""
    if moment is not None and timezone.is_naive(moment):
        return timezone.make_aware(moment)
    return moment


def _complaint_answer(complaint: Complaint, *, external_id: str, code: str = "") -> dict[str, Any]:
    body: dict[str, Any] = {
        "tracking_no": complaint.tracking_no,
        "external_id": external_id,
        "status": complaint.status,
        "status_label": status_label(complaint),
        "stage": stage_label(complaint),
        "received_at": local(complaint.received_at).isoformat(),  # type: ignore[union-attr]
    }
    if code:
        body["access_code"] = code
        body["track_url"] = portal_url(complaint.tracking_no, code)
    return body


def _deliver_once(
    *,
    source: InboundSource,
    idempotency_key: str,
    kind: str,
    digest: str,
    write: Callable[[InboundDelivery], dict[str, Any]],
) -> Answer:
    """Run ``write(delivery)`` (which returns the answer's body) in one transaction with
    the delivery's row; when the same key was committed meanwhile by a delivery arriving
    at once, all of it is undone and the first one's answer is given."""
    try:
        with transaction.atomic():
            # The row first: a second delivery with this key waits here for the first.
            delivery = InboundDelivery.objects.create(
                source=source,
                idempotency_key=idempotency_key,
                kind=kind,
                body_sha256=digest,
                created_at=timezone.now(),
            )
            body = write(delivery)
            delivery.response = json.dumps(body, ensure_ascii=False)
            delivery.save(update_fields=["complaint", "external_id", "response"])
    except IntegrityError:
        first = InboundDelivery.objects.filter(
            source=source, idempotency_key=idempotency_key
        ).first()
        if first is None:
            raise
        return _replay(first, kind, digest)
    return Answer(status=201, body=body)


def complaint_deliver(
    *, source: InboundSource, idempotency_key: str, digest: str, data: InboundComplaint
) -> Answer:
    """Register the complaint ``source`` hands over (through the source's channel, by the
    ``api`` door: no staff first contact) and answer with its tracking number and
    access code. ``InvalidInput`` names each bad field; nothing is written then. The
    complainant's receipt goes through the outbox as for every door."""
    uploads = _uploads(data.attachments)
    person = data.complainant

    def write(delivery: InboundDelivery) -> dict[str, Any]:
        complaint = complaint_register(
            actor=INBOUND,
            channel=source.channel,
            title=data.title,
            description=data.description,
            category=data.category,
            complainant=ComplainantData(
                name=person.name, phone=person.phone, email=person.email, address=person.address
            ),
            occurred_at=_aware(data.occurred_at),
            occurred_place=data.occurred_place,
            merchant=data.merchant,
            product=data.product,
            amount_involved=data.amount_involved,
            received_at=_aware(data.received_at),
            attachments=uploads,
        )
        delivery.complaint, delivery.external_id = complaint, data.external_id
        return _complaint_answer(
            complaint, external_id=data.external_id, code=getattr(complaint, "access_code", "")
        )

    return _deliver_once(
        source=source,
        idempotency_key=idempotency_key,
        kind=DeliveryKind.COMPLAINT,
        digest=digest,
        write=write,
    )


def material_deliver(
    *,
    source: InboundSource,
    idempotency_key: str,
    digest: str,
    tracking_no: str,
    data: InboundMaterial,
) -> Answer:
    """Add the complainant's material to a complaint ``source`` delivered (the plan's
    ``add_material`` action, with the complainant as actor). ``NotFound`` for any other
    complaint; the plan refuses (409) where the complainant may not add material."""
    first = source_complaint_get(source=source, tracking_no=tracking_no)
    uploads = _uploads(data.attachments)

    def write(delivery: InboundDelivery) -> dict[str, Any]:
        # Read afresh inside the transaction: the version is the one the action needs.
        complaint = Complaint.objects.select_related("plan_revision__plan").get(
            inbound_deliveries=first
        )
        complaint = material_add(
            complaint=complaint,
            actor=ComplainantActor(complainant_id=complaint.complainant_id),
            material=data.material,
            uploads=uploads,
        )
        delivery.complaint, delivery.external_id = complaint, first.external_id
        return _complaint_answer(complaint, external_id=first.external_id)

    return _deliver_once(
        source=source,
        idempotency_key=idempotency_key,
        kind=DeliveryKind.MATERIAL,
        digest=digest,
        write=write,
    )
