"""Appending to, sealing and verifying the audit log.

Each event is HMAC-SHA256-chained within its chain (its complaint's, its incident's, or
a shard's); appending locks that chain's head row only. The worker seals every few
seconds: a seal records the heads that moved, is HMAC-chained to the seal before and
signed with Ed25519. ``tousu audit verify`` checks all of it; ``tousu audit anchor``
prints the latest seal for keeping elsewhere.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from typing import Any, TypedDict

from django.db import connection, transaction
from django.db.models import Model
from django.utils import timezone

from tousu.audit.hashing import (
    GENESIS,
    SEAL_CHAIN,
    canonical,
    chain_key,
    event_message,
    seal_message,
    seal_signed_text,
)
from tousu.audit.keys import hmac_keys, public_key_text, signing_keys
from tousu.audit.models import AuditChain, AuditEvent, AuditSeal
from tousu.audit.verification import AuditProblem, AuditReport, log_verify
from tousu.core.actors import Actor, actor_by

__all__ = [
    "AuditAnchor",
    "AuditProblem",
    "AuditReport",
    "SEAL_BATCH",
    "audit_anchor",
    "audit_record",
    "audit_seal",
    "audit_verify",
]

# Lock the head row of a chain for this transaction, creating it on the first event:
# one statement on both vendors. ON CONFLICT … DO UPDATE takes the row lock (a second
# writer of the same chain waits here; writers of other chains do not) and RETURNING
# reads the head as the lock holder sees it.
_CHAIN_LOCK = (
    'INSERT INTO audit_auditchain ("key", last_seq, last_hash, sealed) VALUES (%s, 0, %s, %s)'
    ' ON CONFLICT ("key") DO UPDATE SET "key" = excluded."key"'
    " RETURNING id, last_seq, last_hash"
)


def _chain_lock(key: str) -> tuple[int, int, str]:
    """Lock (and create) the head of chain ``key``; its id, last sequence and hash."""
    with connection.cursor() as cursor:
        cursor.execute(_CHAIN_LOCK, [key, GENESIS, False])
        row = cursor.fetchone()
    return int(row[0]), int(row[1]), str(row[2])


class _Deferred(threading.local):
    """This thread's events kept in memory, by chain key, until a block writes them:
    ``chains`` begun in this transaction (``audit.bulk.audit_chain_new``) and the open
    ``audit.bulk.audit_batch``'s ``batch`` (None outside one)."""

    def __init__(self) -> None:
        self.chains: dict[str, list[AuditEvent]] = {}
        self.batch: dict[str, list[AuditEvent]] | None = None


deferred = _Deferred()


def with_actor(actor: Actor | None, data: dict[str, Any]) -> dict[str, Any]:
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
    """Append one event to its chain, inside the caller's transaction.

    ``complaint`` and ``incident`` (at most one) put the event on that subject's
    timeline and chain; they are typed ``Model`` because the audit app sits below both.
    An event without a subject goes to the shard chain of its object.

    Locks that chain's head until the caller's transaction ends: writers of other
    complaints never wait on it. Three statements (lock, insert, move the head), no
    savepoint; none inside ``audit.bulk.audit_chain_new`` for its subject (the event is
    written when that block ends, and has no primary key before). Side effect: the
    chain is marked unsealed for the worker's next seal.
    """
    complaint_id = getattr(complaint, "pk", None)
    incident_id = getattr(incident, "pk", None)
    chain = chain_key(
        complaint_id=complaint_id,
        incident_id=incident_id,
        object_type=object_type,
        object_id=object_id,
    )
    keys = hmac_keys()
    event = AuditEvent(
        at=timezone.now(),
        actor_id=getattr(actor, "pk", None),
        action=action,
        object_type=object_type,
        object_id=object_id,
        complaint_id=complaint_id,
        incident_id=incident_id,
        data=canonical(with_actor(actor, data or {})),
        key_id=keys.current,
    )
    pending = deferred.chains.get(chain)
    if pending is None and deferred.batch is not None:  # inside ``audit_batch``
        pending = deferred.batch.setdefault(chain, [])
    if pending is not None:
        # Numbered, linked and written when the block that keeps them ends.
        pending.append(event)
        return event
    chain_append(chain, [event], save=lambda events: events[0].save())
    return event


