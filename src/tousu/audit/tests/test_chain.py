"""Keyed chains: what verify accepts, and every forgery it must name."""

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from tousu.audit.hashing import SHARDS, chain_key
from tousu.audit.models import AppendOnlyError, AuditChain, AuditEvent
from tousu.audit.services import audit_record, audit_seal, audit_verify
from tousu.audit.tests import forgery
from tousu.complaints.tests.factories import complaint_make

pytestmark = pytest.mark.django_db


@pytest.fixture
def complaints(org):
    made = [complaint_make(org.clerk) for _ in range(3)]
    for complaint in made:  # a few more events on each complaint's chain
        for n in range(3):
            audit_record(
                actor=org.clerk,
                action="test.note",
                object_type="complaint",
                object_id=str(n),
                complaint=complaint,
                data={"n": n},
            )
    # Events without a subject land on shard chains.
    for n in range(4):
        audit_record(actor=org.admin, action="test.login", object_type="user", object_id=str(n))
    return made


def _problem(report):
    assert not report.ok
    return report.first


def test_each_complaint_has_its_own_gapless_chain(complaints):
    for complaint in complaints:
        events = list(complaint.events.order_by("seq"))
        assert len(events) >= 2
        assert {e.chain.key for e in events} == {f"complaint:{complaint.pk}"}
        assert [e.chain_seq for e in events] == list(range(1, len(events) + 1))
        assert events[0].prev_hash == "0" * 64
        assert all(b.prev_hash == a.hash for a, b in zip(events, events[1:], strict=False))
        head = AuditChain.objects.get(key=f"complaint:{complaint.pk}")
        assert (head.last_seq, head.last_hash) == (events[-1].chain_seq, events[-1].hash)
    logins = AuditEvent.objects.filter(action="test.login").select_related("chain")
    assert all(e.chain.key.startswith("shard:") for e in logins)
    assert all(e.key_id and len(e.hash) == 64 for e in AuditEvent.objects.all())


def test_shards_are_fixed_and_spread():
    keys = {
        chain_key(complaint_id=None, incident_id=None, object_type="user", object_id=str(n))
        for n in range(500)
    }
    assert keys == {f"shard:{n:02d}" for n in range(SHARDS)}


def test_an_intact_log_verifies(complaints, capsys):
    report = audit_verify()
    assert report.ok, report.problems
    assert report.events == AuditEvent.objects.count()
    assert report.chains == AuditChain.objects.exclude(key="seal").count()
    with translation.override("en"):
        call_command("audit", "verify")
    out = capsys.readouterr().out
    assert f"{report.events} events verified" in out and "audit log intact" in out


def test_a_changed_event_rehashed_with_plain_sha256_is_named(complaints):
    chain = f"complaint:{complaints[1].pk}"
    forgery.rewrite(chain, 1, data={"fields": {"title": "改过的"}}, hasher=forgery.plain_sha256)
    problem = _problem(audit_verify())
    assert (problem.chain, problem.seq, problem.kind) == (chain, 1, "event")
    with translation.override("en"), pytest.raises(CommandError, match=f"chain {chain} #1 "):
        call_command("audit", "verify")


def test_a_changed_event_rehashed_with_another_key_is_named(complaints):
    chain = f"complaint:{complaints[0].pk}"
    forgery.rewrite(chain, 2, data={"met": False}, hasher=forgery.wrong_key())
    problem = _problem(audit_verify())
    assert (problem.chain, problem.seq) == (chain, 2)
    # Every other chain still verifies: one problem only.
    assert len(audit_verify().problems) == 1


def test_a_changed_subjectless_event_is_named_on_its_shard(complaints):
    event = AuditEvent.objects.filter(action="test.login").select_related("chain").last()
    forgery.rewrite(
        event.chain.key, event.chain_seq, data={"by": "nobody"}, hasher=forgery.plain_sha256
    )
    problem = _problem(audit_verify())
    assert (problem.chain, problem.seq) == (event.chain.key, event.chain_seq)


def test_a_rewritten_hash_breaks_the_next_link(complaints):
    chain = f"complaint:{complaints[0].pk}"
    first = forgery.chain_events(chain)[0]
    with forgery.audit_maintenance():
        forgery.sql("UPDATE audit_auditevent SET hash = %s WHERE seq = %s", ["f" * 64, first.seq])
    problem = _problem(audit_verify())
    assert (problem.chain, problem.seq) == (chain, 1)


def test_a_deleted_event_is_named_missing(complaints):
    chain = f"complaint:{complaints[2].pk}"
    second = forgery.chain_events(chain)[1]
    with forgery.audit_maintenance():
        forgery.sql("DELETE FROM audit_auditevent WHERE seq = %s", [second.seq])
    problem = _problem(audit_verify())
    assert (problem.chain, problem.seq) == (chain, 2) and "missing" in problem.message


