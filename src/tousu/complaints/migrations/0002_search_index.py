"""Full-text index over ComplaintSearchDocument, one per database vendor.

SQLite: an FTS5 external-content table kept in step by triggers (unicode61 tokenizer,
the document already holds the bigrams). PostgreSQL: a GIN index over the ``simple``
text-search vector of the same document.
"""

from django.db import migrations

SQLITE_UP = [
    "CREATE VIRTUAL TABLE complaints_search_fts USING fts5("
    "document, content='complaints_complaintsearchdocument', content_rowid='complaint_id',"
    " tokenize='unicode61 remove_diacritics 0')",
    "CREATE TRIGGER complaints_search_ai AFTER INSERT ON complaints_complaintsearchdocument"
    " BEGIN INSERT INTO complaints_search_fts(rowid, document)"
    " VALUES (new.complaint_id, new.document); END",
    "CREATE TRIGGER complaints_search_ad AFTER DELETE ON complaints_complaintsearchdocument"
    " BEGIN INSERT INTO complaints_search_fts(complaints_search_fts, rowid, document)"
    " VALUES ('delete', old.complaint_id, old.document); END",
    "CREATE TRIGGER complaints_search_au AFTER UPDATE ON complaints_complaintsearchdocument"
    " BEGIN INSERT INTO complaints_search_fts(complaints_search_fts, rowid, document)"
    " VALUES ('delete', old.complaint_id, old.document);"
    " INSERT INTO complaints_search_fts(rowid, document)"
    " VALUES (new.complaint_id, new.document); END",
]
SQLITE_DOWN = [
    "DROP TRIGGER complaints_search_au",
    "DROP TRIGGER complaints_search_ad",
    "DROP TRIGGER complaints_search_ai",
    "DROP TABLE complaints_search_fts",
]
PG_UP = (
    "CREATE INDEX complaints_search_gin ON complaints_complaintsearchdocument"
    " USING gin (to_tsvector('simple', document))"
)
PG_DOWN = "DROP INDEX complaints_search_gin"


def forwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    statements = SQLITE_UP if vendor == "sqlite" else [PG_UP] if vendor == "postgresql" else []
    for sql in statements:
        schema_editor.execute(sql)


def backwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    statements = SQLITE_DOWN if vendor == "sqlite" else [PG_DOWN] if vendor == "postgresql" else []
    for sql in statements:
        schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("complaints", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
