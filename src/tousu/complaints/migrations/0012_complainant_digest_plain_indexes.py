"""The complainant's digest columns keep one plain index each. ``db_index`` on a
``CharField`` gave them two on PostgreSQL: the plain one and a ``varchar_pattern_ops``
copy for ``LIKE`` that no query uses (digests are compared whole). Dropping the copy
saves an index entry a digest on every registration (ten of them: the complainant's two
and the phone suffixes' eight) and their disk and WAL.

The plain indexes are kept and renamed, not built again, so the migration takes no time
on a large table: on PostgreSQL ``DROP INDEX`` of the copies and ``ALTER INDEX … RENAME``;
on SQLite (which has only the plain ones and cannot rename an index) they are dropped
and made again under the new name.
"""

from django.db import migrations, models

# (table, column, new index name) of each digest.
DIGESTS = [
    ("complaints_complainant", "phone_digest", "complainant_phone_digest"),
    ("complaints_complainant", "name_digest", "complainant_name_digest"),
    ("complaints_complainantkey", "digest", "complainantkey_digest"),
]


def _old(schema_editor, table: str, column: str) -> str:
    """The name ``db_index`` gave the plain index (its pattern copy adds ``_like``)."""
    return schema_editor._create_index_name(table, [column])


def _remake(schema_editor, table: str, column: str, source: str, target: str) -> None:
    quote = schema_editor.quote_name
    schema_editor.execute(f"DROP INDEX {quote(source)}")
    schema_editor.execute(f"CREATE INDEX {quote(target)} ON {quote(table)} ({quote(column)})")


def forwards(apps, schema_editor):
    quote = schema_editor.quote_name
    for table, column, new in DIGESTS:
        old = _old(schema_editor, table, column)
        if schema_editor.connection.vendor != "postgresql":
            _remake(schema_editor, table, column, old, new)
            continue
        schema_editor.execute(f"DROP INDEX IF EXISTS {quote(old + '_like')}")
        schema_editor.execute(f"ALTER INDEX {quote(old)} RENAME TO {quote(new)}")


def backwards(apps, schema_editor):
    quote = schema_editor.quote_name
    for table, column, new in DIGESTS:
        old = _old(schema_editor, table, column)
        if schema_editor.connection.vendor != "postgresql":
            _remake(schema_editor, table, column, new, old)
            continue
        schema_editor.execute(f"ALTER INDEX {quote(new)} RENAME TO {quote(old)}")
        schema_editor.execute(
            f"CREATE INDEX {quote(old + '_like')} ON {quote(table)}"
            f" ({quote(column)} varchar_pattern_ops)"
        )


class Migration(migrations.Migration):
    dependencies = [
        ("complaints", "0011_complaint_add_dashboard_index"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunPython(forwards, backwards)],
            state_operations=[
                migrations.AlterField(
                    model_name="complainant",
                    name="name_digest",
                    field=models.CharField(blank=True, max_length=64),
                ),
                migrations.AlterField(
                    model_name="complainant",
                    name="phone_digest",
                    field=models.CharField(blank=True, max_length=64),
                ),
                migrations.AlterField(
                    model_name="complainantkey",
                    name="digest",
                    field=models.CharField(max_length=64),
                ),
                migrations.AddIndex(
                    model_name="complainant",
                    index=models.Index(fields=["phone_digest"], name="complainant_phone_digest"),
                ),
                migrations.AddIndex(
                    model_name="complainant",
                    index=models.Index(fields=["name_digest"], name="complainant_name_digest"),
                ),
                migrations.AddIndex(
                    model_name="complainantkey",
                    index=models.Index(fields=["digest"], name="complainantkey_digest"),
                ),
            ],
        ),
    ]
