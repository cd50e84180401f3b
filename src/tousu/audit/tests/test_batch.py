"""``audit_batch``: events kept in memory and written a chain at a time, with the hashes
one-by-one appends give; a block that raises leaves nothing of its own behind."""

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from tousu.audit.bulk import audit_batch
from tousu.audit.models import AuditChain, AuditEvent
from tousu.audit.services import audit_record, audit_verify
from tousu.complaints.tests.factories import complaint_make

pytestmark = pytest.mark.django_db


def _note(actor, complaint, n: int) -> None:
    audit_record(
        actor=actor,
        action="test.note",
        object_type="complaint",
        object_id=str(n),
        complaint=complaint,
        data={"n": n},
    )


def test_a_batch_writes_each_chain_in_three_statements_and_verifies(org):
    first, second = complaint_make(org.clerk), complaint_make(org.clerk)
    before = {c.pk: c.events.count() for c in (first, second)}
    with transaction.atomic(), CaptureQueriesContext(connection) as captured, audit_batch():
        for n in range(4):
            _note(org.clerk, first, n)
            _note(org.clerk, second, n)
        assert AuditEvent.objects.filter(action="test.note").count() == 0  # not yet
    writes = [q["sql"] for q in captured if "audit_audit" in q["sql"] and "COUNT" not in q["sql"]]
    assert len(writes) == 2 * 3  # per chain: lock the head, insert its events, move it
    for complaint in (first, second):
        events = list(complaint.events.order_by("chain_seq"))
        assert len(events) == before[complaint.pk] + 4
        assert [e.chain_seq for e in events] == list(range(1, len(events) + 1))
        assert [e.data["n"] for e in events[-4:]] == [0, 1, 2, 3]
        head = AuditChain.objects.get(key=f"complaint:{complaint.pk}")
        assert (head.last_seq, head.last_hash, head.sealed) == (len(events), events[-1].hash, False)
    report = audit_verify()
    assert report.ok, report.problems


def test_a_nested_block_that_raises_drops_its_events_and_keeps_the_outer_ones(org):
    complaint = complaint_make(org.clerk)
    before = complaint.events.count()
    with transaction.atomic(), audit_batch():
        _note(org.clerk, complaint, 1)
        with pytest.raises(RuntimeError), transaction.atomic(), audit_batch():
            _note(org.clerk, complaint, 2)
            _note(org.admin, None, 3)  # a shard chain, begun and dropped
            raise RuntimeError("rolled back")
        _note(org.clerk, complaint, 4)
    notes = list(complaint.events.filter(action="test.note").order_by("chain_seq"))
    assert [e.data["n"] for e in notes] == [1, 4]
    assert complaint.events.count() == before + 2
    assert not AuditEvent.objects.filter(action="test.note", complaint=None).exists()
    assert audit_verify().ok


def test_an_outer_block_that_raises_writes_nothing(org):
    complaint = complaint_make(org.clerk)
    before = AuditEvent.objects.count()
    with pytest.raises(RuntimeError), transaction.atomic(), audit_batch():
        _note(org.clerk, complaint, 1)
        raise RuntimeError("rolled back")
    assert AuditEvent.objects.count() == before
    _note(org.clerk, complaint, 2)  # outside any batch: written at once again
    assert complaint.events.filter(action="test.note").count() == 1
