"""The database refuses UPDATE, DELETE (and on PostgreSQL TRUNCATE) of events and seals.

SQLite: BEFORE UPDATE and BEFORE DELETE triggers that abort unless the one-row table
``audit_maintenance`` is switched on. PostgreSQL: ``audit_append_only()`` as a BEFORE
UPDATE OR DELETE row trigger and a BEFORE TRUNCATE statement trigger; it lets a change
through only while ``tousu.audit_maintenance`` is 'on' in that transaction. Only the
test suite's flush switches maintenance on (``tousu.audit.triggers.audit_maintenance``).

``tousu.audit.triggers`` holds the same SQL, to tell a dropped or replaced trigger.
On SQLite a later migration that rebuilds one of these tables drops its triggers with
the old table: it must create them again (verify reports them missing until then).
"""

from django.db import migrations

TABLES = ("audit_auditevent", "audit_auditseal")


def _sqlite_trigger(table, operation):
    # Built from the fixed names above, never from input.
    return (
        f"CREATE TRIGGER {table}_no_{operation.lower()} BEFORE {operation} ON {table}"  # noqa: S608
        " WHEN (SELECT active FROM audit_maintenance WHERE id = 1) IS NOT 1"
        f" BEGIN SELECT RAISE(ABORT, '{table} is append-only: {operation} refused'); END"
    )


SQLITE_UP = [
    "CREATE TABLE audit_maintenance"
    " (id integer NOT NULL PRIMARY KEY CHECK (id = 1), active integer NOT NULL DEFAULT 0)",
    "INSERT INTO audit_maintenance (id, active) VALUES (1, 0)",
    *(_sqlite_trigger(t, op) for t in TABLES for op in ("UPDATE", "DELETE")),
]
SQLITE_DOWN = [
    *(f"DROP TRIGGER {t}_no_{op}" for t in TABLES for op in ("update", "delete")),
    "DROP TABLE audit_maintenance",
]

PG_FUNCTION = """CREATE FUNCTION audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
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
$$"""
PG_UP = [
    PG_FUNCTION,
    *(
        sql
        for t in TABLES
        for sql in (
            f"CREATE TRIGGER {t}_append_only BEFORE UPDATE OR DELETE ON {t}"
            " FOR EACH ROW EXECUTE FUNCTION audit_append_only()",
            f"CREATE TRIGGER {t}_no_truncate BEFORE TRUNCATE ON {t}"
            " FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only()",
        )
    ),
]
PG_DOWN = [
    *(f"DROP TRIGGER {t}_{name} ON {t}" for t in TABLES for name in ("append_only", "no_truncate")),
    "DROP FUNCTION audit_append_only()",
]


def forwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for sql in {"sqlite": SQLITE_UP, "postgresql": PG_UP}.get(vendor, []):
        schema_editor.execute(sql, params=None)


def backwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for sql in {"sqlite": SQLITE_DOWN, "postgresql": PG_DOWN}.get(vendor, []):
        schema_editor.execute(sql, params=None)


class Migration(migrations.Migration):
    dependencies = [("audit", "0005_auditevent_seq_is_pk_auditseal")]
    operations = [migrations.RunPython(forwards, backwards)]
