"""Seals, the anchor and the worker's sealing pass."""

import json

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from tousu.audit.hashing import seal_signed_text
from tousu.audit.keys import public_key_from_text, signature_valid
from tousu.audit.models import AuditChain, AuditSeal
from tousu.audit.services import audit_anchor, audit_record, audit_seal, audit_verify
from tousu.audit.tests import forgery
from tousu.complaints.tests.factories import complaint_make
from tousu.supervision.worker import run_once

pytestmark = pytest.mark.django_db


def _note(actor, complaint, n=0):
    return audit_record(
        actor=actor,
        action="test.note",
        object_type="complaint",
        object_id=str(n),
        complaint=complaint,
    )


@pytest.fixture
def two(org):
    return complaint_make(org.clerk), complaint_make(org.clerk)


def test_a_seal_records_the_heads_that_moved_and_only_those(org, two):
    a, b = two
    first = audit_seal()
    heads = {key: (seq, hash_) for key, seq, hash_ in first.heads}
    for complaint in two:
        chain = AuditChain.objects.get(key=f"complaint:{complaint.pk}")
        assert heads[chain.key] == (chain.last_seq, chain.last_hash)
    assert not AuditChain.objects.filter(sealed=False).exists()
    assert audit_seal() is None  # nothing moved

    event = _note(org.clerk, b)
    second = audit_seal()
    assert second.seq == 2 and second.prev_hash == first.hash
    assert second.heads == [[f"complaint:{b.pk}", event.chain_seq, event.hash]]
    public = public_key_from_text(audit_anchor()["public_key"])
    assert signature_valid(public, second.signature, seal_signed_text(2, second.hash))
    assert audit_verify().ok and audit_verify().seals == 2


def test_seal_and_anchor_commands(org, two, capsys, tmp_path):
    with pytest.raises(CommandError, match="no seal yet"):
        call_command("audit", "anchor")
    call_command("audit", "seal")
    call_command("audit", "seal")
    out = capsys.readouterr().out
    assert "seal #1:" in out and "nothing moved since the last seal" in out
    call_command("audit", "anchor")
    anchor = json.loads(capsys.readouterr().out)
    seal = AuditSeal.objects.get()
    assert anchor["seal"] == 1 and anchor["hash"] == seal.hash
    assert anchor["signature"] == seal.signature and anchor["public_key"]
    path = tmp_path / "anchor.json"
    path.write_text(json.dumps(anchor))
    call_command("audit", "verify", "--anchor", str(path))
    assert "anchor: seal #1 is held" in capsys.readouterr().out


def test_an_anchor_taken_before_a_rewrite_with_the_keys_catches_it(org, two):
    a, _b = two
    audit_seal()
    anchor = audit_anchor()
    _note(org.clerk, a)
    audit_seal()
    # The forger holds both keys: rewrites an event sealed before the anchor, every
    # hash after it, and every seal so that they record the forged heads.
    chain = f"complaint:{a.pk}"
    forgery.rewrite(chain, 1, data={"fields": {"title": "改过的"}}, hasher=forgery.real_key)
    forgery.reseal()
    assert audit_verify().ok  # consistent with everything in the database …
    report = audit_verify(anchor=anchor)  # … but not with what was kept outside
    assert not report.ok and report.first.kind == "anchor" and report.first.seal == 1
    assert "rewritten" in report.first.message


def test_an_anchor_catches_a_cut_seal_log(org, two):
    audit_seal()
    _note(org.clerk, two[0])
    audit_seal()
    anchor = audit_anchor()
    assert anchor["seal"] == 2
    with forgery.audit_maintenance():
        forgery.sql("DELETE FROM audit_auditseal WHERE seq = 2")
        forgery.sql(
            "UPDATE audit_auditchain SET last_seq = 1, last_hash = %s WHERE \"key\" = 'seal'",
            [AuditSeal.objects.get(seq=1).hash],
        )
    report = audit_verify(anchor=anchor)
    assert [p.kind for p in report.problems] == ["anchor"]
    assert "not in the seal log" in report.first.message


def test_an_anchor_with_a_forged_signature_is_refused(org, two):
    audit_seal()
    anchor = dict(audit_anchor())
    anchor["hash"] = "a" * 64
    report = audit_verify(anchor=anchor)
    assert report.first.kind == "anchor" and "signature" in report.first.message


def test_a_changed_seal_is_named(org, two):
    audit_seal()
    _note(org.clerk, two[1])
    audit_seal()
    with forgery.audit_maintenance():
        forgery.sql("UPDATE audit_auditseal SET heads = %s WHERE seq = 1", ["[]"])
    report = audit_verify()
    assert report.first.kind == "seal" and report.first.seal == 1
    assert "changed" in report.first.message


def test_a_seal_signed_with_another_key_is_named(org, two, settings):
    audit_seal()
    settings.AUDIT_SIGNING_KEYS = [("other", b"s" * 32)]
    report = audit_verify()
    assert report.first.kind == "seal" and "not configured" in report.first.message


def test_a_worker_pass_seals_what_moved(org, two):
    run = run_once(now=timezone.now())
    assert run.counts.get("sealed") == AuditChain.objects.exclude(key="seal").count() > 0
    assert not AuditChain.objects.filter(sealed=False).exists()
    run = run_once(now=timezone.now())
    assert "sealed" not in run.counts


def test_a_seal_head_set_back_is_named(org, two):
    audit_seal()
    _note(org.clerk, two[0])
    audit_seal()
    forgery.sql(
        "UPDATE audit_auditchain SET last_seq = 1, last_hash = %s WHERE \"key\" = 'seal'",
        [AuditSeal.objects.get(seq=1).hash],
    )
    report = audit_verify()
    assert [(p.kind, p.seal) for p in report.problems] == [("seal", 2)]
