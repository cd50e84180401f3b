"""Search of the complaint list: what a query is looked up by (the tracking number, the
text, and for roles that see complainants their phone number or name, by keyed
digests), and which complaints it finds — read through the indexes when few match,
tested row by row in the list's order when many do. Worked out once per request."""

from __future__ import annotations

import json
import re
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.db.models import Lookup, Q, QuerySet

from tousu.accounts.models import User
from tousu.complaints.lookup import (
    NAME_LIMIT,
    PHONE_SUFFIX_MIN,
    TRACKING_NO,
    name_key,
    name_normalise,
    phone_digits,
    phone_key,
)
from tousu.complaints.models import Complainant, ComplainantKey, Complaint
from tousu.complaints.search import (
    SEARCH_TEXT,
    query_has_text,
    text_containing,
    text_hits_sql,
)
from tousu.core.request_memo import request_memo

SEARCH_LIMIT = 200
# A keyword held by at most this many complaints is looked up through the text index
# and its complaints read by id; one held by more is tested row by row in list order.
RARE_HITS = 2_000
# A keyword PostgreSQL's statistics of the text index put above this many complaints is
# tested row by row at once, without reading its first ``RARE_HITS + 1`` ids to find out.
COMMON_ESTIMATE = 10 * RARE_HITS


def complaints_found(
    queryset: QuerySet[Complaint],
    query: str,
    *,
    user: User | AnonymousUser,
) -> QuerySet[Complaint]:
    """Narrow ``queryset`` to complaints that match ``query`` by what people say: the
    whole tracking number, the text, and — only for roles that may see complainants —
    the complainant's phone number (whole or its last 4+ digits) or whole name, by their
    keyed digests (no row is decrypted). A query with nothing to match finds nothing.

    When at most ``RARE_HITS`` complaints match, their ids are read first through the
    indexes and the list sorts only those; when more do (a common keyword), each row is
    tested as the list reads it in its order, so the newest-first page and a capped
    count stop early instead of sorting every complaint that holds the word."""
    query = query.strip()[:SEARCH_LIMIT]
    has_text, others, hits = search_look_up(query, user)
    if not has_text and not others:
        return queryset.none()
    # Few matches: their ids, read through the indexes, and the list sorts only those.
    if hits is not None:
        return queryset.filter(_among(hits))
    # Many: tested row by row as the list (or a capped count) reads rows, so it stops
    # at its page: a read of the text index would return most of the table.
    found = Q()
    for condition in others:
        found |= condition
    if has_text:
        queryset = queryset.alias(search_text=SEARCH_TEXT)
        found |= text_containing(query)
    return queryset.filter(found)


class _AnyOf(Lookup):
    """``id = ANY(%s)``: PostgreSQL takes the ids as one array, where ``IN`` binds and
    the planner reads up to ``RARE_HITS`` parameters, twice a page (its rows and count)."""

    lookup_name = "any_of"
    prepare_rhs = False

    def get_prep_lookup(self) -> list[int]:
        return list(self.rhs)

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, tuple[Any, ...]]:
        lhs, params = self.process_lhs(compiler, connection)
        return f"{lhs} = ANY(%s)", (*params, self.rhs)


Complaint._meta.get_field("id").register_lookup(_AnyOf)


def _among(ids: list[int]) -> Q:
    """Complaints whose id is one of ``ids``."""
    if connection.vendor == "postgresql":
        return Q(id__any_of=ids)
    return Q(pk__in=ids)


def search_look_up(
    query: str, user: User | AnonymousUser | None
) -> tuple[bool, list[Q], list[int] | None]:
    """The ways ``query`` is looked up (``_ways``) and, when it has any, the ids of its
    matches if few (``_hits``): worked out once in a request, which asks it for its page,
    its count and the count's cap."""
    sees = isinstance(user, User) and user.sees_personal_data

    def work() -> tuple[bool, list[Q], list[int] | None]:
        has_text, others = _ways(query, user)
        hits = _hits(query, has_text, others) if has_text or others else None
        return has_text, others, hits

    return request_memo(("complaints.search", query, sees), work)


def _ways(query: str, user: User | AnonymousUser | None) -> tuple[bool, list[Q]]:
    """Whether ``query`` holds text to look for, and the other ways it is looked up, each
    a condition served by its own index."""
    others: list[Q] = []
    if TRACKING_NO.fullmatch(query.upper()):
        others.append(Q(tracking_no=query.upper()))
    if isinstance(user, User) and user.sees_personal_data:
        digits = phone_digits(query)
        if len(digits) >= PHONE_SUFFIX_MIN and not re.search(r"[^\d\s+()（）\-—]", query):
            keyed = ComplainantKey.objects.filter(digest=phone_key(digits))
            others.append(Q(complainant_id__in=keyed.values("complainant_id")))
        name = name_normalise(query)
        if name and len(name) <= NAME_LIMIT:
            named = Complainant.objects.filter(name_digest=name_key(name))
            others.append(Q(complainant_id__in=named.values("pk")))
    return query_has_text(query), others


def _hits(query: str, has_text: bool, others: list[Q]) -> list[int] | None:
    """The ids of every complaint ``query`` matches (gate aside) when there are at most
    ``RARE_HITS`` of them, else None: one statement, each way through its own index and
    stopped after ``RARE_HITS + 1`` ids."""
    parts: list[tuple[str, list[Any]]] = []
    if has_text:
        found = text_hits_sql(query)
        if found is None:
            return None  # a single Chinese character: no index holds it
        if _estimate(*found) > COMMON_ESTIMATE:
            return None  # surely common: the union would hold more than RARE_HITS
        parts.append(found)
    for condition in others:
        sql, params = (
            Complaint.objects.filter(condition)
            .order_by()
            .values_list("pk", flat=True)
            .query.sql_with_params()
        )
        parts.append((sql, list(params)))
    limit = RARE_HITS + 1
    # Constant SQL (the ORM's and the index's statements); values are parameters.
    statement = " UNION ALL ".join(
        "SELECT * FROM (" + sql + f" LIMIT %s) AS w{n}"  # noqa: S608
        for n, (sql, _p) in enumerate(parts)
    )
    params = tuple(v for _sql, p in parts for v in (*p, limit))

    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        ids = [row[0] for row in cursor.fetchall()]
    return sorted(set(ids)) if len(ids) <= RARE_HITS else None


def _estimate(sql: str, params: list[Any]) -> int:
    """The rows PostgreSQL's planner expects ``sql`` to return (its statistics of the
    text index's words, kept by ANALYZE); 0 elsewhere. Only chooses between two ways that
    find the same complaints: a wrong estimate costs time, never a result."""
    if connection.vendor != "postgresql":
        return 0

    def read() -> int:
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN (FORMAT JSON) " + sql, params)  # noqa: S608 - constant SQL
            plan = cursor.fetchone()[0]
        if isinstance(plan, str):
            plan = json.loads(plan)
        return int(plan[0]["Plan"]["Plan Rows"])

    return request_memo(("complaints.estimate", sql, tuple(params)), read)
