"""The complaint's stage and tracking number keep one index each. ``db_index`` and
``unique=True`` on a ``CharField`` gave them two on PostgreSQL: the plain one and a
``varchar_pattern_ops`` copy for ``LIKE`` that no query uses (stages and numbers are
compared whole). Dropping the copies saves two index entries on every registration, and
their disk and WAL: at the growth page's 20 million complaints a year, about a gigabyte
of index a year.

Nothing is built again, so the migration takes no time on a large table: on PostgreSQL
``DROP INDEX`` of the copies, ``ALTER INDEX … RENAME`` of the stage's plain index and
``RENAME CONSTRAINT`` of the number's unique constraint. On SQLite (no copies, and no
renaming of an index) the stage's index is dropped and made again under its new name,
and the number's unique rule stays in the table as written (the constraint in the model
is the same rule).
"""

from django.db import migrations, models

TABLE, STAGE, NUMBER = "complaints_complaint", "stage", "tracking_no"
STAGE_INDEX, NUMBER_CONSTRAINT = "complaint_stage", "complaint_tracking_no"


def _old_index(schema_editor, column: str) -> str:
    """The name ``db_index`` gave a column's plain index (its pattern copy adds
    ``_like``; ``unique=True``'s pattern copy has the same name)."""
    return schema_editor._create_index_name(TABLE, [column])


def _unique_constraint(schema_editor) -> str:
    """The name PostgreSQL or Django gave the number's unique constraint."""
    with schema_editor.connection.cursor() as cursor:
        constraints = schema_editor.connection.introspection.get_constraints(cursor, TABLE)
    return next(
        name
        for name, facts in constraints.items()
        if facts["unique"] and not facts["primary_key"] and facts["columns"] == [NUMBER]
    )


def _remake(schema_editor, source: str, target: str) -> None:
    quote = schema_editor.quote_name
    schema_editor.execute(f"DROP INDEX {quote(source)}")
    schema_editor.execute(f"CREATE INDEX {quote(target)} ON {quote(TABLE)} ({quote(STAGE)})")


def forwards(apps, schema_editor):
    quote = schema_editor.quote_name
    stage = _old_index(schema_editor, STAGE)
    if schema_editor.connection.vendor != "postgresql":
        _remake(schema_editor, stage, STAGE_INDEX)
        return
    schema_editor.execute(f"DROP INDEX IF EXISTS {quote(stage + '_like')}")
    schema_editor.execute(f"ALTER INDEX {quote(stage)} RENAME TO {quote(STAGE_INDEX)}")
    number = _old_index(schema_editor, NUMBER)
    schema_editor.execute(f"DROP INDEX IF EXISTS {quote(number + '_like')}")
    unique = _unique_constraint(schema_editor)
    schema_editor.execute(
        f"ALTER TABLE {quote(TABLE)} RENAME CONSTRAINT {quote(unique)}"
        f" TO {quote(NUMBER_CONSTRAINT)}"
    )


def backwards(apps, schema_editor):
    quote = schema_editor.quote_name
    stage = _old_index(schema_editor, STAGE)
    if schema_editor.connection.vendor != "postgresql":
        _remake(schema_editor, STAGE_INDEX, stage)
        return
    schema_editor.execute(f"ALTER INDEX {quote(STAGE_INDEX)} RENAME TO {quote(stage)}")
    number = _old_index(schema_editor, NUMBER)
    for column, name in ((STAGE, stage), (NUMBER, number)):
        schema_editor.execute(
            f"CREATE INDEX {quote(name + '_like')} ON {quote(TABLE)}"
            f" ({quote(column)} varchar_pattern_ops)"
        )
    schema_editor.execute(
        f"ALTER TABLE {quote(TABLE)} RENAME CONSTRAINT {quote(NUMBER_CONSTRAINT)}"
        f" TO {quote(TABLE + '_' + NUMBER + '_key')}"
    )


class Migration(migrations.Migration):
    dependencies = [
        ("complaints", "0012_complainant_digest_plain_indexes"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunPython(forwards, backwards)],
            state_operations=[
                migrations.AlterField(
                    model_name="complaint",
                    name="stage",
                    field=models.CharField(blank=True, max_length=64, verbose_name="stage"),
                ),
                migrations.AlterField(
                    model_name="complaint",
                    name="tracking_no",
                    field=models.CharField(max_length=32, verbose_name="tracking number"),
                ),
                migrations.AddIndex(
                    model_name="complaint",
                    index=models.Index(fields=["stage"], name=STAGE_INDEX),
                ),
                migrations.AddConstraint(
                    model_name="complaint",
                    constraint=models.UniqueConstraint(
                        fields=["tracking_no"], name=NUMBER_CONSTRAINT
                    ),
                ),
            ],
        ),
    ]
