"""Callbacks: when a complaint a source delivered is replied to or closed, the source is
told through the outbox — the handling time, the process, the method and the result in
one JSON document (docs/inbound-api.md), signed with the source's secret.

``complaint_changed`` hears every change of a complaint (``complaints.hooks``) inside the
transaction of that change, so the callback is queued with the change or not at all.
Each reply and each closing is told once: the key of the message is the moment of that
reply or of entering the closed stage, which later actions in the same stage keep (a
satisfaction rating given after closing tells the closing again, with the rating).
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.utils.translation import gettext as _
from django.utils.translation import override

from tousu.complaints.choices import Status
from tousu.complaints.models import Complaint
from tousu.complaints.presenters import value_label
from tousu.inbound.choices import CallbackEvent
from tousu.inbound.models import InboundDelivery, InboundSource
from tousu.inbound.selectors import (
    closed_at,
    complaint_delivery,
    complaint_progress,
    local,
    replied_at,
    stage_label,
    status_label,
    working_days_between,
)
from tousu.notifications.choices import Channel
from tousu.notifications.services import notify_address

# For now the generic JSON webhook: the document travels, unsigned, as the ``text`` of
# its body. The channel that posts the document as it is, signed with the source's
# secret (docs/inbound-api.md), belongs to notifications and replaces it there.
CALLBACK_CHANNEL = Channel.CALLBACK
EVENTS = {Status.REPLIED: CallbackEvent.REPLIED, Status.CLOSED: CallbackEvent.CLOSED}


def _event_moment(complaint: Complaint, event: str) -> datetime | None:
    """When the event happened: the latest reply, or entering the closed stage."""
    anchors = (complaint.workflow or {}).get("anchors") or {}
    entered = anchors.get("stage_entered")
    entered_at = datetime.fromisoformat(entered) if entered else None
    if event == CallbackEvent.REPLIED:
        return replied_at(complaint) or entered_at
    return closed_at(complaint) or entered_at


def callback_payload(
    *, source: InboundSource, delivery: InboundDelivery, complaint: Complaint, event: str
) -> dict[str, Any]:
    """The callback document (see docs/inbound-api.md), in the organisation's language."""
    with override(settings.LANGUAGE_CODE):
        progress = complaint_progress(complaint)
        received = complaint.received_at
        replied = replied_at(complaint)
        closed = closed_at(complaint) if event == CallbackEvent.CLOSED else None
        until = (closed if event == CallbackEvent.CLOSED else replied) or _event_moment(
            complaint, event
        )
        hours = working_days = None
        if until is not None:
            hours = round((until - received).total_seconds() / 3600, 1)
            working_days = working_days_between(received, until)
        rating = progress.satisfaction or complaint.satisfaction
        satisfaction = None
        if rating:
            satisfaction = {"key": rating, "label": value_label("satisfaction", rating)}
        return {
            "event": event,
            "source": source.key,
            "tracking_no": complaint.tracking_no,
            "external_id": delivery.external_id,
            "status": complaint.status,
            "status_label": status_label(complaint),
            "stage": stage_label(complaint),
            "handling_time": {
                "received_at": local(received),
                "replied_at": local(replied),
                "closed_at": local(closed),
                "hours": hours,
                "working_days": working_days,
            },
            "process": progress.steps,
            "method": progress.measures,
            "result": progress.reply or progress.ending,
            "satisfaction": satisfaction,
        }


def callback_queue(
    *, source: InboundSource, complaint: Complaint, key: str, payload: dict, now: datetime
) -> bool:
    """Put the callback in the outbox (inside the caller's transaction); the same ``key``
    again adds nothing. True when it was queued now."""
    with override(settings.LANGUAGE_CODE):
        subject = _("Result of complaint %(tracking_no)s sent to %(source)s") % {
            "tracking_no": complaint.tracking_no,
            "source": source.name,
        }
    queued = notify_address(
        key=key,
        channel=CALLBACK_CHANNEL,
        address=source.callback_url,
        secret=source.secret,
        subject=subject,
        # Times as the API gives them (ISO 8601, milliseconds, +08:00).
        body=json.dumps(payload, ensure_ascii=False, cls=DjangoJSONEncoder),
        complaint=complaint,
        now=now,
    )
    return queued > 0


def complaint_changed(*, complaint: Any, what: str, actor: Any, now: datetime) -> None:
    """The hook: a complaint a source delivered is now replied to or closed — queue its
    callback once per reply and once per closing."""
    event = EVENTS.get(complaint.status)
    if what != "changed" or event is None:
        return  # no query for the many changes that are neither
    delivery = complaint_delivery(complaint)
    if delivery is None:
        return
    source = delivery.source
    if not (source.is_active and source.callback_url):
        return
    moment = _event_moment(complaint, event) or now
    key = f"inbound:{source.pk}:{complaint.pk}:{event}:{moment.isoformat()}"
    payload = callback_payload(source=source, delivery=delivery, complaint=complaint, event=event)
    if event == CallbackEvent.CLOSED and payload["satisfaction"]:
        # A rating given after closing (the follow-up visit) is told again, with it.
        key += f":{payload['satisfaction']['key']}"
    callback_queue(source=source, complaint=complaint, key=key, payload=payload, now=now)
