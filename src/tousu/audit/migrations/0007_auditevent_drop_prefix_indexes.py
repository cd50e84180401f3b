"""The audit event's ``chain``, ``complaint`` and ``incident`` keys lose their
single-column indexes: each leads a composite index (``audit_chain_seq``,
``audit_complaint_seq``, ``audit_incident_seq``) that serves the same look-ups, so they
were only ever written — three index entries an event, on the largest table.

The indexes are dropped by name rather than by ``AlterField``: on SQLite that would
rebuild the table and lose its append-only triggers.
"""

import django.db.models.deletion
from django.db import migrations, models

TABLE = "audit_auditevent"
COLUMNS = ["chain_id", "complaint_id", "incident_id"]


def forwards(apps, schema_editor):
    for column in COLUMNS:
        name = schema_editor._create_index_name(TABLE, [column])
        schema_editor.execute(f"DROP INDEX IF EXISTS {schema_editor.quote_name(name)}")


def backwards(apps, schema_editor):
    quote = schema_editor.quote_name
    for column in COLUMNS:
        name = schema_editor._create_index_name(TABLE, [column])
        schema_editor.execute(f"CREATE INDEX {quote(name)} ON {quote(TABLE)} ({quote(column)})")


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0006_audit_append_only_triggers"),
        ("complaints", "0012_complainant_digest_plain_indexes"),
        ("incidents", "0004_incident_one_running_per_group"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunPython(forwards, backwards)],
            state_operations=[
                migrations.AlterField(
                    model_name="auditevent",
                    name="chain",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="events",
                        to="audit.auditchain",
                        verbose_name="chain",
                    ),
                ),
                migrations.AlterField(
                    model_name="auditevent",
                    name="complaint",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="events",
                        to="complaints.complaint",
                        verbose_name="complaint",
                    ),
                ),
                migrations.AlterField(
                    model_name="auditevent",
                    name="incident",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="events",
                        to="incidents.incident",
                        verbose_name="incident",
                    ),
                ),
            ],
        ),
    ]
