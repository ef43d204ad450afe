"""PostgreSQL text-search conditions: a prepared query as one ``tsquery`` per
text-search configuration, its rank, and the SQL conditions of a visitor's scope (for
:mod:`hoering.search.postgresql`).

Query syntax, as with Whoosh: words are all required; ``"exact phrase"``; ``-word`` or
``NOT word`` leaves out; ``OR``; and ``word*`` finds words beginning with ``word``
(``websearch_to_tsquery`` plus a prefix ``to_tsquery`` for each such word, from word
characters only, so typed text never reaches ``to_tsquery``'s own syntax).
"""

from __future__ import annotations

import datetime as dt
import re

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY

from hoering.search.models import SearchDocument
from hoering.search.querying import Scope

#: Text-search configuration per content language; any other language: ``simple``.
CONFIGS = {"nb": "norwegian", "nn": "norwegian", "no": "norwegian", "en": "english"}
ALL_CONFIGS = ("norwegian", "english", "simple")

_PREFIX = re.compile(r"(^|\s)(-?)(\w+)\*+(?=\s|$)")
_NOT = re.compile(r"(^|\s)NOT\s+(?=\S)")
_AND = re.compile(r"(^|\s)AND(?=\s|$)")


def config_for(language: str | None) -> str:
    """The text-search configuration of content in ``language``."""
    return CONFIGS.get(language or "", "simple")


# --- queries ---------------------------------------------------------------------------------

def split_query(prepared: str) -> tuple[str, list[tuple[bool, str]]]:
    """Split a prepared query into the text for ``websearch_to_tsquery`` and its prefix
    words: ``[(negated, word)]`` for each ``word*`` or ``-word*`` outside quotes.

    ``NOT word`` becomes ``-word`` and ``AND`` is dropped (every word is required anyway).
    """
    parts = prepared.split('"')
    prefixes: list[tuple[bool, str]] = []
    for i in range(0, len(parts), 2):  # outside quotes
        text = _AND.sub(" ", _NOT.sub(r"\1-", parts[i]))

        def note(match) -> str:
            prefixes.append((match.group(2) == "-", match.group(3).lower()))
            return match.group(1)

        parts[i] = _PREFIX.sub(note, text)
    if len(parts) % 2 == 0:  # an unbalanced quote: the rest is plain words
        rest = parts.pop()
        parts[-1] += " " + rest
    return '"'.join(parts), prefixes


class TextQuery:
    """One query's ``tsquery`` per configuration, and the SQL conditions built on them."""

    def __init__(self, text: str, prefixes: list[tuple[bool, str]]):
        self.queries = {}
        for config in ALL_CONFIGS:
            regconfig = sa.literal_column(f"'{config}'::regconfig")  # a fixed name, never typed text
            query = sa.func.websearch_to_tsquery(regconfig, sa.literal(text))
            for negated, word in prefixes:
                term = sa.func.to_tsquery(regconfig, sa.literal(f"{word}:*"))  # word: \w+ only
                query = query.op("&&")(sa.func.tsquery_not(term) if negated else term)
            self.queries[config] = query

    def matches(self):
        """Whether a document matches the query of its own configuration (each branch
        uses the GIN index)."""
        return sa.or_(*(sa.and_(SearchDocument.config == config, SearchDocument.tsv.op("@@")(query))
                        for config, query in self.queries.items()))

    def of_document(self):
        """The query in the document's configuration."""
        return sa.case(*((SearchDocument.config == config, query) for config, query in self.queries.items()
                         if config != "simple"), else_=self.queries["simple"])


#: ``ts_rank`` normalization: the rank divided by 1 + the logarithm of the document's
#: length, so that, as with BM25, a word weighs more in a short text than in a long one.
RANK_NORMALIZATION = 1


def rank(query: TextQuery):
    """How well a document matches (weights: title and text 0.4, author's name 0.1)."""
    return sa.func.ts_rank(SearchDocument.tsv, query.of_document(), RANK_NORMALIZATION)


def in_array(column, values) -> sa.ColumnElement:
    """``column = ANY(array)``: one parameter however many values."""
    return column == sa.any_(sa.cast(sa.literal(sorted(values), ARRAY(sa.Integer)), ARRAY(sa.Integer)))


def aware_utc(moment: dt.datetime) -> dt.datetime:
    """``moment`` as an aware UTC time (a naive one is taken to be UTC already)."""
    return moment.astimezone(dt.UTC) if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def naive_utc(moment: dt.datetime) -> dt.datetime:
    """``moment`` as naive UTC, as the column stores it."""
    return aware_utc(moment).replace(tzinfo=None)


def scope_conditions(scope: Scope | None) -> list:
    """SQL conditions for the documents ``scope`` allows."""
    if scope is None:
        return []
    conditions = []
    if scope.consultation_ids is not None:
        conditions.append(in_array(SearchDocument.consultation_id, scope.consultation_ids))
    if scope.doc_types is not None:
        conditions.append(SearchDocument.doc_type.in_(sorted(scope.doc_types)))
    if scope.comment_states is not None:
        conditions.append(sa.or_(SearchDocument.doc_type != "comment",
                                 SearchDocument.state.in_(sorted(scope.comment_states))))
    if scope.created_from is not None:
        conditions.append(SearchDocument.created_at >= aware_utc(scope.created_from))
    if scope.created_before is not None:
        conditions.append(SearchDocument.created_at < aware_utc(scope.created_before))
    if scope.keys is not None:
        by_type: dict[str, list[int]] = {}
        for key in scope.keys:
            doc_type, _, number = key.partition(":")
            if number.isdigit():
                by_type.setdefault(doc_type, []).append(int(number))
        conditions.append(sa.or_(sa.false(), *(sa.and_(SearchDocument.doc_type == doc_type,
                                                       in_array(SearchDocument.doc_id, ids))
                                               for doc_type, ids in by_type.items())))
    return conditions


def parse(prepared: str) -> TextQuery | None:
    text, prefixes = split_query(prepared)
    if not re.search(r"\w", text) and not prefixes:
        return None
    return TextQuery(text, prefixes)
