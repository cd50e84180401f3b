"""Starting many audit chains at once: the events of subjects created in the caller's
transaction (complaints registered in bulk by an import), each subject's chain begun
with its events. The events, their keyed hashes and the chain heads are exactly what
``audit_record`` would write one event at a time — ``tousu audit verify`` cannot tell
the two apart — computed in Python and inserted in a few statements instead of three
per event. The inserts themselves are ``audit.inserts`` and ``audit.linked``.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

from django.db import transaction
from django.utils import timezone

from tousu.audit.hashing import GENESIS, canonical, chain_key, event_message
from tousu.audit.inserts import objects_insert, rows_insert
from tousu.audit.keys import hmac_keys
from tousu.audit.linked import Part, objects_insert_linked
from tousu.audit.models import AuditChain, AuditEvent
from tousu.audit.services import chain_append, chain_link, deferred, with_actor
from tousu.core.actors import Actor


def _json_native(value: Any) -> bool:
    """Whether ``value`` is made of JSON's own types only (no float: NaN does not
    survive the round trip), so that ``canonical`` would return it unchanged."""
    kind = type(value)
    if kind is dict:
        return all(type(k) is str and _json_native(v) for k, v in value.items())
    if kind is list:
        return all(_json_native(item) for item in value)
    return kind in (str, int, bool) or value is None


def _canonical(value: Any) -> Any:
    """``canonical``, without its JSON round trip when it would change nothing."""
    return value if _json_native(value) else canonical(value)


@dataclass(frozen=True)
class ChainEvent:
    """One event of a new chain, as ``audit_record`` takes it (without the subject)."""

    actor: Actor | None
    action: str
    object_type: str
    object_id: str
    data: dict[str, Any] = field(default_factory=dict)


@dataclass
class _Event:
    """The fields of an ``AuditEvent`` that its hash covers, without a model instance."""

    chain_seq: int
    at: datetime
    actor_id: int | None
    action: str
    object_type: str
    object_id: str
    complaint_id: int
    data: Any
    prev_hash: str
    key_id: str
    incident_id: None = None
    hash: str = ""


EVENT_FIELDS = (
    "chain",
    "chain_seq",
    "at",
    "actor",
    "action",
    "object_type",
    "object_id",
    "complaint",
    "incident",
    "data",
    "prev_hash",
    "hash",
    "key_id",
)


def audit_chains_begin(
    *, complaints: Sequence[tuple[int, Sequence[ChainEvent]]], at: datetime | None = None
) -> int:
    """Begin the chain of each complaint (its primary key) with its events, in order.

    Inside the caller's transaction, for complaints created in it: their chains cannot
    exist yet, and if one does the insert fails (an ``IntegrityError``) and the caller's
    transaction writes nothing. Every event is stamped ``at`` (default now). The new
    heads are unsealed, so the worker's next seals cover them. Returns the number of
    events written.
    """
    keys = hmac_keys()
    key_id = keys.current
    at = at or timezone.now()
    chains: list[tuple[str, int, str]] = []  # key, last sequence, last hash
    events: list[list[_Event]] = []
    for complaint_id, specs in complaints:
        if not specs:
            continue
        chain = chain_key(
            complaint_id=complaint_id, incident_id=None, object_type="complaint", object_id=""
        )
        prev = GENESIS
        written = []
        for seq, spec in enumerate(specs, start=1):
            event = _Event(
                chain_seq=seq,
                at=at,
                actor_id=getattr(spec.actor, "pk", None),
                action=spec.action,
                object_type=spec.object_type,
                object_id=spec.object_id,
                complaint_id=complaint_id,
                data=_canonical(with_actor(spec.actor, dict(spec.data))),
                prev_hash=prev,
                key_id=key_id,
            )
            # The same bytes as for an event the ORM built (hashing reads these fields).
            digest = keys.digest(key_id, event_message(cast(AuditEvent, event), chain))
            assert digest is not None  # the current key is always known
            event.hash = prev = digest
            written.append(event)
        chains.append((chain, len(written), prev))
        events.append(written)
    if not chains:
        return 0
    with transaction.atomic(savepoint=False):
        heads = rows_insert(
            AuditChain,
            ("key", "last_seq", "last_hash", "sealed"),
            [(*head, False) for head in chains],
            returning="id",
        )
        rows = [
            (
                chain_id,
                e.chain_seq,
                e.at,
                e.actor_id,
                e.action,
                e.object_type,
                e.object_id,
                e.complaint_id,
                None,
                e.data,
                e.prev_hash,
                e.hash,
                e.key_id,
            )
            for chain_id, written in zip(heads, events, strict=True)
            for e in written
        ]
        rows_insert(AuditEvent, EVENT_FIELDS, rows)
    return len(rows)


@contextmanager
def audit_chain_new(
    *, complaint_id: int | None = None, incident_id: int | None = None
) -> Iterator[None]:
    """Keep the events ``audit_record`` appends for complaint ``complaint_id`` or incident
    ``incident_id`` (created in the caller's transaction, so its chain cannot exist yet)
    in memory, and write the chain with all of them when the block ends: one statement
    on PostgreSQL and two elsewhere, whatever the number of events, with exactly the
    hashes ``audit_record`` would have given them one by one. When the block raises,
    nothing of it is written (the caller's transaction fails)."""
    assert (complaint_id is None) != (incident_id is None), "one subject"
    chain = chain_key(
        complaint_id=complaint_id, incident_id=incident_id, object_type="", object_id=""
    )
    chains = deferred.chains
    events = chains[chain] = []
    try:
        yield
    finally:
        chains.pop(chain, None)
    if not events:
        return
    prev = chain_link(chain, events, after=0, prev=GENESIS)
    head = AuditChain(key=chain, last_seq=len(events), last_hash=prev, sealed=False)
    with transaction.atomic(savepoint=False):
        objects_insert_linked([Part([head]), Part(events, links={"chain_id": 0})])


@contextmanager
def audit_batch() -> Iterator[None]:
    """Keep the events ``audit_record`` appends inside the block in memory and write them
    when the outermost block ends, chain by chain in key order: three statements a chain
    (lock its head, insert its events, move the head) instead of three an event, and the
    heads locked for the end of the transaction only. The hashes are those one-by-one
    appends would give; the events of one chain share the time they were written.

    Use it around a unit of work inside a transaction or savepoint that the block's end
    precedes (a savepoint rolled back after the block has ended would keep its events):
    when a block raises, the events appended inside it are dropped with it."""
    batch = deferred.batch
    if batch is not None:  # nested: the outermost block writes
        marks = {chain: len(events) for chain, events in batch.items()}
        try:
            yield
        except BaseException:
            for chain in list(batch):
                del batch[chain][marks.get(chain, 0) :]
                if not batch[chain]:
                    del batch[chain]
            raise
        return
    batch = deferred.batch = {}
    try:
        yield
    finally:
        deferred.batch = None
    for chain in sorted(batch):
        chain_append(chain, batch[chain], save=objects_insert)
