"""The database itself refuses to change the audit log; verify tells when it no longer does."""

import pytest
from django.core.management import CommandError, call_command
from django.db import IntegrityError, connection, transaction
from django.utils import translation

from tousu.audit.models import AuditEvent, AuditSeal
from tousu.audit.services import audit_record, audit_seal, audit_verify
from tousu.audit.triggers import audit_maintenance

pytestmark = pytest.mark.django_db

POSTGRES = connection.vendor == "postgresql"
EVENT_ROW_TRIGGER = "audit_auditevent_append_only" if POSTGRES else "audit_auditevent_no_update"


@pytest.fixture
def logged(org):
    audit_record(actor=org.admin, action="test.one", object_type="user", object_id="1")
    return audit_seal()


def _refused(statement, params=()):
    with (
        pytest.raises(IntegrityError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(statement, params)


def _sql(statement, params=()):
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


def _constraints_now():
    """Run the deferred foreign-key checks of this test's transaction now: PostgreSQL
    refuses TRUNCATE and ALTER TABLE on a table with checks pending."""
    _sql("SET CONSTRAINTS ALL IMMEDIATE")


def _trigger_problems():
    return [p.message for p in audit_verify().problems if p.kind == "trigger"]


@pytest.mark.parametrize("table", ["audit_auditevent", "audit_auditseal"])
def test_update_and_delete_are_refused_by_the_database(logged, table):
    before = list(AuditEvent.objects.values_list("seq", "hash")), AuditSeal.objects.count()
    _refused(f"UPDATE {table} SET hash = %s", ["0" * 64])  # noqa: S608 - a fixed table name
    _refused(f"DELETE FROM {table}")  # noqa: S608
    assert (
        list(AuditEvent.objects.values_list("seq", "hash")),
        AuditSeal.objects.count(),
    ) == before
    assert audit_verify().ok


@pytest.mark.postgres
@pytest.mark.parametrize("table", ["audit_auditevent", "audit_auditseal"])
def test_truncate_is_refused_on_postgresql(logged, table):
    _constraints_now()
    _refused(f"TRUNCATE {table} CASCADE")
    assert AuditEvent.objects.exists() and AuditSeal.objects.exists()


def test_the_maintenance_switch_lasts_one_block(logged):
    event = AuditEvent.objects.first()
    with audit_maintenance():
        _sql("UPDATE audit_auditevent SET action = 'x' WHERE seq = %s", [event.seq])
    _refused("UPDATE audit_auditevent SET action = 'y' WHERE seq = %s", [event.seq])
    assert AuditEvent.objects.get(seq=event.seq).action == "x"
    assert _trigger_problems() == []


def test_verify_reports_a_dropped_trigger(logged):
    if POSTGRES:
        _sql(f"DROP TRIGGER {EVENT_ROW_TRIGGER} ON audit_auditevent")
    else:
        _sql(f"DROP TRIGGER {EVENT_ROW_TRIGGER}")
    assert _trigger_problems() == [f"trigger {EVENT_ROW_TRIGGER} is missing"]
    with translation.override("en"), pytest.raises(CommandError, match=EVENT_ROW_TRIGGER):
        call_command("audit", "verify")


def test_verify_reports_a_trigger_replaced_by_a_harmless_one(logged):
    if POSTGRES:
        _sql(f"DROP TRIGGER {EVENT_ROW_TRIGGER} ON audit_auditevent")
        _sql(
            f"CREATE TRIGGER {EVENT_ROW_TRIGGER} AFTER INSERT ON audit_auditevent"
            " FOR EACH ROW EXECUTE FUNCTION audit_append_only()"
        )
    else:
        _sql(f"DROP TRIGGER {EVENT_ROW_TRIGGER}")
        _sql(
            f"CREATE TRIGGER {EVENT_ROW_TRIGGER} BEFORE UPDATE ON audit_auditevent"
            " WHEN 0 BEGIN SELECT RAISE(ABORT, 'never'); END"
        )
    assert _trigger_problems() == [f"trigger {EVENT_ROW_TRIGGER} was replaced"]


@pytest.mark.postgres
def test_verify_reports_a_disabled_trigger_and_a_gutted_function(logged):
    _constraints_now()
    _sql(f"ALTER TABLE audit_auditevent DISABLE TRIGGER {EVENT_ROW_TRIGGER}")
    assert _trigger_problems() == [f"trigger {EVENT_ROW_TRIGGER} is disabled"]
    _sql(f"ALTER TABLE audit_auditevent ENABLE TRIGGER {EVENT_ROW_TRIGGER}")
    _sql(
        "CREATE OR REPLACE FUNCTION audit_append_only() RETURNS trigger LANGUAGE plpgsql"
        " AS $$ BEGIN RETURN NEW; END $$"
    )
    assert len(_trigger_problems()) == 4  # all four triggers call it


def test_verify_reports_the_maintenance_switch_left_on(logged):
    if POSTGRES:
        _sql("SET tousu.audit_maintenance = 'on'")
    else:
        _sql("UPDATE audit_maintenance SET active = 1")
    problems = _trigger_problems()
    assert len(problems) == 1 and "maintenance" in problems[0]
