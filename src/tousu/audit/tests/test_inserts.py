"""``rows_insert`` prepares each value as the model's field would: a time stamp's shortcut
gives exactly the field's value, and what it does not cover goes through the field."""

from __future__ import annotations

import warnings
from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from django.db import connection

from tousu.audit import inserts
from tousu.audit.inserts import insert_parts, rows_insert
from tousu.complaints.models import SimilarityBand
from tousu.complaints.tests.factories import complaint_make

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
AWARE = [
    datetime(2026, 3, 15, 9, 30, tzinfo=UTC),
    datetime(2026, 3, 15, 23, 59, 59, 999_999, tzinfo=SHANGHAI),
    datetime(2026, 1, 1, 0, 0, 0, 1, tzinfo=timezone(timedelta(hours=-5, minutes=-30))),
]


def _received_at_step():
    insert = insert_parts(SimilarityBand, ("received_at",), None, False)
    return insert.prepare[0]


def test_a_time_stamp_is_prepared_as_its_field_prepares_it():
    field = SimilarityBand._meta.get_field("received_at")
    step = _received_at_step()
    assert step is not None and step != field.get_db_prep_save  # the shortcut, not the field
    for value in [*AWARE, None]:
        assert step(value, connection) == field.get_db_prep_save(value, connection), value


def test_a_naive_time_stamp_still_goes_through_the_field_with_its_warning():
    field = SimilarityBand._meta.get_field("received_at")
    naive = datetime(2026, 3, 15, 9, 30)  # noqa: DTZ001 - naive on purpose
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert _received_at_step()(naive, connection) == field.get_db_prep_save(naive, connection)
    assert len(caught) == 2  # one from the step, one from the comparison's own call
    assert all("naive datetime" in str(w.message) for w in caught)


def test_rows_read_back_at_the_instant_they_were_written(org):
    complaint = complaint_make(org.clerk)
    rows = [(complaint.pk, band, 1000 + band, moment) for band, moment in enumerate(AWARE)]
    rows_insert(SimilarityBand, ("complaint", "band", "bucket", "received_at"), rows)
    stored = SimilarityBand.objects.filter(complaint=complaint).order_by("band")
    assert [band.received_at for band in stored] == AWARE


def test_one_instant_in_two_zones_is_one_text_and_the_kept_texts_stay_bounded(monkeypatch):
    monkeypatch.setattr(inserts, "STAMP_TEXTS_MAX", 3)
    monkeypatch.setattr(inserts, "_STAMP_TEXTS", {})
    field = SimilarityBand._meta.get_field("received_at")
    step = _received_at_step()
    utc = datetime(2026, 3, 15, 1, 30, tzinfo=UTC)
    for value in [utc, utc.astimezone(SHANGHAI), *AWARE, utc]:
        assert step(value, connection) == field.get_db_prep_save(value, connection)
        assert len(inserts._STAMP_TEXTS) <= 3
