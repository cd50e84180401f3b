"""The notification outbox: queueing (inside the caller's transaction), claiming due
rows without two workers taking the same one, delivering with retries and backoff."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q, prefetch_related_objects
from django.utils import timezone
from django.utils.translation import gettext as _

from tousu.accounts.models import User
from tousu.audit.inserts import objects_insert
from tousu.core.problems import InvalidInput
from tousu.notifications.channels import DeliveryError, deliver
from tousu.notifications.choices import WEBHOOK_CHANNELS, Channel, DeliveryStatus
from tousu.notifications.messages import (
    COMPLAINANT,
    STAFF,
    incident_message_render,
    message_render,
)
from tousu.notifications.models import Notification, UserChannel
from tousu.notifications.outbound import OutboundRefused, outbound_check

log = logging.getLogger(__name__)
LEASE = timedelta(minutes=5)

# ``complaint`` below is a ``tousu.complaints.models.Complaint``: the complaints app sits
# above this one, so the import contract keeps its model from being named here, and the
# ``Notification`` constructor accepts nothing less than that model (so not a protocol).


def _rows_for_user(
    user: User,
    *,
    key: str,
    subject: str,
    body: str,
    complaint: Any,
    now: datetime,
    incident: Any = None,
) -> list[Notification]:
    rows = [
        Notification(
            key=f"{key}:u{user.pk}:in_app",
            channel=Channel.IN_APP,
            recipient=user,
            subject=subject,
            body=body,
            complaint=complaint,
            incident=incident,
            status=DeliveryStatus.DELIVERED,
            delivered_at=now,
            created_at=now,
            next_attempt_at=now,
        )
    ]
    chosen = {c.channel: c for c in user.notification_channels.all()}
    if Channel.EMAIL not in chosen and user.email:
        chosen[Channel.EMAIL] = UserChannel(channel=Channel.EMAIL, address=user.email)
    for channel, setting in chosen.items():
        if not setting.enabled or channel == Channel.IN_APP:
            continue
        rows.append(
            Notification(
                key=f"{key}:u{user.pk}:{channel}",
                channel=channel,
                recipient=user,
                address=setting.address,
                secret=setting.secret,
                subject=subject,
                body=body,
                complaint=complaint,
                incident=incident,
                created_at=now,
                next_attempt_at=now,
            )
        )
    return rows


def _insert_new(rows: list[Notification]) -> int:
    """Insert the rows whose key is new (one statement; a key queued before, even by a
    concurrent writer, is skipped by the database); returns how many were queued."""
    return objects_insert(rows, ignore_conflicts=True)


def notify_users(
    *,
    users: Iterable[User],
    key: str,
    complaint: Any,
    event: str,
    can_see: Callable[[User], bool],
    now: datetime | None = None,
    incident: Any = None,
    **extra: object,
) -> int:
    """Queue ``event``'s message for each user on each of their channels.

    The subject is ``complaint`` or, for an emergency response's messages, ``incident``
    (``complaint`` None then).

    ``can_see`` is the visibility gate of the message's subject: a user it refuses is
    neither sent the message nor named in it. Call it inside the transaction of the
    change that causes it. ``key`` names the cause (e.g. ``deadline:12:breach``):
    queueing the same cause again adds nothing.
    """
    now = now or timezone.now()
    allowed = [u for u in {u.pk: u for u in users if u.is_active}.values() if can_see(u)]
    if not allowed:
        return 0
    if incident is not None:
        subject, body = incident_message_render(incident, event, **extra)
    else:
        subject, body = message_render(complaint, event, audience=STAFF, **extra)
    # Each person's own channels, for all of them in one query.
    prefetch_related_objects(allowed, "notification_channels")
    rows = []
    for user in allowed:
        rows += _rows_for_user(
            user,
            key=key,
            subject=subject,
            body=body,
            complaint=complaint,
            incident=incident,
            now=now,
        )
    return _insert_new(rows)


def notify_staff_notice(
    *, users: Iterable[User], key: str, subject: str, body: str, now: datetime | None = None
) -> int:
    """Queue a notice about no complaint or incident (e.g. a new plan revision in force)
    for each user on each of their channels; the same ``key`` again adds nothing."""
    now = now or timezone.now()
    rows: list[Notification] = []
    for user in {u.pk: u for u in users if u.is_active}.values():
        rows += _rows_for_user(
            user, key=key, subject=subject[:200], body=body, complaint=None, now=now
        )
    return _insert_new(rows) if rows else 0


def notify_complainant(
    *,
    complaint: Any,
    event: str,
    now: datetime | None = None,
    once: str = "",
    **extra: object,
) -> int:
    """Tell the complainant (receipt, reply, closure) by the contact they gave.

    The complaint's version is part of the key: each reply is its own message, and
    queueing the same change again adds nothing. ``once`` tells apart messages of one
    version that are each their own (a one-time code asked for twice)."""
    now = now or timezone.now()
    person = complaint.complainant
    subject, body = message_render(complaint, event, audience=COMPLAINANT, **extra)
    rows = []
    if person.email:
        rows.append((Channel.EMAIL, person.email))
    if person.phone and settings.SMS_WEBHOOK_URL:
        rows.append((Channel.SMS, person.phone))
    objects = [
        Notification(
            key=f"complaint:{complaint.pk}:v{complaint.version}:{event}"
            f"{':' + once if once else ''}:complainant:{channel}",
            channel=channel,
            address=address,
            subject=subject,
            body=body,
            complaint=complaint,
            created_at=now,
            next_attempt_at=now,
        )
        for channel, address in rows
    ]
    return _insert_new(objects)


def notify_address(
    *,
    key: str,
    channel: str,
    address: str,
    subject: str,
    body: str,
    complaint: Any = None,
    secret: str = "",
    now: datetime | None = None,
) -> int:
    """Queue one message to an address that is no staff member's and not (yet) a
    complainant's contact on record: the polite answer to a mail that could not be taken,
    a partner system's signed callback (``Channel.CALLBACK``, ``body`` its JSON). The
    caller decides that the address may be told; ``key`` makes it once."""
    now = now or timezone.now()
    return _insert_new(
        [
            Notification(
                key=key[:200],
                channel=channel,
                address=address,
                secret=secret,
                subject=subject[:200],
                body=body,
                complaint=complaint,
                created_at=now,
                next_attempt_at=now,
            )
        ]
    )


def webhook_address_check(address: str) -> None:
    """Refuse, naming the address field, a webhook Tousu may not post to: not on the
    administrator's allow-list, or internal by name or after DNS (``outbound``). A name
    that does not resolve now is checked again at every delivery."""
    try:
        try:
            outbound_check(address)
        except OSError:
            outbound_check(address, resolve=False)
    except OutboundRefused as exc:
        raise InvalidInput(str(exc), field_errors={"address": [str(exc)]}) from exc


def user_channel_set(
    *, user: User, channel: str, address: str, secret: str = "", enabled: bool = True
) -> UserChannel:
    """Choose where ``user`` is told; webhook URLs must be http(s)."""
    if channel not in Channel.values or channel in (Channel.IN_APP, Channel.SMS, Channel.CALLBACK):
        raise InvalidInput(_("Unknown channel."), field_errors={"channel": [_("Unknown channel.")]})
    if channel in WEBHOOK_CHANNELS:
        webhook_address_check(address)
    if channel == Channel.EMAIL and "@" not in address:
        raise InvalidInput(
            _("Not a valid email address."),
            field_errors={"address": [_("Not a valid email address.")]},
        )
    row, _created = UserChannel.objects.update_or_create(
        user=user,
        channel=channel,
        defaults={"address": address, "secret": secret, "enabled": enabled},
    )
    return row


def _claim(now: datetime, limit: int) -> list[int]:
    """Take up to ``limit`` due rows for this worker; others skip the locked ones."""
    with transaction.atomic():
        due = (
            Notification.objects.filter(
                status__in=[DeliveryStatus.PENDING, DeliveryStatus.DELIVERING],
                next_attempt_at__lte=now,
            )
            .filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now))
            .order_by("next_attempt_at", "pk")
            .select_for_update(skip_locked=True)
            .values_list("pk", flat=True)[:limit]
        )
        ids = list(due)
        Notification.objects.filter(pk__in=ids).update(
            status=DeliveryStatus.DELIVERING, lease_until=now + LEASE, attempts=F("attempts") + 1
        )
    return ids


def _release(ids: list[int], lease: datetime) -> None:
    """Give back claimed rows not tried in this pass: due again at once, for any worker."""
    Notification.objects.filter(
        pk__in=ids, status=DeliveryStatus.DELIVERING, lease_until=lease
    ).update(status=DeliveryStatus.PENDING, lease_until=None, attempts=F("attempts") - 1)


def backoff(attempts: int) -> timedelta:
    """Exponential: base, 2×base, 4×base … capped."""
    seconds = settings.NOTIFICATION_BACKOFF_SECONDS * 2 ** max(attempts - 1, 0)
    return timedelta(seconds=min(seconds, settings.NOTIFICATION_BACKOFF_CAP_SECONDS))


def outbox_deliver(*, now: datetime | None = None, limit: int = 100) -> dict[str, int]:
    """Deliver what is due; returns counts of delivered, retried and dead rows.

    At least once, and twice only after a crash: a row is sent only while this pass
    still holds its claim. The claim covers the whole batch for ``LEASE``, and the batch
    is sent one row at a time, so a pass that has used half its lease (slow servers,
    every call up to its timeout) gives the rest back instead of sending rows another
    worker may take over when the lease ends; a row another worker took over meanwhile
    is left to it. A worker killed mid-send leaves its row claimed until the lease ends;
    then it is sent again, with the same key (``X-Tousu-Key``, the mail's Message-ID)
    for the receiving side to recognise the repeat.
    """
    now = now or timezone.now()
    lease, started = now + LEASE, time.monotonic()
    counts = {"delivered": 0, "retried": 0, "dead": 0}
    claimed = _claim(now, limit)
    for index, pk in enumerate(claimed):
        if time.monotonic() - started > LEASE.total_seconds() / 2:
            _release(claimed[index:], lease)
            break
        row = (
            Notification.objects.select_related("complaint")
            .filter(pk=pk, status=DeliveryStatus.DELIVERING, lease_until=lease)
            .first()
        )
        if row is None:  # another worker took it over after the lease ran out
            continue
        try:
            deliver(row)
        except DeliveryError as exc:
            dead = exc.permanent or row.attempts >= settings.NOTIFICATION_MAX_ATTEMPTS
            Notification.objects.filter(pk=pk, status=DeliveryStatus.DELIVERING).update(
                status=DeliveryStatus.DEAD if dead else DeliveryStatus.PENDING,
                next_attempt_at=now + backoff(row.attempts),
                lease_until=None,
                last_error=str(exc)[:1000],
            )
            counts["dead" if dead else "retried"] += 1
            # The key and channel only: addresses and texts may hold personal data.
            log.warning("notification %s via %s failed: %s", row.pk, row.channel, exc)
            continue
        Notification.objects.filter(pk=pk, status=DeliveryStatus.DELIVERING).update(
            status=DeliveryStatus.DELIVERED, delivered_at=now, lease_until=None, last_error=""
        )
        counts["delivered"] += 1
    return counts


def notification_retry(*, notification: Notification, now: datetime | None = None) -> None:
    """Give a dead notification another round of tries (an operator's decision)."""
    Notification.objects.filter(pk=notification.pk, status=DeliveryStatus.DEAD).update(
        status=DeliveryStatus.PENDING,
        attempts=0,
        next_attempt_at=now or timezone.now(),
        last_error="",
    )


def notification_read(*, user: User, notification_id: int) -> None:
    Notification.objects.filter(pk=notification_id, recipient=user, read_at__isnull=True).update(
        read_at=timezone.now()
    )
