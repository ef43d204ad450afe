"""The PostgreSQL search backend: documents in the ``search_document`` table, analyzed by
PostgreSQL's text search and found through a GIN index (``SEARCH_BACKEND = "postgresql"``).

Text is analyzed with the configuration of its consultation's language: ``norwegian``
for ``nb``/``nn``, ``english`` for ``en``, ``simple`` (lower-cased words, no stemming) for
any other. A query is turned into one ``tsquery`` per configuration, and a document
matches the query of its own configuration, as a Whoosh document matches in its own
language field.

Query syntax, as with Whoosh: words are all required; ``"exact phrase"``; ``-word`` or
``NOT word`` leaves out; ``OR``; and ``word*`` finds words beginning with ``word``
(``websearch_to_tsquery`` plus a prefix ``to_tsquery`` for each such word, from word
characters only, so typed text never reaches ``to_tsquery``'s own syntax).

Hits are counted up to ``SEARCH_COUNT_LIMIT`` (one more row is read to know there are
more), so the count costs the same however large the corpus.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY, REGCONFIG

from hoering.accounts.models import DELETED_USER_LABEL
from hoering.extensions import db
from hoering.search.backend import IndexDocument
from hoering.search.models import SearchDocument, SearchWord
from hoering.search.querying import Hit, Scope, SearchResult, prepare_query_text

#: Text-search configuration per content language; any other language: ``simple``.
CONFIGS = {"nb": "norwegian", "nn": "norwegian", "no": "norwegian", "en": "english"}
ALL_CONFIGS = ("norwegian", "english", "simple")
#: Snippets: ``ts_headline`` options (two fragments of up to 30 words).
HEADLINE_OPTIONS = "MaxFragments=2, MaxWords=30, MinWords=10, FragmentDelimiter=\" … \", " \
                   "StartSel=\ue000, StopSel=\ue001"
#: Private-use characters that stand for ``<mark>`` and ``</mark>`` in ``ts_headline``'s
#: answer (taken out of the text first), replaced once the text is HTML-escaped.
MARK_START, MARK_END = "\ue000", "\ue001"
#: Documents written per statement.
BATCH = 500

_PREFIX = re.compile(r"(^|\s)(-?)(\w+)\*+(?=\s|$)")
_NOT = re.compile(r"(^|\s)NOT\s+(?=\S)")
_AND = re.compile(r"(^|\s)AND(?=\s|$)")


def config_for(language: str | None) -> str:
    """The text-search configuration of content in ``language``."""
    return CONFIGS.get(language or "", "simple")


# --- writing ---------------------------------------------------------------------------------

#: One search document written or replaced; its vector computed by PostgreSQL. The title
#: weighs as much as the text (in Whoosh they are one field), the author's name less.
_UPSERT = sa.text("""
INSERT INTO search_document (doc_type, doc_id, consultation_id, state, language, config, author, title, body,
                             created_at, stamp, tsv)
VALUES (:doc_type, :doc_id, :consultation_id, :state, :language, :config, CAST(:author AS text), :title,
        CAST(:body AS text), :created_at, :stamp,
        setweight(to_tsvector(CAST(:regconfig AS regconfig), CAST(:head AS text)), 'B')
        || setweight(to_tsvector(CAST(:regconfig AS regconfig), CAST(:body AS text)), 'B')
        || setweight(to_tsvector(CAST(:regconfig AS regconfig), CAST(:author AS text)), 'D'))
ON CONFLICT (doc_type, doc_id) DO UPDATE SET
    consultation_id = EXCLUDED.consultation_id, state = EXCLUDED.state, language = EXCLUDED.language,
    config = EXCLUDED.config, author = EXCLUDED.author, title = EXCLUDED.title, body = EXCLUDED.body,
    created_at = EXCLUDED.created_at, stamp = EXCLUDED.stamp, tsv = EXCLUDED.tsv
