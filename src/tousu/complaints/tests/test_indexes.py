"""The complaint's text columns that are compared whole keep one index each: no
``LIKE`` copy (``varchar_pattern_ops``) that every registration would write for
nothing. The tracking number stays unique."""

import pytest
from django.db import IntegrityError, connection, transaction

from tousu.complaints.tests.factories import complaint_make

# The tables a registration writes, whose text columns are only ever compared whole.
TABLES = ["complaints_complaint", "complaints_complainant", "complaints_complainantkey"]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's pattern copies")
@pytest.mark.django_db
def test_no_pattern_index_is_written_beside_a_plain_one():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = ANY(%s)", [TABLES]
        )
        indexes = dict(cursor.fetchall())
    copies = [name for name, definition in indexes.items() if "pattern_ops" in definition]
    assert copies == []
    assert "(stage)" in indexes["complaint_stage"]
    assert "UNIQUE" in indexes["complaint_tracking_no"]


def test_a_tracking_number_is_still_unique(org):
    first = complaint_make(org.clerk)
    second = complaint_make(org.clerk)
    with pytest.raises(IntegrityError), transaction.atomic():
        type(second).objects.filter(pk=second.pk).update(tracking_no=first.tracking_no)
