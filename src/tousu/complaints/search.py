"""Chinese keyword search over complaint text, on SQLite and PostgreSQL alike.

Text is indexed as overlapping character bigrams for runs of CJK characters and as
lower-cased words for everything else; a query is the phrase of its own bigrams, so a
two-character keyword is one token and longer keywords match only adjacent bigrams.
SQLite's FTS5 trigram tokenizer cannot find two-character words; this can, and the
same document serves PostgreSQL's ``simple`` text search (a stored vector column with a
GIN index).
"""

from __future__ import annotations

import operator
import re
from typing import Any

from django.db import connection
from django.db.models import BooleanField, Expression, F, Q, TextField, Value
from django.db.models.functions import Concat

# The CJK ideograph ranges (with the compatibility ideographs); shared with ``shingles``.
CJK = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
CJK_CHAR = re.compile(rf"[{CJK}]")
_RUN = re.compile(rf"[{CJK}]+|[0-9A-Za-z\u00c0-\u024f]+")


def _tokens(text: str) -> list[str]:
    tokens: list[str] = []
    for run in _RUN.findall(text):
        if CJK_CHAR.match(run):
            if len(run) == 1:
                tokens.append(run)
            else:  # its bigrams: each character joined to the next
                tokens.extend(map(operator.add, run, run[1:]))
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


def _split(query: str) -> tuple[list[str], list[list[str]]]:
    """The single Chinese characters of ``query`` (not tokens of the index: found by a
    scan) and its indexed phrases."""
    phrases = _query_phrases(query)
    short = [p[0] for p in phrases if len(p) == 1 and len(p[0]) == 1 and not p[0].isascii()]
    indexed = [p for p in phrases if p[0] not in short or len(p) > 1]
    return short, indexed


def _tsquery(indexed: list[list[str]]) -> str:
    """PostgreSQL's query of every phrase, each its tokens side by side."""
    return " & ".join("(" + " <-> ".join(_pg_quote(t) for t in p) + ")" for p in indexed)


def _index_sql(indexed: list[list[str]]) -> tuple[str, list[str]]:
    """The ids of complaints whose document holds every phrase, through the text index."""
    if connection.vendor == "postgresql":
        sql = (
            "SELECT complaint_id FROM complaints_complaintsearchdocument"
            " WHERE search_vector @@ to_tsquery('simple', %s)"
        )
        return sql, [_tsquery(indexed)]
    match = " AND ".join('"' + " ".join(p) + '"' for p in indexed)
    return "SELECT rowid FROM complaints_search_fts WHERE complaints_search_fts MATCH %s", [match]


def text_hits_sql(query: str) -> tuple[str, list[str]] | None:
    """The statement selecting the ids of the complaints whose text holds every keyword
    of ``query`` through the text index; None when the query has a single Chinese
    character, which the index does not hold (or no text at all)."""
    short, indexed = _split(query)
    if short or not indexed:
        return None
    return _index_sql(indexed)


# The complaint's document between spaces, so a phrase is found as whole tokens.
SEARCH_TEXT = Concat(
    Value(" "), F("search_document__document"), Value(" "), output_field=TextField()
)


class _VectorMatches(Expression):
    """PostgreSQL: the complaint's stored text vector (the search document's
    ``search_vector``, joined as ``search_document``) matches a text query — the test
    the index makes, made on one row, at less than half the cost of a LIKE over the
    document."""

    output_field = BooleanField()
    conditional = True

    def __init__(self, tsquery: str, alias: str | None = None):
        super().__init__()
        self.tsquery, self.alias = tsquery, alias

    def resolve_expression(
        self,
        query: Any = None,
        allow_joins: bool = True,
        reuse: set[str] | None = None,
        summarize: bool = False,
        for_save: bool = False,
    ) -> _VectorMatches:
        column: Any = F("search_document__document").resolve_expression(
            query, allow_joins, reuse, summarize
        )
        return _VectorMatches(self.tsquery, column.alias)

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, tuple[str, ...]]:
        table = compiler.quote_name_unless_alias(self.alias)
        return f"{table}.search_vector @@ to_tsquery('simple', %s)", (self.tsquery,)


def text_containing(query: str) -> Q:
    """Complaints whose text holds every keyword of ``query``, tested row by row on the
    ``search_text`` alias (``SEARCH_TEXT``): a list in index order that stops at its page
    reads only as many rows as it needs — fast for common keywords, where a read of the
    text index would return most of the table. Matches what the index matches: a phrase
    is its adjacent bigrams, which sit side by side in the document (on PostgreSQL the
    stored vector is tested, as the index would)."""
    short, indexed = _split(query)
    found = Q()
    for char in short:
        found &= Q(search_text__contains=char)
    if indexed and connection.vendor == "postgresql":
        return found & Q(_VectorMatches(_tsquery(indexed)))
    for phrase in indexed:
        found &= Q(search_text__contains=" " + " ".join(phrase) + " ")
    return found


def _pg_quote(token: str) -> str:
    return "'" + token.replace("'", "''").replace("\\", "\\\\") + "'"