def test_a_deleted_tail_is_caught_by_the_head(complaints):
    chain = f"complaint:{complaints[0].pk}"
    last = len(forgery.chain_events(chain))
    forgery.cut_tail(chain, last, rewind=False)
    problem = _problem(audit_verify())
    assert (problem.chain, problem.seq) == (chain, last)


def test_an_unsealed_tail_deleted_with_a_rewound_head_goes_unseen(complaints):
    chain = f"complaint:{complaints[0].pk}"
    last = len(forgery.chain_events(chain))
    # Before a seal, nothing records how long the chain was: the gap the seal closes.
    forgery.cut_tail(chain, last, rewind=True)
    assert audit_verify().ok


def test_a_sealed_tail_deleted_with_a_rewound_head_is_named(complaints):
    chain = f"complaint:{complaints[0].pk}"
    last = len(forgery.chain_events(chain))
    assert audit_seal() is not None
    forgery.cut_tail(chain, last, rewind=True)
    problem = _problem(audit_verify())
    assert (problem.chain, problem.seq, problem.kind) == (chain, last, "chain")
    assert "seal #1" in problem.message


def test_a_whole_sealed_chain_deleted_is_named(complaints):
    chain = f"complaint:{complaints[1].pk}"
    audit_seal()
    forgery.cut_tail(chain, 1, rewind=True)
    problem = _problem(audit_verify())
    assert (problem.chain, problem.seq) == (chain, 1)


def test_a_rewrite_with_the_key_is_caught_by_the_seal(complaints):
    chain = f"complaint:{complaints[2].pk}"
    audit_seal()
    forgery.rewrite(chain, 1, data={"fields": {"title": "x"}}, hasher=forgery.real_key)
    problem = _problem(audit_verify())
    # The forged chain is self-consistent; the seal names where it no longer matches.
    assert problem.chain == chain and problem.kind == "event" and "seal #1" in problem.message


def test_an_event_moved_to_another_chain_is_named(complaints):
    target = f"complaint:{complaints[0].pk}"
    event = AuditEvent.objects.filter(action="test.login").first()
    with forgery.audit_maintenance():
        forgery.sql(
            "UPDATE audit_auditevent SET complaint_id = %s WHERE seq = %s",
            [complaints[0].pk, event.seq],
        )
    problem = _problem(audit_verify())
    assert problem.chain == event.chain.key and problem.seq == event.chain_seq
    assert target != problem.chain


def test_old_events_verify_with_the_old_key_after_rotation(org, settings):
    setup = list(settings.AUDIT_KEYS)  # the key the organisation's events were made with
    old, new = ("old", b"o" * 32), ("new", b"n" * 32)
    settings.AUDIT_KEYS = [old, *setup]
    first = complaint_make(org.clerk)
    settings.AUDIT_KEYS = [new, old, *setup]
    second = complaint_make(org.clerk)
    audit_record(
        actor=org.admin, action="test.more", object_type="complaint", object_id="x", complaint=first
    )
    first_keys = list(first.events.order_by("seq").values_list("key_id", flat=True))
    assert set(first_keys[:-1]) == {"old"} and first_keys[-1] == "new"
    assert set(second.events.values_list("key_id", flat=True)) == {"new"}
    assert audit_verify().ok
    # Without the old key its events cannot be verified: named, not passed.
    settings.AUDIT_KEYS = [new, *setup]
    problem = _problem(audit_verify())
    assert problem.chain == f"complaint:{first.pk}" and problem.seq == 1
    assert "not configured" in problem.message


def test_the_orm_refuses_changes(complaints):
    event = AuditEvent.objects.first()
    event.action = "tampered"
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        event.delete()
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.filter(seq=event.seq).update(action="x")
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.all().delete()


def test_timelines_read_in_global_order(complaints, org):
    complaint = complaints[0]
    audit_record(
        actor=org.clerk,
        action="test.note",
        object_type="complaint",
        object_id="1",
        complaint=complaint,
    )
    seqs = list(complaint.events.values_list("seq", flat=True))
    chain_seqs = list(complaint.events.values_list("chain_seq", flat=True))
    assert seqs == sorted(seqs) and chain_seqs == sorted(chain_seqs)


def test_a_head_set_back_behind_its_events_is_named(complaints):
    chain = f"complaint:{complaints[1].pk}"
    events = forgery.chain_events(chain)
    forgery.sql(
        'UPDATE audit_auditchain SET last_seq = %s, last_hash = %s WHERE "key" = %s',
        [len(events) - 1, events[-2].hash, chain],
    )
    problem = _problem(audit_verify())
    assert (problem.chain, problem.seq, problem.kind) == (chain, len(events), "chain")


def test_an_append_costs_three_statements_and_no_savepoint(complaints, org):
    with transaction.atomic(), CaptureQueriesContext(connection) as queries:
        audit_record(
            actor=org.clerk,
            action="test.note",
            object_type="complaint",
            object_id="1",
            complaint=complaints[0],
        )
    statements = [q["sql"].split()[0].upper() for q in queries]
    assert statements == ["INSERT", "INSERT", "UPDATE"], statements  # lock, event, head
