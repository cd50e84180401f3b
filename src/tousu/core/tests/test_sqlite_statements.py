"""SQLite's cursor keeps each statement's ``?`` form for its next run
(``tousu.core.sqlite``): the same rows as Django's own conversion, literal ``%`` signs
and named parameters included."""

from __future__ import annotations

import pytest
from django.db import connection

from tousu.core.sqlite import base

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's cursor"),
]

STATEMENT = "SELECT %s || '%%s', '100%%', %s WHERE %s LIKE '1%%'"


def _run(sql: str, params) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def test_a_statement_run_again_reads_its_kept_form_with_the_same_rows():
    base._converted.pop(STATEMENT, None)
    first = _run(STATEMENT, ["a", 2, "12"])
    assert base._converted[STATEMENT] == "SELECT ? || '%s', '100%', ? WHERE ? LIKE '1%'"
    assert first == [("a%s", "100%", 2)]
    assert _run(STATEMENT, ["b", 3, "13"]) == [("b%s", "100%", 3)]
    assert _run(STATEMENT, ["b", 3, "23"]) == []


def test_named_parameters_are_converted_as_django_converts_them():
    sql = "SELECT %(first)s, %(second)s"
    assert _run(sql, {"first": 1, "second": "二"}) == [(1, "二")]
    assert sql not in base._converted


def test_the_kept_forms_start_over_past_their_bound(monkeypatch):
    monkeypatch.setattr(base, "CONVERTED_MAX", 2)
    monkeypatch.setattr(base, "_converted", {})
    for number in range(5):
        assert _run(f"SELECT %s + {number}", [1]) == [(1 + number,)]
        assert len(base._converted) <= 2


def test_statement_journals_and_temporary_tables_stay_in_memory():
    """A registration's multi-row INSERTs keep statement journals: in memory, not in a
    file SQLite would create and remove in /var/tmp for each transaction."""
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA temp_store")
        assert cursor.fetchone() == (2,)  # MEMORY
