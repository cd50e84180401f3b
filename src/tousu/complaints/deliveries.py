"""What the complainant was told: the messages the outbox holds for them about one
complaint (receipt, acceptance, reply, closure …), with where each went (masked) and
whether it arrived — so staff know what the person has heard."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from tousu.complaints.models import Complaint
from tousu.core.masks import mask_email, mask_phone
from tousu.notifications.choices import Channel, DeliveryStatus
from tousu.notifications.models import Notification

# The kinds of message the complainant gets (the event in the key ``notify_complainant``
# writes: ``complaint:{pk}:v{version}:{event}:complainant:{channel}``).
KINDS = {
    "received": _("Receipt"),
    "accepted": _("Accepted"),
    "refused": _("Not accepted"),
    "transferred": _("Passed to another department"),
    "extended": _("Time limit extended"),
    "appeal_received": _("Appeal received"),
    "review": _("Appeal under review"),
    "reply": _("Reply"),
    "closed": _("Closed"),
    "follow_up": _("Satisfaction visit"),
    "one_time_code": _("One-time code"),
}
# An answer to the sender of an email (the mail door: material added to the complaint).
MAIL_ANSWER = _("Answer to an email")
CHANNELS: dict[str, str | Promise] = {Channel.EMAIL: _("Email"), Channel.SMS: _("SMS")}
STATES = {
    "delivered": _("Delivered"),
    "failed": _("Failed"),
    "retrying": _("Retrying"),
    "sending": _("Sending"),
    "queued": _("Queued"),
}
STATE_COLOURS = {
    "delivered": "success",
    "failed": "danger",
    "retrying": "warning",
    "sending": "info",
    "queued": "secondary",
}
ERROR_LENGTH = 80
# An error text may quote what the far end said; addresses and numbers are masked.
_EMAIL = re.compile(r"[^\s<>@]+@[^\s<>@]+")
_DIGITS = re.compile(r"\d{7,}")


@dataclass(frozen=True)
class Delivery:
    kind: str
    channel: str
    to: str
    created_at: datetime
    state: str
    attempts: int
    delivered_at: datetime | None
    next_attempt_at: datetime | None
    error: str

    @property
    def state_label(self) -> str:
        return str(STATES[self.state])

    @property
    def colour(self) -> str:
        return STATE_COLOURS[self.state]


def _state(row: Notification) -> str:
    if row.status == DeliveryStatus.DELIVERED:
        return "delivered"
    if row.status == DeliveryStatus.DEAD:
        return "failed"
    if row.status == DeliveryStatus.DELIVERING:
        return "sending"
    return "retrying" if row.attempts else "queued"


def _kind(key: str) -> str:
    if key.startswith("mailin:"):
        return str(MAIL_ANSWER)
    parts = key.split(":")
    event = parts[3] if len(parts) > 3 else ""
    return str(KINDS.get(event, _("Message")))


def _masked(channel: str, address: str) -> str:
    if channel == Channel.EMAIL:
        return mask_email(address)
    if channel == Channel.SMS:
        return mask_phone(address)
    return ""


def error_short(text: str) -> str:
    """The first line of a delivery error, short, with addresses and numbers masked."""
    line = next((part.strip() for part in (text or "").splitlines() if part.strip()), "")
    line = _DIGITS.sub(lambda m: mask_phone(m.group()), _EMAIL.sub(_mask_match, line))
    return line if len(line) <= ERROR_LENGTH else line[: ERROR_LENGTH - 1] + "…"


def _mask_match(match: re.Match) -> str:
    return mask_email(match.group())


def complaint_deliveries(complaint: Complaint) -> list[Delivery]:
    """Every message queued for the complainant of ``complaint``, oldest first (one
    query). The caller has passed the complaint's visibility gate."""
    rows = (
        Notification.objects.filter(complaint=complaint, recipient__isnull=True)
        .filter(Q(key__contains=":complainant:") | Q(key__startswith="mailin:"))
        .only(
            "key",
            "channel",
            "address",
            "status",
            "attempts",
            "created_at",
            "delivered_at",
            "next_attempt_at",
            "last_error",
        )
        .order_by("created_at", "pk")
    )
    return [
        Delivery(
            kind=_kind(row.key),
            channel=str(CHANNELS.get(row.channel) or row.get_channel_display()),
            to=_masked(row.channel, row.address),
            created_at=row.created_at,
            state=(state := _state(row)),
            attempts=row.attempts,
            delivered_at=row.delivered_at,
            next_attempt_at=row.next_attempt_at if state == "retrying" else None,
            error=error_short(row.last_error) if state in ("failed", "retrying") else "",
        )
        for row in rows
    ]