def chain_append(
    chain: str, events: list[AuditEvent], *, save: Callable[[list[AuditEvent]], object]
) -> None:
    """Append ``events`` (unsaved, in order) to chain ``chain`` under its head's lock:
    number, link and hash them, ``save`` them, move the head. Three statements."""
    with transaction.atomic(savepoint=False):
        chain_id, seq, prev = _chain_lock(chain)
        at = timezone.now()  # stamped as the chain's holder, so times follow numbers
        for event in events:
            event.chain_id, event.at = chain_id, at
        prev = chain_link(chain, events, after=seq, prev=prev)
        save(events)
        AuditChain.objects.filter(pk=chain_id).update(
            last_seq=seq + len(events), last_hash=prev, sealed=False
        )


def chain_link(chain: str, events: list[AuditEvent], *, after: int, prev: str) -> str:
    """Number ``events`` on from ``after``, link each to the hash before (``prev`` for
    the first) and hash it; returns the last hash."""
    keys = hmac_keys()
    for seq, event in enumerate(events, start=after + 1):
        event.chain_seq, event.prev_hash = seq, prev
        digest = keys.digest(event.key_id, event_message(event, chain))
        assert digest is not None  # the current key is always known
        event.hash = prev = digest
    return prev


SEAL_BATCH = 5000  # chain heads per seal at most


def audit_seal(*, limit: int = SEAL_BATCH) -> AuditSeal | None:
    """Seal the heads of up to ``limit`` chains that moved since the last seal.

    Returns the new seal, or None when no chain moved. One transaction: locks the seal
    log's head (sealers queue there), then the moved chains with SKIP LOCKED — a chain
    a writer holds right now is left for the next seal, so the sealer never waits on a
    writer; a writer of a chain being sealed waits for this short transaction. Marks
    the sealed chains ``sealed``.
    """
    keys = hmac_keys()
    signing = signing_keys()
    with transaction.atomic():
        _, last_seq, last_hash = _chain_lock(SEAL_CHAIN)
        moved = list(
            AuditChain.objects.select_for_update(skip_locked=True)
            .filter(sealed=False)
            .exclude(key=SEAL_CHAIN)
            .order_by("pk")
            .values_list("pk", "key", "last_seq", "last_hash")[:limit]
        )
        if not moved:
            return None
        seal = AuditSeal(
            seq=last_seq + 1,
            at=timezone.now(),
            heads=[[key, seq, head] for _pk, key, seq, head in moved],
            prev_hash=last_hash,
            key_id=keys.current,
            signing_key_id=signing.current,
        )
        digest = keys.digest(keys.current, seal_message(seal))
        assert digest is not None  # the current key is always known
        seal.hash = digest
        seal.signing_key_id, seal.signature = signing.sign(seal_signed_text(seal.seq, digest))
        seal.save()
        AuditChain.objects.filter(pk__in=[pk for pk, *_rest in moved]).update(sealed=True)
        AuditChain.objects.filter(key=SEAL_CHAIN).update(
            last_seq=seal.seq, last_hash=seal.hash, sealed=True
        )
    return seal


class AuditAnchor(TypedDict):
    seal: int
    at: str
    hash: str
    signature: str
    signing_key_id: str
    public_key: str


def audit_anchor() -> AuditAnchor | None:
    """The latest seal, to be kept outside the database (None before the first seal).

    ``tousu audit verify --anchor`` checks that the sealed history still holds it: a
    later rewrite of anything sealed by then, even with the keys, no longer does.
    """
    seal = AuditSeal.objects.order_by("-seq").first()
    if seal is None:
        return None
    public = signing_keys().public(seal.signing_key_id)
    return AuditAnchor(
        seal=seal.seq,
        at=seal.at.isoformat(),
        hash=seal.hash,
        signature=seal.signature,
        signing_key_id=seal.signing_key_id,
        public_key=public_key_text(public) if public is not None else "",
    )


def audit_verify(*, anchor: Mapping[str, Any] | None = None) -> AuditReport:
    """Check every chain, every seal and the triggers; with ``anchor``, that it is held.

    Reads only; safe beside running writers (what they add meanwhile is counted as
    written during the check and verified the next time). The report lists each
    problem, the first bad event of each chain named by chain and sequence.
    """
    return log_verify(anchor=anchor)
