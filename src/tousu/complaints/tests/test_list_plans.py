"""At a million complaints a list page is fast only if SQLite walks the recency index and
stops at the page, instead of gathering every row the gate or a filter matches through
other indexes and sorting them (0.8–2.5 s at 1M, measured). SQLite keeps no statistics,
so it chooses by rules: these tests hold its plan for the lists people open most.
PostgreSQL plans from statistics (``make bench`` measures it at 1M)."""

import pytest
from django.db import connection

from tousu.complaints.selectors import ComplaintFilter, complaints_list
from tousu.complaints.tests.factories import complaint_make

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        connection.vendor != "sqlite", reason="SQLite's planner; PostgreSQL plans by statistics"
    ),
]


def plan(user, **filters) -> str:
    queryset = complaints_list(user=user, filters=ComplaintFilter(**filters))[:26]
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
        rows = cursor.fetchall()
    top = [row[3] for row in rows if row[1] == 0]  # the outer query's steps
    return "\n".join(top)


@pytest.mark.parametrize(
    ("who", "filters"),
    [
        ("handler", {}),  # the gate: department subtree, received, assigned, participated
        ("handler", {"open": True, "category": "quality"}),
        ("leader", {"open": True}),
        ("leader", {"open": True, "category": "quality"}),
        ("leader", {"category": "quality"}),
    ],
)
def test_a_list_page_walks_the_recency_index_without_sorting(org, who, filters):
    complaint_make(org.clerk)
    steps = plan(getattr(org, who), **filters)
    assert "SCAN complaints_complaint USING INDEX complaint_received" in steps, steps
    assert "MULTI-INDEX OR" not in steps, steps
    assert "USE TEMP B-TREE FOR ORDER BY" not in steps, steps


def test_the_gate_and_filters_still_decide_what_is_listed(org):
    """The hints change how rows are found, never which: the handler sees their
    department's open complaints of the category, not another department's."""
    own = complaint_make(org.clerk, department="quality")
    other = complaint_make(org.clerk, department="after_sales")
    listed = set(
        complaints_list(user=org.handler, filters=ComplaintFilter(open=True)).values_list(
            "pk", flat=True
        )
    )
    assert own.pk in listed and other.pk not in listed
