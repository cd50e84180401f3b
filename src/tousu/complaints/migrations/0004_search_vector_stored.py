"""PostgreSQL: keep the text-search vector in a stored generated column.

Matching then reads the vector instead of computing ``to_tsvector`` per row, so a scan
(which the planner may choose for a common word, to count hits) stays cheap, and the GIN
index is over the column. SQLite keeps its FTS5 table and is unchanged.
"""

from django.db import migrations

PG_UP = [
    "ALTER TABLE complaints_complaintsearchdocument ADD COLUMN search_vector tsvector"
    " GENERATED ALWAYS AS (to_tsvector('simple', document)) STORED",
    "CREATE INDEX complaints_search_vector_gin ON complaints_complaintsearchdocument"
    " USING gin (search_vector)",
    "DROP INDEX complaints_search_gin",
]
PG_DOWN = [
    "CREATE INDEX complaints_search_gin ON complaints_complaintsearchdocument"
    " USING gin (to_tsvector('simple', document))",
    "DROP INDEX complaints_search_vector_gin",
    "ALTER TABLE complaints_complaintsearchdocument DROP COLUMN search_vector",
]


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for sql in PG_UP:
            schema_editor.execute(sql)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for sql in PG_DOWN:
            schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("complaints", "0003_complaint_add_workflow_fields")]
    operations = [migrations.RunPython(forwards, backwards)]
