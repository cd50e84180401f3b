"""The database's own refusal to change the audit log, and how to check it is in place.

Migration ``0006_audit_append_only_triggers`` creates, on ``audit_auditevent`` and
``audit_auditseal``: on SQLite, BEFORE UPDATE and BEFORE DELETE triggers that abort; on
PostgreSQL, a BEFORE UPDATE OR DELETE row trigger and a BEFORE TRUNCATE statement
trigger calling ``audit_append_only()``. The SQL below is that migration's, so that
``tousu audit verify`` can tell a trigger that was dropped, disabled or replaced.

A database owner can still drop them: verify reports it, and the keyed hashes, the seals
and the anchor catch the edit anyway. The maintenance switch lets a change through for
one transaction; only the test suite's flush between transactional tests uses it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.backends.utils import CursorWrapper
from django.utils.translation import gettext as _

TABLES = ("audit_auditevent", "audit_auditseal")


def sqlite_trigger_sql(table: str, operation: str) -> str:
    # Built from the fixed names above, never from input.
    return (
        f"CREATE TRIGGER {table}_no_{operation.lower()} BEFORE {operation} ON {table}"  # noqa: S608
        " WHEN (SELECT active FROM audit_maintenance WHERE id = 1) IS NOT 1"
        f" BEGIN SELECT RAISE(ABORT, '{table} is append-only: {operation} refused'); END"
    )


SQLITE_TRIGGERS = {
    f"{table}_no_{operation.lower()}": sqlite_trigger_sql(table, operation)
    for table in TABLES
    for operation in ("UPDATE", "DELETE")
}

PG_FUNCTION_BODY = """
BEGIN
    IF current_setting('tousu.audit_maintenance', true) = 'on' THEN
        IF TG_OP = 'DELETE' THEN
            RETURN OLD;
        END IF;
        RETURN NEW;
    END IF;
    RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'restrict_violation';
END
"""
# pg_trigger.tgtype bits: 1 row, 2 before, 8 delete, 16 update, 32 truncate.
PG_TRIGGERS = {(table, f"{table}_append_only"): 1 | 2 | 8 | 16 for table in TABLES} | {
    (table, f"{table}_no_truncate"): 2 | 32 for table in TABLES
}


def _normalised(text: str) -> str:
    return " ".join(text.split())


def triggers_problems(using: str = DEFAULT_DB_ALIAS) -> list[str]:
    """What is wrong with the append-only triggers: missing, disabled, replaced, bypassed."""
    connection = connections[using]
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            return _sqlite_problems(cursor)
        if connection.vendor == "postgresql":
            return _postgresql_problems(cursor)
    return [
        _("the append-only triggers exist only on SQLite and PostgreSQL, not %(vendor)s")
        % {"vendor": connection.vendor}
    ]


def _sqlite_problems(cursor: CursorWrapper) -> list[str]:
    problems: list[str] = []
    cursor.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'")
    present = dict(cursor.fetchall())
    for name, sql in SQLITE_TRIGGERS.items():
        if name not in present:
            problems.append(_("trigger %(name)s is missing") % {"name": name})
        elif _normalised(present[name]) != _normalised(sql):
            problems.append(_("trigger %(name)s was replaced") % {"name": name})
    cursor.execute(
        "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'audit_maintenance'"
    )
    if cursor.fetchone()[0] == 0:
        problems.append(_("the table audit_maintenance is missing"))
        return problems
    cursor.execute("SELECT active FROM audit_maintenance WHERE id = 1")
    row = cursor.fetchone()
    if row is not None and row[0] == 1:
        problems.append(_("the maintenance switch is on: the triggers let changes through"))
    return problems


def _postgresql_problems(cursor: CursorWrapper) -> list[str]:
    problems: list[str] = []
    cursor.execute(
        "SELECT c.relname, t.tgname, t.tgtype, t.tgenabled, p.proname, p.prosrc"
        " FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid"
        " JOIN pg_proc p ON p.oid = t.tgfoid"
        " WHERE NOT t.tgisinternal AND c.relname = ANY(%s)",
        [list(TABLES)],
    )
    present = {(row[0], row[1]): row[2:] for row in cursor.fetchall()}
    for (table, name), tgtype in PG_TRIGGERS.items():
        found = present.get((table, name))
        if found is None:
            problems.append(_("trigger %(name)s is missing") % {"name": name})
            continue
        found_type, enabled, function, source = found
        if enabled in ("D", "R"):
            problems.append(_("trigger %(name)s is disabled") % {"name": name})
        if (
            found_type != tgtype
            or function != "audit_append_only"
            or _normalised(source) != _normalised(PG_FUNCTION_BODY)
        ):
            problems.append(_("trigger %(name)s was replaced") % {"name": name})
    cursor.execute("SELECT current_setting('tousu.audit_maintenance', true)")
    if cursor.fetchone()[0] == "on":
        problems.append(
            _("the maintenance switch is on by default: the triggers let changes through")
        )
    return problems


@contextmanager
def audit_maintenance(using: str = DEFAULT_DB_ALIAS) -> Iterator[None]:
    """Let UPDATE, DELETE and TRUNCATE of the audit tables through, in one transaction.

    Only for wiping a test database (the flush between transactional tests, see
    ``tousu/conftest.py``) and for tests that play a forger: nothing in the application
    calls it. The switch is transaction-local on both vendors (``set_config(…, true)`` on
    PostgreSQL; on SQLite a row of ``audit_maintenance`` set back before commit), so no
    other connection ever sees it on.
    """
    with transaction.atomic(using=using):
        _maintenance_switch(using, on=True)
        yield
        _maintenance_switch(using, on=False)


def _maintenance_switch(using: str, *, on: bool) -> None:
    connection = connections[using]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT set_config('tousu.audit_maintenance', %s, true)", ["on" if on else "off"]
            )
        elif connection.vendor == "sqlite":
            cursor.execute("UPDATE audit_maintenance SET active = %s WHERE id = 1", [int(on)])
