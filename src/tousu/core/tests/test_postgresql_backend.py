"""The PostgreSQL backend's cursor keeps psycopg's parse of a long statement: what it
sends is what psycopg would send, the parse is made once, and statements beyond the
bound are parsed afresh each time as psycopg does."""

from __future__ import annotations

import pytest
from django.db import ProgrammingError, connection
from psycopg import _queries, adapt

from tousu.core.postgresql.base import (
    LONG_BYTES,
    LongStatementQuery,
    ServerBindingCursor,
    _long_parse,
)

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


def _sum_of(count: int, pad: int = 0) -> tuple[str, list[int]]:
    """A statement adding ``count`` bound integers (each cast, so the text is long)."""
    terms = " + ".join(["%s::bigint"] * count)
    return f"SELECT {terms} AS total /* {'x' * pad} */", list(range(count))


def _converted(query_cls: type[_queries.PostgresQuery], sql: str, params: list[int]):
    with connection.cursor() as cursor:
        query = query_cls(adapt.Transformer(cursor.cursor))
        query.convert(sql, params)
        return query.query, list(query.params or []), query.types


def test_connections_use_the_cursor_that_keeps_long_parses():
    with connection.cursor() as cursor:
        assert isinstance(cursor.cursor, ServerBindingCursor)
        assert type(cursor.cursor)._query_cls is LongStatementQuery


def test_a_long_statement_is_sent_as_psycopg_would_send_it_and_parsed_once():
    sql, params = _sum_of(400)  # over psycopg's 4,096 bytes and 50 parameters
    assert len(sql) > _queries.MAX_CACHED_STATEMENT_LENGTH
    _long_parse.cache_clear()

    assert _converted(LongStatementQuery, sql, params) == _converted(
        _queries.PostgresQuery, sql, params
    )
    with connection.cursor() as cursor:
        for _ in range(3):
            cursor.execute(sql, params)
            assert cursor.fetchone() == (sum(params),)
    info = _long_parse.cache_info()
    assert info.currsize == 1 and info.misses == 1 and info.hits == 3


def test_short_and_oversized_statements_are_left_to_psycopg():
    _long_parse.cache_clear()
    short_sql, short_params = _sum_of(3)
    huge_sql, huge_params = _sum_of(10, pad=LONG_BYTES)
    with connection.cursor() as cursor:
        cursor.execute(short_sql, short_params)
        assert cursor.fetchone() == (3,)
        cursor.execute(huge_sql, huge_params)
        assert cursor.fetchone() == (45,)
    assert _long_parse.cache_info().currsize == 0


def test_a_bad_long_statement_fails_as_psycopg_fails():
    sql, params = _sum_of(400)
    with (
        connection.cursor() as cursor,
        pytest.raises(ProgrammingError, match="400 placeholders but 399 parameters"),
    ):
        cursor.execute(sql, params[:-1])  # one placeholder without its value
