"""Hints to SQLite's query planner for the complaint lists, which at a million rows
decide between a page in milliseconds and a sort of every match in seconds. SQLite keeps
no statistics unless asked, so it picks indexes by rules: a condition it can serve from
an index wins over walking the recency index (``complaint_received``) that gives the
list its order. PostgreSQL plans from statistics and gets the conditions unchanged."""

from __future__ import annotations

from typing import Any

from django.db.models import BooleanField, ExpressionWrapper, Func, Q


class Broad(Func):
    """A condition many rows meet (the gate of someone who sees a department, the open
    statuses, a category). On SQLite it is hidden from the planner's index choice (a
    CASE, marked ``likely()``), so it walks the recency index and stops at the page's
    last row instead of gathering every match through other indexes and sorting them
    (seconds at a million rows); elsewhere it is the condition itself."""

    output_field = BooleanField()

    def __init__(self, condition: Q) -> None:
        super().__init__(ExpressionWrapper(condition, output_field=BooleanField()))

    def as_sql(  # type: ignore[override]
        self, compiler: Any, connection: Any, **extra_context: Any
    ) -> tuple[str, tuple[Any, ...]]:
        sql, params = compiler.compile(self.get_source_expressions()[0])
        return sql, tuple(params)

    def as_sqlite(
        self, compiler: Any, connection: Any, **extra_context: Any
    ) -> tuple[str, tuple[Any, ...]]:
        sql, params = compiler.compile(self.get_source_expressions()[0])
        return f"likely(CASE WHEN {sql} THEN 1 ELSE 0 END)", tuple(params)
