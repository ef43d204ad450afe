"""PostgreSQL text-search conditions: a prepared query as one ``tsquery`` per
text-search configuration, its rank, and the SQL conditions of a visitor's scope (for
:mod:`hoering.search.postgresql`).

Query syntax, as with Whoosh: words are all required; ``"exact phrase"``; ``-word`` or
``NOT word`` leaves out; ``OR``; and ``word*`` finds words beginning with ``word``
(each term through ``websearch_to_tsquery``, a prefix word through ``to_tsquery`` from
word characters only, so typed text never reaches ``to_tsquery``'s own syntax; terms
joined by ``OR`` are alternatives, and every such group is required).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY

from hoering.search.models import SearchDocument
from hoering.search.querying import Scope
from hoering.search.words import variants

#: Text-search configuration per content language; any other language: ``simple``.
CONFIGS = {"nb": "norwegian", "nn": "norwegian", "no": "norwegian", "en": "english"}
ALL_CONFIGS = ("norwegian", "english", "simple")

#: A phrase in quotes (the closing quote may be missing), or a run of other characters.
_TOKEN = re.compile(r'-?"[^"]*"?|[^\s"]+')
#: A prefix word: ``word*`` or ``-word*`` (word characters only).
_PREFIX = re.compile(r"(-?)(\w+)\*+")


def config_for(language: str | None) -> str:
    """The text-search configuration of content in ``language``."""
    return CONFIGS.get(language or "", "simple")


# --- queries ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Term:
    """One term of a query: ``text`` for ``websearch_to_tsquery`` (a word, ``-word``, a
    ``"phrase"`` or ``-"phrase"``), or with ``prefix`` a word of word characters that
    words must begin with (``negated``: must not)."""

    text: str
    prefix: bool = False
    negated: bool = False


def split_query(prepared: str) -> list[list[Term]]:
    """The terms of a prepared query as a conjunction of disjunctions: every group is
    required, and a document meets a group by any of its terms (``a OR b c`` is
    ``(a | b) & c``, as ``websearch_to_tsquery`` and Whoosh read it).

    ``NOT word`` is ``-word``; ``AND`` is dropped (every term is required anyway); a quote
    left open makes plain words of the rest; terms without a word character are dropped.

    Args:
        prepared: the query as :func:`hoering.search.querying.prepare_query` leaves it.

    Returns:
        ``[[Term, …], …]``: the groups, each with at least one term.
    """
    groups: list[list[Term]] = []
    join_next = negate_next = False

    def add(term: Term) -> None:
        nonlocal join_next, negate_next
        if join_next and groups:
            groups[-1].append(term)
        else:
            groups.append([term])
        join_next = negate_next = False

    for token in _TOKEN.findall(prepared):
        if token == "OR":
            join_next = bool(groups)
            continue
        if token == "AND":
            continue
        if token == "NOT":
            negate_next = True
            continue
        if token.startswith('-"') and len(token) > 2 and token.endswith('"'):
            negate_next, token = True, token[1:]
        if token.startswith('"') and len(token) > 1 and token.endswith('"'):
            phrase = token[1:-1]
            if re.search(r"\w", phrase):
                add(Term(("-" if negate_next else "") + f'"{phrase}"'))
            continue
        for word in token.strip('"').split():  # a quote left open: the rest is plain words
            prefix = _PREFIX.fullmatch(word)
            if prefix:
                add(Term(prefix.group(2).lower(), prefix=True, negated=negate_next or prefix.group(1) == "-"))
            elif re.search(r"\w", word):
                add(Term(("-" if negate_next and not word.startswith("-") else "") + word))
    return groups


def with_variants(groups: list[list[Term]]) -> list[list[Term]]:
    """``groups`` with each plain word's spelling variants (:func:`hoering.search.words.variants`,
    "vei"/"veg") as alternatives of its group; a left-out word's variants are left out too
    (each its own group).

    Args:
        groups: as :func:`split_query` gives them.
    """
    widened: list[list[Term]] = []
    for group in groups:
        mine = list(group)
        for term in group:
            negated = term.text.startswith("-")
            word = term.text[1:] if negated else term.text
            if term.prefix or not _PLAIN.fullmatch(word):
                continue
            for form in variants(word):
                if negated:
                    widened.append([Term("-" + form)])
                else:
                    mine.append(Term(form))
        widened.append(mine)
    return widened


_PLAIN = re.compile(r"\w+")


class TextQuery:
    """One query's ``tsquery`` per configuration, and the SQL conditions built on them."""

    def __init__(self, groups: list[list[Term]]):
        """Args:
            groups: the query's terms as :func:`split_query` gives them (not empty).
        """
        self.queries = {}
        for config in ALL_CONFIGS:
            regconfig = sa.literal_column(f"'{config}'::regconfig")  # a fixed name, never typed text
            query = None
            for group in groups:
                either = None
                for term in group:
                    one = _term_query(regconfig, term)
                    either = one if either is None else either.op("||")(one)
                query = either if query is None else query.op("&&")(either)
            self.queries[config] = query

    @classmethod
    def of_word(cls, word: str) -> TextQuery:
        """The query for one word as typed."""
        return cls([[Term(word)]])

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


#: ``ts_rank`` weights of D, C, B and A: the author's name (D) and the parts of compound
#: words (C, :mod:`hoering.search.words`) 0.1, title and text (B) 0.4, so a word itself
#: ranks above a word it is part of.
RANK_WEIGHTS = "{0.1, 0.1, 0.4, 1.0}"


def rank(query: TextQuery):
    """How well a document matches (weights :data:`RANK_WEIGHTS`)."""
    weights = sa.cast(sa.literal(RANK_WEIGHTS), ARRAY(sa.REAL))
    return sa.func.ts_rank(weights, SearchDocument.tsv, query.of_document(), RANK_NORMALIZATION)


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
        conditions.append(sa.or_(SearchDocument.doc_type == "consultation",  # comments and responses by state
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
    """The :class:`TextQuery` of a prepared query, or ``None`` when it has no word."""
    groups = with_variants(split_query(prepared))
    return TextQuery(groups) if groups else None


def _term_query(regconfig, term: Term):
    """The ``tsquery`` of one term in the configuration ``regconfig``: a prefix word as
    ``to_tsquery('word:*')`` (word characters only, so typed text never reaches
    ``to_tsquery``'s own syntax), anything else through ``websearch_to_tsquery``."""
    if term.prefix:
        query = sa.func.to_tsquery(regconfig, sa.literal(f"{term.text}:*"))
        return sa.func.tsquery_not(query) if term.negated else query
    return sa.func.websearch_to_tsquery(regconfig, sa.literal(term.text))
