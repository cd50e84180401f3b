"""Appending to and verifying the hash-chained audit log."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import Model
from django.utils import timezone

from tousu.audit.models import AuditEvent, AuditHead
from tousu.core.actors import Actor, actor_by

GENESIS = "0" * 64


def _canonical(value: Any) -> Any:
    """Round-trip through JSON so the stored value hashes the same after reading back."""
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder, ensure_ascii=False))


def event_hash(event: AuditEvent) -> str:
    body = {
        "seq": event.seq,
        "at": event.at.astimezone(UTC).isoformat(timespec="microseconds"),
        "actor": event.actor_id,
        "action": event.action,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "complaint": event.complaint_id,
        "data": event.data,
        "prev": event.prev_hash,
    }
    if event.incident_id is not None:
        # Only when set, so the hashes of events written before incidents existed hold.
        body["incident"] = event.incident_id
    text = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _with_actor(actor: Actor | None, data: dict[str, Any]) -> dict[str, Any]:
    """A complainant's or the system's act carries ``by`` (the timeline says who)."""
    by = actor_by(actor)
    return {"by": by, **data} if by and "by" not in data else data


def audit_record(
    *,
    actor: Actor | None,
    action: str,
    object_type: str,
    object_id: str,
    complaint: Model | None = None,
    incident: Model | None = None,
    data: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one event to the chain, inside the caller's transaction.

    ``complaint`` and ``incident`` (at most one) put the event on that subject's
    timeline; they are typed ``Model`` because the audit app sits below both.

    Locks the chain head, so appends are serialised; call it last in a service, after the
    change it records, to keep the lock short.
    """
    with transaction.atomic():
        head, _ = AuditHead.objects.select_for_update().get_or_create(pk=1)
        event = AuditEvent(
            seq=head.last_seq + 1,
            at=timezone.now(),
            actor_id=getattr(actor, "pk", None),
            action=action,
            object_type=object_type,
            object_id=object_id,
            complaint_id=getattr(complaint, "pk", None),
            incident_id=getattr(incident, "pk", None),
            data=_canonical(_with_actor(actor, data or {})),
            prev_hash=head.last_hash,
        )
        event.hash = event_hash(event)
        event.save()
        AuditHead.objects.filter(pk=1).update(last_seq=event.seq, last_hash=event.hash)
    return event


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    checked: int
    bad_seq: int | None = None
    reason: str = ""


def audit_verify(*, batch: int = 2000) -> ChainReport:
    """Walk the whole chain; report the first event that breaks it."""
    expected_seq, expected_prev, checked = 1, GENESIS, 0
    for event in AuditEvent.objects.order_by("seq").iterator(chunk_size=batch):
        if event.seq != expected_seq:
            return ChainReport(
                False, checked, expected_seq, f"event #{expected_seq} is missing (deleted)"
            )
        if event.prev_hash != expected_prev:
            return ChainReport(
                False,
                checked,
                event.seq,
                f"event #{event.seq} does not link to event #{event.seq - 1}",
            )
        if event_hash(event) != event.hash:
            return ChainReport(
                False, checked, event.seq, f"event #{event.seq} was changed after it was written"
            )
        expected_seq, expected_prev = event.seq + 1, event.hash
        checked += 1
    head = AuditHead.objects.filter(pk=1).first()
    last_seq, last_hash = (head.last_seq, head.last_hash) if head else (0, GENESIS)
    if last_seq != checked or last_hash != expected_prev:
        return ChainReport(
            False,
            checked,
            checked + 1,
            f"the chain ends at event #{checked} but its head records #{last_seq}",
        )
    return ChainReport(True, checked)
