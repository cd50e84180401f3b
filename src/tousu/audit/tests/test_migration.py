"""The upgrade from the single SHA-256 chain: old events verify, untouched, as ``legacy``."""

import hashlib
import json
from datetime import UTC, timedelta

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from tousu.audit.hashing import legacy_hash
from tousu.audit.models import AuditChain, AuditEvent
from tousu.audit.services import audit_record, audit_seal, audit_verify
from tousu.audit.tests import forgery

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

BEFORE = [("audit", "0002_auditevent_add_incident_subject")]


def _old_hash(seq, at, action, object_id, data, prev):
    """The hash of the code before keyed chains, restated here on purpose."""
    body = {
        "seq": seq,
        "at": at.astimezone(UTC).isoformat(timespec="microseconds"),
        "actor": None,
        "action": action,
        "object_type": "plan",
        "object_id": object_id,
        "complaint": None,
        "data": data,
        "prev": prev,
    }
    text = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor


@pytest.fixture
def upgraded():
    latest = MigrationExecutor(connection).loader.graph.leaf_nodes("audit")
    assert not AuditEvent.objects.exists()  # going back needs an empty log
    try:
        executor = _migrate(BEFORE)
        old = executor.loader.project_state(BEFORE).apps
        Event, Head = old.get_model("audit", "AuditEvent"), old.get_model("audit", "AuditHead")
        prev, start = "0" * 64, timezone.now() - timedelta(days=30)
        for seq in range(1, 6):
            at = start + timedelta(minutes=seq)
            data = {"revision": seq, "名称": "市场投诉预案"}
            digest = _old_hash(seq, at, "plan.published", "market", data, prev)
            Event.objects.create(
                seq=seq, at=at, action="plan.published", object_type="plan",
                object_id="market", data=data, prev_hash=prev, hash=digest,
            )  # fmt: skip
            prev = digest
        Head.objects.create(pk=1, last_seq=5, last_hash=prev)
    finally:
        _migrate(latest)
    return prev


def test_old_events_become_the_legacy_chain_unchanged(upgraded):
    events = list(AuditEvent.objects.order_by("seq").select_related("chain"))
    assert [(e.chain.key, e.chain_seq, e.key_id) for e in events] == [
        ("legacy", n, "") for n in range(1, 6)
    ]
    assert events[-1].hash == upgraded  # not re-hashed
    legacy = AuditChain.objects.get(key="legacy")
    assert (legacy.last_seq, legacy.last_hash, legacy.sealed) == (5, upgraded, False)
    report = audit_verify()
    assert report.ok, report.problems
    assert (report.legacy_events, report.events, report.legacy_sealed) == (5, 0, False)

    audit_record(actor=None, action="plan.published", object_type="plan", object_id="market")
    seal = audit_seal()
    assert ["legacy", 5, upgraded] in seal.heads
    report = audit_verify()
    assert report.ok and (report.legacy_events, report.events, report.legacy_sealed) == (5, 1, True)


def test_a_rehashed_legacy_event_is_caught_once_sealed(upgraded):
    audit_seal()
    # Unkeyed: anyone can recompute the old chain, and the head with it …
    forgery.rewrite("legacy", 2, data={"revision": 99}, hasher=lambda e, _c: legacy_hash(e))
    problem = audit_verify().first
    # … but not the seal's record of its head.
    assert (problem.chain, problem.seq) == ("legacy", 5) and "seal #1" in problem.message


def test_nothing_may_join_the_legacy_chain(upgraded):
    audit_record(actor=None, action="user.login", object_type="user", object_id="1")
    legacy = AuditChain.objects.get(key="legacy")
    with forgery.audit_maintenance():
        forgery.sql(
            "INSERT INTO audit_auditevent (chain_id, chain_seq, at, action, object_type,"
            " object_id, data, prev_hash, hash, key_id)"
            " VALUES (%s, 6, %s, 'plan.published', 'plan', 'market', '{}', %s, %s, '')",
            [legacy.pk, timezone.now(), upgraded, "0" * 64],
        )
    fake = AuditEvent.objects.get(chain=legacy, chain_seq=6)
    forgery.rewrite("legacy", 6, data={}, hasher=lambda e, _c: legacy_hash(e))
    forgery.sql("UPDATE audit_auditchain SET last_seq = 6 WHERE id = %s", [legacy.pk])
    problem = audit_verify().first
    assert (problem.chain, problem.seq) == ("legacy", 6) and fake.seq > 5
    assert "after keyed chains began" in problem.message
