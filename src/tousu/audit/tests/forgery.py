"""A forger with write access to the database, for the tests to catch.

Every change goes through raw SQL inside the maintenance switch, standing in for a
forger who first dropped the triggers (a separate test checks verify reports that).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable

from django.db import connection

from tousu.audit.hashing import GENESIS, event_message, seal_message, seal_signed_text
from tousu.audit.keys import hmac_keys, signing_keys
from tousu.audit.models import AuditChain, AuditEvent, AuditSeal
from tousu.audit.triggers import audit_maintenance

Hasher = Callable[[AuditEvent, str], str]


def plain_sha256(event: AuditEvent, chain: str) -> str:
    return hashlib.sha256(event_message(event, chain)).hexdigest()


def wrong_key(secret: bytes = b"w" * 32) -> Hasher:
    return lambda event, chain: hmac.new(secret, event_message(event, chain), "sha256").hexdigest()


def real_key(event: AuditEvent, chain: str) -> str:
    digest = hmac_keys().digest(event.key_id, event_message(event, chain))
    assert digest is not None
    return digest


def sql(statement: str, params=()) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


def chain_events(chain: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(chain__key=chain).order_by("chain_seq"))


def rewrite(chain: str, seq: int, *, data: dict, hasher: Hasher) -> None:
    """Change event ``seq``'s data, re-hash it and every later event, move the head."""
    with audit_maintenance():
        prev = None
        for event in chain_events(chain):
            if event.chain_seq < seq:
                prev = event.hash
                continue
            if event.chain_seq == seq:
                event.data = data
            event.prev_hash = prev if prev is not None else GENESIS
            event.hash = hasher(event, chain)
            sql(
                "UPDATE audit_auditevent SET data = %s, prev_hash = %s, hash = %s WHERE seq = %s",
                [
                    json.dumps(event.data, ensure_ascii=False),
                    event.prev_hash,
                    event.hash,
                    event.seq,
                ],
            )
            prev = event.hash
        sql('UPDATE audit_auditchain SET last_hash = %s WHERE "key" = %s', [prev, chain])


def cut_tail(chain: str, from_seq: int, *, rewind: bool) -> None:
    """Delete events ``from_seq`` onward; with ``rewind``, set the head back to match."""
    with audit_maintenance():
        sql(
            "DELETE FROM audit_auditevent WHERE chain_id = %s AND chain_seq >= %s",
            [AuditChain.objects.get(key=chain).pk, from_seq],
        )
        if rewind:
            last = AuditEvent.objects.filter(chain__key=chain).order_by("-chain_seq").first()
            sql(
                'UPDATE audit_auditchain SET last_seq = %s, last_hash = %s WHERE "key" = %s',
                [last.chain_seq if last else 0, last.hash if last else GENESIS, chain],
            )


def reseal(*, from_seal: int = 1) -> None:
    """Re-record every seal's heads from the events as they are now, with the real keys."""
    keys, signing = hmac_keys(), signing_keys()
    current = {
        (e.chain.key, e.chain_seq): e.hash for e in AuditEvent.objects.select_related("chain")
    }
    with audit_maintenance():
        prev = GENESIS
        for seal in AuditSeal.objects.order_by("seq"):
            if seal.seq < from_seal:
                prev = seal.hash
                continue
            seal.heads = [
                [key, seq, current.get((key, seq), hash_)] for key, seq, hash_ in seal.heads
            ]
            seal.prev_hash = prev
            seal.hash = keys.digest(seal.key_id, seal_message(seal))
            _id, seal.signature = signing.sign(seal_signed_text(seal.seq, seal.hash))
            sql(
                "UPDATE audit_auditseal SET heads = %s, prev_hash = %s, hash = %s, signature = %s"
                " WHERE seq = %s",
                [json.dumps(seal.heads), seal.prev_hash, seal.hash, seal.signature, seal.seq],
            )
            prev = seal.hash
        sql("UPDATE audit_auditchain SET last_hash = %s WHERE \"key\" = 'seal'", [prev])