""")


def write(upserts: Iterable[IndexDocument], deletes: Iterable[str]) -> None:
    """Write documents and delete keys (``"comment:12"``) in the current transaction (the
    caller commits)."""
    by_type: dict[str, list[int]] = {}
    for key in deletes:
        doc_type, _, number = key.partition(":")
        if number.isdigit():
            by_type.setdefault(doc_type, []).append(int(number))
    for doc_type, ids in by_type.items():
        for start in range(0, len(ids), BATCH):
            db.session.execute(sa.delete(SearchDocument).where(
                SearchDocument.doc_type == doc_type, SearchDocument.doc_id.in_(ids[start:start + BATCH]))
                .execution_options(synchronize_session=False))
    rows = []
    for document in upserts:
        # A comment is found by its own words; the consultation title is only shown with it.
        rows.append({
            "doc_type": document.doc_type, "doc_id": document.doc_id, "consultation_id": document.consultation_id,
            "state": document.state, "language": document.language, "config": config_for(document.language),
            "regconfig": config_for(document.language),
            "author": document.author or "", "title": document.title or "", "body": document.body or "",
            "head": "" if document.doc_type == "comment" else (document.title or ""),
            "created_at": _naive_utc(document.created_at), "stamp": document.stamp,
        })
        if len(rows) == BATCH:
            db.session.execute(_UPSERT, rows)
            rows = []
    if rows:
        db.session.execute(_UPSERT, rows)


def clear() -> None:
    """Delete every search document (in the current transaction)."""
    db.session.execute(sa.delete(SearchDocument))


def stamps() -> dict[str, str]:
    """``{key: stamp}`` of every search document."""
    return {f"{doc_type}:{doc_id}": stamp for doc_type, doc_id, stamp in db.session.execute(
        sa.select(SearchDocument.doc_type, SearchDocument.doc_id, SearchDocument.stamp))}


def count() -> int:
    """How many documents are searchable."""
    return db.session.scalar(sa.select(sa.func.count(SearchDocument.id))) or 0


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


class _Query:
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


def _rank(query: _Query):
    """How well a document matches (weights: title and text 0.4, author's name 0.1)."""
    return sa.func.ts_rank(SearchDocument.tsv, query.of_document(), RANK_NORMALIZATION)


def _in(column, values) -> sa.ColumnElement:
    """``column = ANY(array)``: one parameter however many values."""
    return column == sa.any_(sa.cast(sa.literal(sorted(values), ARRAY(sa.Integer)), ARRAY(sa.Integer)))


def _aware_utc(moment: dt.datetime) -> dt.datetime:
    """``moment`` as an aware UTC time (a naive one is taken to be UTC already)."""
    return moment.astimezone(dt.UTC) if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def _naive_utc(moment: dt.datetime) -> dt.datetime:
    """``moment`` as naive UTC, as the column stores it."""
    return _aware_utc(moment).replace(tzinfo=None)


def scope_conditions(scope: Scope | None) -> list:
    """SQL conditions for the documents ``scope`` allows."""
    if scope is None:
        return []
    conditions = []
    if scope.consultation_ids is not None:
        conditions.append(_in(SearchDocument.consultation_id, scope.consultation_ids))
    if scope.doc_types is not None:
        conditions.append(SearchDocument.doc_type.in_(sorted(scope.doc_types)))
    if scope.comment_states is not None:
        conditions.append(sa.or_(SearchDocument.doc_type != "comment",
                                 SearchDocument.state.in_(sorted(scope.comment_states))))
    if scope.created_from is not None:
        conditions.append(SearchDocument.created_at >= _aware_utc(scope.created_from))
    if scope.created_before is not None:
        conditions.append(SearchDocument.created_at < _aware_utc(scope.created_before))
    if scope.keys is not None:
        by_type: dict[str, list[int]] = {}
        for key in scope.keys:
            doc_type, _, number = key.partition(":")
            if number.isdigit():
                by_type.setdefault(doc_type, []).append(int(number))
        conditions.append(sa.or_(sa.false(), *(sa.and_(SearchDocument.doc_type == doc_type,
                                                       _in(SearchDocument.doc_id, ids))
                                               for doc_type, ids in by_type.items())))
    return conditions


def _parsed(prepared: str) -> _Query | None:
    text, prefixes = split_query(prepared)
    if not re.search(r"\w", text) and not prefixes:
        return None
    return _Query(text, prefixes)


def search(text: str, *, scope: Scope | None = None, page: int = 1, per_page: int = 20, sort: str = "relevance",
           count_limit: int = 1000) -> SearchResult:
    """Search the documents within ``scope``.

    Args:
        text: the raw query as typed (any string).
        scope: which documents may be found (``None``: all).
        page: 1-based; clamped to the last page.
        per_page: results a page.
        sort: ``relevance`` or ``newest``.
        count_limit: hits are counted up to this number; ``SearchResult.capped`` says
            when there are more (``total`` is then ``count_limit``).

    Returns:
        A :class:`SearchResult` with highlighted, HTML-escaped snippets.
    """
    prepared, truncated = prepare_query_text(text)
    query = _parsed(prepared) if prepared else None
    if query is None:
        return SearchResult([], 0, {}, 1, 1, prepared, truncated, None)
    where = [query.matches(), *scope_conditions(scope)]
    limited = sa.select(SearchDocument.doc_type).where(*where).limit(count_limit + 1).subquery()
    total, consultations = db.session.execute(sa.select(
        sa.func.count(), sa.func.count().filter(limited.c.doc_type == "consultation"))).one()
    capped = total > count_limit
    if capped:
        consultations = min(consultations, count_limit)
        total = count_limit
    pages = max(1, -(-total // per_page))
    shown = min(max(1, page), pages)
    order = [SearchDocument.created_at.desc()] if sort == "newest" else [_rank(query).desc()]
    page_rows = (sa.select(SearchDocument.id).where(*where).order_by(*order, SearchDocument.id)
                 .offset((shown - 1) * per_page).limit(per_page).subquery())
    # A consultation may be found by its title: its snippet is cut from title and text.
    snippet_text = sa.case((SearchDocument.doc_type == "consultation",
                            SearchDocument.title + sa.literal(". ") + SearchDocument.body), else_=SearchDocument.body)
    snippet = sa.func.ts_headline(sa.cast(SearchDocument.config, REGCONFIG), _escaped(snippet_text),
                                  query.of_document(), sa.literal(HEADLINE_OPTIONS))
    rows = db.session.execute(sa.select(SearchDocument, snippet).join(page_rows, page_rows.c.id == SearchDocument.id)
                              .order_by(*order, SearchDocument.id)).all()
    hits = []
    for document, headline in rows:
        author = document.author
        if document.doc_type == "comment" and not author:
            author = str(DELETED_USER_LABEL)  # deleted accounts are indexed without a name
        hits.append(Hit(document.doc_type, document.doc_id, document.consultation_id, document.state,
                        document.title, author, _marked(headline, document.body), document.created_at))
    suggestion = _suggest(prepared, scope) if total == 0 else None
    return SearchResult(hits, total, {"consultation": consultations, "comment": total - consultations}, shown,
                        pages, prepared, truncated, suggestion, capped=capped)


def _escaped(text):
    """``text`` HTML-escaped in SQL, without the characters that stand for marks: what
    ``ts_headline`` cuts snippets from, so no typed ``<`` or ``>`` ever reaches them."""
    text = sa.func.translate(text, MARK_START + MARK_END, "")
    for raw, entity in (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;")):
        text = sa.func.replace(text, raw, entity)
    return text


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _marked(headline: str | None, body: str) -> str:
    """A snippet: ``ts_headline``'s answer (cut from escaped text) with its marks as
    ``<mark>`` tags, or the escaped start of the text when nothing in it is marked."""
    if not headline or MARK_START not in headline:
        return _escape(body[:240])
    # The text was escaped before it was cut; any < or > left is not from it.
    headline = headline.replace("<", "&lt;").replace(">", "&gt;")
    return headline.replace(MARK_START, "<mark>").replace(MARK_END, "</mark>")


def matching_ids(text: str, scope: Scope | None = None, limit: int | None = 5000) -> list[int]:
    """Ids (``doc_id``) of the best ``limit`` documents matching ``text`` within ``scope``,
    best first."""
    prepared, _ = prepare_query_text(text)
    query = _parsed(prepared) if prepared else None
    if query is None:
        return []
    statement = (sa.select(SearchDocument.doc_id).where(query.matches(), *scope_conditions(scope))
                 .order_by(_rank(query).desc(), SearchDocument.id))
    if limit is not None:
        statement = statement.limit(limit)
    return list(db.session.scalars(statement))


# --- suggestions -----------------------------------------------------------------------------

_LETTERS = "abcdefghijklmnopqrstuvwxyzæøåäöüé"
#: Most words of the vocabulary (one edit away, the most frequent first) checked for each
#: word of a query.
SUGGESTION_CANDIDATES = 20
#: Most documents read for each checked word to count where the visitor may see it.
SUGGESTION_SAMPLE = 200
_WORD = re.compile(r"^\w+$")


def _edits(word: str) -> set[str]:
    """Words one edit away from ``word`` that keep its first letter."""
    splits = [(word[:i], word[i:]) for i in range(1, len(word) + 1)]
    found = {a + b[1:] for a, b in splits if b}
    found |= {a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1}
    found |= {a + c + b[1:] for a, b in splits if b for c in _LETTERS}
    found |= {a + c + b for a, b in splits for c in _LETTERS}
    found.discard(word)
    return found


def _known(words: set[str]) -> list[str]:
    """Those of ``words`` that some search document holds (the ``search_word``
    vocabulary, looked up by its primary key), at most :data:`SUGGESTION_CANDIDATES`,
    the most frequent first."""
    words = {word for word in words if _WORD.match(word) and len(word) <= 100}
    if not words:
        return []
    listed = sa.cast(sa.literal(sorted(words), ARRAY(sa.String)), ARRAY(sa.String))
    return list(db.session.scalars(
        sa.select(SearchWord.word).where(SearchWord.word == sa.any_(listed), SearchWord.documents > 0)
        .order_by(SearchWord.documents.desc(), SearchWord.word).limit(SUGGESTION_CANDIDATES)))


def _visible_count(word: str, scope: Scope | None) -> int:
    """In how many documents within ``scope`` ``word`` occurs as written, among the first
    :data:`SUGGESTION_SAMPLE` that hold it as their configuration stems it (found through
    the GIN index)."""
    statement = (sa.select(SearchDocument.doc_type, SearchDocument.title, SearchDocument.body)
                 .where(_Query(word, []).matches(), *scope_conditions(scope)).limit(SUGGESTION_SAMPLE))
    found = 0
    for doc_type, title, body in db.session.execute(statement):
        text = body if doc_type == "comment" else f"{title} {body}"
        found += word in re.findall(r"\w+", text.lower())
    return found


def _suggest(prepared: str, scope: Scope | None) -> str | None:
    """A "did you mean" string: each word the visitor may not find replaced by the closest
    word (one edit away, same first letter) that occurs in documents within ``scope``,
    the most frequent there first.

    The vocabulary (``search_word``, every state) only says which words exist; how often
    a word occurs is counted in the documents the visitor may see, so a suggestion never
    reveals a word of a text the visitor may not see. Costs a primary-key lookup of the
    word's edits and a query of at most :data:`SUGGESTION_SAMPLE` rows for each
    candidate that exists.
    """
    words = re.findall(r"\w+", prepared.lower())
    if not words or len(words) > 3:
        return None
    changed, out = False, []
    for word in words:
        if 3 < len(word) <= 20 and not (_known({word}) and _visible_count(word, scope)):
            counts = {candidate: _visible_count(candidate, scope) for candidate in _known(_edits(word))}
            counts = {candidate: n for candidate, n in counts.items() if n}
            if counts:
                out.append(sorted(counts.items(), key=lambda item: (-item[1], item[0]))[0][0])
                changed = True
                continue
        out.append(word)
    if not changed:
        return None
    candidate = " ".join(out)
    query = _parsed(candidate)
    if query is None or db.session.scalar(sa.select(SearchDocument.id).where(
            query.matches(), *scope_conditions(scope)).limit(1)) is None:
        return None
    return candidate
