"""The PostgreSQL search backend: documents in the ``search_document`` table, analyzed by
PostgreSQL's text search and found through a GIN index (``SEARCH_BACKEND = "postgresql"``).

Text is analyzed with the configuration of its consultation's language: ``norwegian``
for ``nb``/``nn``, ``english`` for ``en``, ``simple`` (lower-cased words, no stemming) for
any other. A query is turned into one ``tsquery`` per configuration, and a document
matches the query of its own configuration, as a Whoosh document matches in its own
language field.

The query syntax and the scope's conditions are in :mod:`hoering.search.tsquery`.

Hits are counted, and ranked, up to ``SEARCH_COUNT_LIMIT`` (one more row is read to know
there are more): the newest matches, looked for in growing windows of dates, so a query
costs about the same however large the corpus and however common its words. "Did you
mean" suggestions look a word's edits up in the vocabulary table ``search_word``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY, REGCONFIG

from hoering.accounts.models import DELETED_USER_LABEL
from hoering.extensions import db
from hoering.search.backend import IndexDocument
from hoering.search.models import SearchDocument, SearchWord
from hoering.search.querying import Hit, Scope, SearchResult, edits, prepare_query_text
from hoering.search.tsquery import (
    TextQuery,
    config_for,
    in_array,
    naive_utc,
    parse,
    rank,
    scope_conditions,
)
from hoering.search.words import compound_parts

#: Snippets: ``ts_headline`` options (two fragments of up to 30 words).
HEADLINE_OPTIONS = "MaxFragments=2, MaxWords=30, MinWords=10, FragmentDelimiter=\" … \", " \
                   "StartSel=\ue000, StopSel=\ue001"
#: Private-use characters that stand for ``<mark>`` and ``</mark>`` in ``ts_headline``'s
#: answer (taken out of the text first), replaced once the text is HTML-escaped.
MARK_START, MARK_END = "\ue000", "\ue001"
#: Documents written per statement.
BATCH = 500

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
        || setweight(to_tsvector(CAST(:regconfig AS regconfig), CAST(:parts AS text)), 'C')
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
            # The parts of Norwegian compounds, weight C: found, but below the words themselves.
            "parts": compound_parts(document.body if document.doc_type == "comment"
                                    else f"{document.title}\n{document.body}", document.language),
            "created_at": naive_utc(document.created_at), "stamp": document.stamp,
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


def search(text: str, *, scope: Scope | None = None, page: int = 1, per_page: int = 20, sort: str = "relevance",
           count_limit: int = 1000) -> SearchResult:
    """Search the documents within ``scope``.

    At most ``count_limit`` + 1 matches within scope are read (:func:`_candidates`), with
    their rank; they are counted and ordered here, and snippets are cut for the shown page
    only. So a query costs about the same however common its words are: when more
    documents match, the page says "over" the limit, ``newest`` shows the newest of them
    and ``relevance`` ranks the newest ``count_limit`` + 1 of them.

    Args:
        text: the raw query as typed (any string).
        scope: which documents may be found (``None``: all).
        page: 1-based; clamped to the last page.
        per_page: results a page.
        sort: ``relevance`` or ``newest``.
        count_limit: hits are counted (and ranked) up to this number; ``SearchResult.capped``
            says when there are more (``total`` is then ``count_limit``).

    Returns:
        A :class:`SearchResult` with highlighted, HTML-escaped snippets.
    """
    prepared, truncated = prepare_query_text(text)
    query = parse(prepared) if prepared else None
    if query is None:
        return SearchResult([], 0, {}, 1, 1, prepared, truncated, None)
    found = _candidates(query, scope, count_limit + 1)
    total = len(found)
    consultations = sum(1 for row in found if row.doc_type == "consultation")
    responses = sum(1 for row in found if row.doc_type == "response")
    capped = total > count_limit
    if capped:
        consultations = min(consultations, count_limit)
        responses = min(responses, count_limit - consultations)
        total = count_limit
    pages = max(1, -(-total // per_page))
    shown = min(max(1, page), pages)
    if sort == "newest":
        found.sort(key=lambda row: (-row.created_at.timestamp(), row.id))
    else:
        found.sort(key=lambda row: (-row.rank, row.id))
    ids = [row.id for row in found[:total][(shown - 1) * per_page:shown * per_page]]
    # A consultation may be found by its title: its snippet is cut from title and text.
    snippet_text = sa.case((SearchDocument.doc_type == "consultation",
                            SearchDocument.title + sa.literal(". ") + SearchDocument.body), else_=SearchDocument.body)
    snippet = sa.func.ts_headline(sa.cast(SearchDocument.config, REGCONFIG), _escaped(snippet_text),
                                  query.of_document(), sa.literal(HEADLINE_OPTIONS))
    rows = {document.id: (document, headline) for document, headline in db.session.execute(
        sa.select(SearchDocument, snippet).where(in_array(SearchDocument.id, ids))).all()} if ids else {}
    hits = []
    for document, headline in (rows[id_] for id_ in ids if id_ in rows):
        author = document.author
        if document.doc_type == "comment" and not author:
            author = str(DELETED_USER_LABEL)  # deleted accounts are indexed without a name
        hits.append(Hit(document.doc_type, document.doc_id, document.consultation_id, document.state,
                        document.title, author, _marked(headline, document.body), document.created_at))
    suggestion = _suggest(prepared, scope) if total == 0 else None
    counts = {"consultation": consultations, "comment": total - consultations - responses, "response": responses}
    return SearchResult(hits, total, counts, shown, pages, prepared, truncated, suggestion, capped=capped)


#: Rows (about: the table's span of dates divided in proportion) whose dates are searched
#: first for matches; the window of dates then grows to where, at the density found, twice
#: the wanted number should match.
FIRST_WINDOW = 20_000


def _candidates(query: TextQuery, scope: Scope | None, wanted: int) -> list:
    """The newest ``wanted`` matches within ``scope`` (by date, then row), as rows of
    ``id, doc_type, created_at, rank``.

    Matches are looked for among the documents of the latest dates first: a window of
    dates holding about :data:`FIRST_WINDOW` documents (from the table's span of dates
    and PostgreSQL's estimate of its rows), which grows (at least fourfold, up to all
    dates) until ``wanted`` have matched. Everything newer than the window's start is
    searched, so the answer is exact. A common word is answered in the first window
    (at most its rows are read, by date backwards or through the GIN index); a rarer one
    through the GIN and date indexes together (bitmaps), which read only the matches.
    So a query reads about ``wanted`` rows, not every match.
    """
    statement = (sa.select(SearchDocument.id, SearchDocument.doc_type, SearchDocument.created_at,
                           rank(query).label("rank"))
                 .where(query.matches(), *scope_conditions(scope))
                 .order_by(SearchDocument.created_at.desc(), SearchDocument.id).limit(wanted))
    newest, oldest = db.session.execute(sa.select(sa.func.max(SearchDocument.created_at),
                                                  sa.func.min(SearchDocument.created_at))).one()
    if newest is None:
        return []
    estimate = db.session.scalar(sa.text(
        "SELECT reltuples FROM pg_class WHERE oid = CAST('search_document' AS regclass)")) or 0
    span = newest - oldest
    window = span * (FIRST_WINDOW / max(FIRST_WINDOW, estimate))
    # The statement's text is the same for every query of its shape, so psycopg prepares
    # it and PostgreSQL would soon plan it once for any words and dates: plan each time.
    db.session.execute(sa.text("SET LOCAL plan_cache_mode = force_custom_plan"))
    first = True
    try:
        while True:
            start = newest - window
            rows = list(db.session.execute(statement.where(SearchDocument.created_at >= start) if start > oldest
                                           else statement))
            if len(rows) >= wanted or start <= oldest:
                return rows
            window = max(2 * window, window * (1.5 * wanted / max(1, len(rows))))
            if window > span / 2:  # reading most dates' index costs more than it saves
                window = span
            if first:
                # A word this rare in the latest dates: reading the date index backwards
                # would test every row of the larger window, which the planner, counting
                # on the LIMIT to stop it early, would still choose. Bitmaps of the GIN
                # index and the date index, ANDed, read only the matches.
                db.session.execute(sa.text("SET LOCAL enable_indexscan = off"))
                first = False
    finally:
        db.session.execute(sa.text("SET LOCAL plan_cache_mode TO DEFAULT"))
        if not first:
            db.session.execute(sa.text("SET LOCAL enable_indexscan TO DEFAULT"))


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
    query = parse(prepared) if prepared else None
    if query is None:
        return []
    statement = (sa.select(SearchDocument.doc_id).where(query.matches(), *scope_conditions(scope))
                 .order_by(rank(query).desc(), SearchDocument.id))
    if limit is not None:
        statement = statement.limit(limit)
    return list(db.session.scalars(statement))


# --- suggestions -----------------------------------------------------------------------------

#: Most words of the vocabulary (one edit away, the most frequent first) checked for each
#: word of a query.
SUGGESTION_CANDIDATES = 20
#: Most documents read for each checked word to count where the visitor may see it.
SUGGESTION_SAMPLE = 200
_WORD = re.compile(r"^\w+$")


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
                 .where(TextQuery.of_word(word).matches(), *scope_conditions(scope)).limit(SUGGESTION_SAMPLE))
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
            counts = {candidate: _visible_count(candidate, scope) for candidate in _known(edits(word))}
            counts = {candidate: n for candidate, n in counts.items() if n}
            if counts:
                out.append(sorted(counts.items(), key=lambda item: (-item[1], item[0]))[0][0])
                changed = True
                continue
        out.append(word)
    if not changed:
        return None
    candidate = " ".join(out)
    query = parse(candidate)
    if query is None or db.session.scalar(sa.select(SearchDocument.id).where(
            query.matches(), *scope_conditions(scope)).limit(1)) is None:
        return None
    return candidate
