import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from tousu.audit.models import AppendOnlyError, AuditEvent
from tousu.audit.services import audit_verify
from tousu.complaints.tests.factories import complaint_make

pytestmark = pytest.mark.django_db


@pytest.fixture
def chain(org):
    for _ in range(3):
        complaint_make(org.clerk)
    return list(AuditEvent.objects.order_by("seq"))


def _sql(statement, params=()):
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


def test_an_intact_chain_verifies(chain, capsys):
    assert audit_verify().ok
    call_command("audit", "verify")
    assert f"{len(chain)} events verified" in capsys.readouterr().out


def test_a_changed_row_is_named(chain):
    _sql("UPDATE audit_auditevent SET data = %s WHERE seq = 2", ['{"fields": {"title": "x"}}'])
    report = audit_verify()
    assert not report.ok and report.bad_seq == 2 and "changed" in report.reason
    with pytest.raises(CommandError, match="event #2"):
        call_command("audit", "verify")


def test_a_rewritten_hash_breaks_the_next_link(chain):
    _sql(
        "UPDATE audit_auditevent SET action = 'complaint.updated', hash = %s WHERE seq = 1",
        ["f" * 64],
    )
    report = audit_verify()
    assert not report.ok and report.bad_seq == 1


def test_a_deleted_row_is_found(chain):
    _sql("DELETE FROM audit_auditevent WHERE seq = 2")
    report = audit_verify()
    assert not report.ok and report.bad_seq == 2 and "missing" in report.reason


def test_a_deleted_last_row_is_found(chain):
    _sql("DELETE FROM audit_auditevent WHERE seq = %s", [chain[-1].seq])
    report = audit_verify()
    assert not report.ok and report.bad_seq == chain[-1].seq


def test_the_orm_refuses_changes(chain):
    event = chain[0]
    event.action = "tampered"
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        event.delete()
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.filter(seq=1).update(action="x")
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.all().delete()
