"""Chinese keyword search over complaint text, on SQLite and PostgreSQL alike.

Text is indexed as overlapping character bigrams for runs of CJK characters and as
lower-cased words for everything else; a query is the phrase of its own bigrams, so a
two-character keyword is one token and longer keywords match only adjacent bigrams.
SQLite's FTS5 trigram tokenizer cannot find two-character words; this can, and the
same document serves PostgreSQL's ``simple`` text search (a stored vector column with a
GIN index).
"""

from __future__ import annotations

import re

from django.db import connection
from django.db.models import QuerySet
from django.db.models.expressions import RawSQL

_CJK = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_RUN = re.compile(rf"[{_CJK}]+|[0-9A-Za-z\u00c0-\u024f]+")


def _tokens(text: str) -> list[str]:
    tokens: list[str] = []
    for run in _RUN.findall(text):
        if re.match(rf"[{_CJK}]", run):
            if len(run) == 1:
                tokens.append(run)
            else:
                tokens.extend(run[i : i + 2] for i in range(len(run) - 1))
        else:
            tokens.append(run.lower())
    return tokens


def document_for(*parts: str) -> str:
    """The indexed form of a complaint's text fields."""
    return " ".join(" ".join(_tokens(part)) for part in parts if part)


def _query_phrases(query: str) -> list[list[str]]:
    """One phrase (token list) per whitespace-separated keyword."""
    return [tokens for word in query.split() if (tokens := _tokens(word))]


def query_has_text(query: str) -> bool:
    """Whether ``query`` holds any word or Chinese character to look for (not only
    punctuation)."""
    return bool(_query_phrases(query))


def complaints_matching(queryset: QuerySet, query: str) -> QuerySet:
    """Narrow ``queryset`` (of complaints) to those whose text holds every keyword."""
    phrases = _query_phrases(query)
    if not phrases:
        return queryset
    # A single CJK character is not a token of the index: fall back to a scan for it.
    short = [p[0] for p in phrases if len(p) == 1 and len(p[0]) == 1 and not p[0].isascii()]
    indexed = [p for p in phrases if p[0] not in short or len(p) > 1]
    for char in short:
        queryset = queryset.filter(search_document__document__contains=char)
    if not indexed:
        return queryset
    if connection.vendor == "postgresql":
        tsquery = " & ".join("(" + " <-> ".join(_pg_quote(t) for t in p) + ")" for p in indexed)
        sql = (
            "SELECT complaint_id FROM complaints_complaintsearchdocument"
            " WHERE search_vector @@ to_tsquery('simple', %s)"
        )
        # The query text is a bound parameter; the SQL itself is constant.
        return queryset.filter(pk__in=RawSQL(sql, [tsquery]))  # noqa: S611
    match = " AND ".join('"' + " ".join(p) + '"' for p in indexed)
    sql = "SELECT rowid FROM complaints_search_fts WHERE complaints_search_fts MATCH %s"
    return queryset.filter(pk__in=RawSQL(sql, [match]))  # noqa: S611


def _pg_quote(token: str) -> str:
    return "'" + token.replace("'", "''").replace("\\", "\\\\") + "'"
