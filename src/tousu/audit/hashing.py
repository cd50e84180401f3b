"""What the audit hashes cover: the canonical bytes of an event and of a seal.

Changing any of this changes every hash written with it: a new body needs a new
version marker (``v``) and the verifier must keep reading the old one.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

import orjson
from django.core.serializers.json import DjangoJSONEncoder

from tousu.audit.models import AuditEvent, AuditSeal

GENESIS = "0" * 64
# Events without a subject (logins, plan and calendar changes …) go to one of this many
# chains, chosen by their object: few enough to seal cheaply, enough that two writers
# rarely meet. Changing it moves new events of an object to another chain; old events
# stay and verify where they are.
SHARDS = 16
LEGACY = "legacy"  # the single chain written before keyed chains (plain SHA-256)
SEAL_CHAIN = "seal"  # the head of the seal log


def chain_key(
    *, complaint_id: int | None, incident_id: int | None, object_type: str, object_id: str
) -> str:
    """The chain an event belongs to: its subject's, or a shard picked by its object."""
    if complaint_id is not None:
        return f"complaint:{complaint_id}"
    if incident_id is not None:
        return f"incident:{incident_id}"
    digest = hashlib.sha256(f"{object_type}:{object_id}".encode()).digest()
    return f"shard:{int.from_bytes(digest[:4], 'big') % SHARDS:02d}"


_DJANGO_DEFAULT = DjangoJSONEncoder().default
_ORJSON_OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_NON_STR_KEYS


def canonical(value: Any) -> Any:
    """Round-trip through JSON so the stored value hashes the same after reading back.

    Through orjson, with Django's encoder for what JSON has no type for (times keep
    milliseconds, decimals become text), as the standard library's round trip with that
    encoder gives; an integer beyond 64 bits, which orjson refuses, goes that way."""
    try:
        return orjson.loads(orjson.dumps(value, default=_DJANGO_DEFAULT, option=_ORJSON_OPTIONS))
    except orjson.JSONEncodeError:
        return json.loads(json.dumps(value, cls=DjangoJSONEncoder, ensure_ascii=False))


def _bytes(body: dict[str, Any]) -> bytes:
    text = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return text.encode("utf-8")


def _instant(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def event_message(event: AuditEvent, chain: str) -> bytes:
    """The bytes an event's HMAC covers: its content, its place in its chain, the link."""
    return _bytes(
        {
            "v": 2,
            "chain": chain,
            "chain_seq": event.chain_seq,
            "at": _instant(event.at),
            "actor": event.actor_id,
            "action": event.action,
            "object_type": event.object_type,
            "object_id": event.object_id,
            "complaint": event.complaint_id,
            "incident": event.incident_id,
            "data": event.data,
            "prev": event.prev_hash,
            "key": event.key_id,
        }
    )


def legacy_hash(event: AuditEvent) -> str:
    """The unkeyed SHA-256 of the single chain written before keyed chains.

    Its ``seq`` was the event's number in that chain, kept as ``chain_seq``.
    """
    body: dict[str, Any] = {
        "seq": event.chain_seq,
        "at": _instant(event.at),
        "actor": event.actor_id,
        "action": event.action,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "complaint": event.complaint_id,
        "data": event.data,
        "prev": event.prev_hash,
    }
    if event.incident_id is not None:
        body["incident"] = event.incident_id
    return hashlib.sha256(_bytes(body)).hexdigest()


def seal_message(seal: AuditSeal) -> bytes:
    """The bytes a seal's HMAC covers."""
    return _bytes(
        {
            "v": 1,
            "seal": seal.seq,
            "at": _instant(seal.at),
            "heads": seal.heads,
            "prev": seal.prev_hash,
            "key": seal.key_id,
            "signing_key": seal.signing_key_id,
        }
    )


def seal_signed_text(seq: int, hash_: str) -> bytes:
    """What a seal's Ed25519 signature covers: checkable with the anchor alone."""
    return f"tousu-audit-seal:{seq}:{hash_}".encode("ascii")
