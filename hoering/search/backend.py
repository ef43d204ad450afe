"""The Whoosh index: schema, analyzers, writing with a lock timeout, and querying.

Whoosh allows one writer per index (a file lock). Writers are opened with a short timeout;
when another process holds the lock, the caller leaves its tasks in the database for the
lock holder or the index worker (DESIGN §4). The index is derived data: ``reindex``
rebuilds it from the database at any time.

Analyzers: Norwegian Snowball stemming for ``nb``/``nn`` content (Whoosh's language code is
``no``: ``nb`` and ``nn`` have no stemmer), English and German Snowball for ``en``/``de``,
and a plain analyzer for anything else. æ, ø and å are kept as they are (no folding to
ae/o/a): Norwegian words that differ only there are different words ("for"/"før").
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
import shutil
import time
from dataclasses import dataclass

from whoosh import index as whoosh_index
from whoosh import qparser, query, sorting
from whoosh.analysis import LanguageAnalyzer, StandardAnalyzer
from whoosh.fields import DATETIME, ID, STORED, TEXT, Schema
from whoosh.highlight import ContextFragmenter, HtmlFormatter
from whoosh.index import LockError
from whoosh.writing import CLEAR

#: Index text field per content language.
LANGUAGE_FIELDS = {"nb": "text_no", "nn": "text_no", "no": "text_no", "en": "text_en", "de": "text_de"}
TEXT_FIELDS = ("text_no", "text_en", "text_de", "text_any")
#: Longest query we parse, in characters, and most words; longer ones are cut (and the
#: page says so).
MAX_QUERY_LENGTH = 500
MAX_QUERY_WORDS = 30
#: Seconds a writer waits for another writer's lock before giving up.
WRITER_TIMEOUT = 0.5


def build_schema() -> Schema:
    """The index schema (one document per comment or consultation)."""
    return Schema(
        key=ID(unique=True, stored=True),
        doc_type=ID(stored=True),
        doc_id=ID(stored=True),
        consultation_id=ID(stored=True),
        state=ID(stored=True),
        language=ID(stored=True),
        author=TEXT(stored=True, analyzer=StandardAnalyzer(minsize=1)),
        title=STORED,
        body=STORED,
        text_no=TEXT(analyzer=LanguageAnalyzer("no")),
        text_en=TEXT(analyzer=LanguageAnalyzer("en")),
        text_de=TEXT(analyzer=LanguageAnalyzer("de")),
        text_any=TEXT(analyzer=StandardAnalyzer(minsize=1)),
        words=TEXT(analyzer=StandardAnalyzer(minsize=2, stoplist=None)),
        created_at=DATETIME(stored=True, sortable=True),
        stamp=STORED,
    )


@dataclass(frozen=True)
class IndexDocument:
    """What the index holds about one comment or consultation (plain text, never HTML)."""

    doc_type: str
    doc_id: int
    consultation_id: int
    state: str
    language: str
    author: str
    title: str
    body: str
    created_at: dt.datetime

    @property
    def key(self) -> str:
        return f"{self.doc_type}:{self.doc_id}"

    @property
    def stamp(self) -> str:
        """A fingerprint of the indexed content; ``search-check`` compares it."""
        parts = [self.doc_type, str(self.doc_id), str(self.consultation_id), self.state, self.language,
                 self.author, self.title, self.body, self.created_at.isoformat()]
        return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()[:32]

    def fields(self) -> dict:
        # A comment is found by its own words; the consultation title is only shown with it.
        text = self.body if self.doc_type == "comment" else f"{self.title}\n{self.body}".strip()
        field = LANGUAGE_FIELDS.get(self.language, "text_any")
        return {
            "key": self.key, "doc_type": self.doc_type, "doc_id": str(self.doc_id),
            "consultation_id": str(self.consultation_id), "state": self.state, "language": self.language,
            "author": self.author, "title": self.title, "body": self.body, field: text, "words": text,
            "created_at": self.created_at.replace(tzinfo=None), "stamp": self.stamp,
        }


class SearchIndex:
    """One Whoosh index in a folder.

    Args:
        path: the folder (created if missing).
    """

    def __init__(self, path: str):
        self.path = path

    def open(self):
        """Open the index, creating an empty one if there is none.

        Another process may commit (and delete the previous table of contents) while this
        one opens the index; then it simply tries again.
        """
        os.makedirs(self.path, exist_ok=True)
        for attempt in range(20):
            try:
                if whoosh_index.exists_in(self.path):
                    return whoosh_index.open_dir(self.path)
                return whoosh_index.create_in(self.path, build_schema())
            except FileNotFoundError:
                if attempt == 19:
                    raise
                time.sleep(0.01)

    def clear(self) -> None:
        """Delete everything and start an empty index."""
        shutil.rmtree(self.path, ignore_errors=True)
        os.makedirs(self.path, exist_ok=True)
        whoosh_index.create_in(self.path, build_schema())

    def apply(self, upserts: list[IndexDocument], deletes: list[str], timeout: float = WRITER_TIMEOUT) -> bool:
        """Write documents and delete keys in one commit.

        Returns:
            ``False`` (and writes nothing) if another writer held the lock for ``timeout``
            seconds; ``True`` after a successful commit.
        """
        ix = self.open()
        try:
            writer = ix.writer(timeout=timeout)
        except LockError:
            return False
        try:
            for key in deletes:
                writer.delete_by_term("key", key)
            for document in upserts:
                writer.update_document(**document.fields())
        except BaseException:
            writer.cancel()
            raise
        writer.commit()
        return True

    def rebuild(self, documents, before_reading=None, timeout: float = 60.0) -> int:
        """Replace the whole index with ``documents`` in one commit; returns how many.

        The rebuild holds the live index's writer lock from before the documents are read
        until the new contents are committed, so no other process writes in between (their
        tasks wait in the database) and two rebuilds never run at once.

        Args:
            documents: a callable returning an iterable of :class:`IndexDocument`, called
                once the lock is held.
            before_reading: called with the lock held, before ``documents`` is read (to note
                which queued tasks the rebuild covers).

        Raises:
            LockError: another writer held the lock for ``timeout`` seconds.
        """
        ix = self.open()
        writer = ix.writer(timeout=timeout, limitmb=128)
        try:
            if before_reading is not None:
                before_reading()
            count = 0
            for document in documents():
                writer.add_document(**document.fields())
                count += 1
        except BaseException:
            writer.cancel()
            raise
        writer.commit(mergetype=CLEAR, optimize=True)
        return count

    def stamps(self) -> dict[str, str]:
        """``{key: stamp}`` of every document in the index."""
        ix = self.open()
        with ix.searcher() as searcher:
            return {fields["key"]: fields.get("stamp", "") for fields in searcher.all_stored_fields()}


# --- querying ------------------------------------------------------------------------------

_FIELD_SYNTAX = re.compile(r"\b[A-Za-z_]+:")
_LEADING_WILDCARD = re.compile(r"(^|\s)[*?]+")


@dataclass
class Hit:
    """One search result."""

    doc_type: str
    doc_id: int
    consultation_id: int
    state: str
    title: str
    author: str
    snippet: str
    created_at: dt.datetime | None


@dataclass
class SearchResult:
    """One page of results and what the page says about the query."""

    hits: list[Hit]
    total: int
    counts: dict[str, int]
    page: int
    pages: int
    query_text: str
    truncated: bool
    suggestion: str | None


def prepare_query_text(text: str) -> tuple[str, bool]:
    """Clean a raw query: drop NUL and control characters, cut to :data:`MAX_QUERY_LENGTH`,
    remove field syntax (``state:hidden``) and leading wildcards. Returns the text and
    whether it was cut."""
    text = "".join(ch if ch.isprintable() else " " for ch in (text or ""))
    truncated = len(text) > MAX_QUERY_LENGTH
    text = text[:MAX_QUERY_LENGTH]
    text = _FIELD_SYNTAX.sub(" ", text)
    text = _LEADING_WILDCARD.sub(r"\1", text)
    words = text.split()
    if len(words) > MAX_QUERY_WORDS:
        words, truncated = words[:MAX_QUERY_WORDS], True
    return " ".join(words), truncated


def _parser(schema) -> qparser.MultifieldParser:
    parser = qparser.MultifieldParser([*TEXT_FIELDS, "author"], schema=schema, group=qparser.AndGroup)
    parser.remove_plugin_class(qparser.FieldsPlugin)
    parser.remove_plugin_class(qparser.BoostPlugin)
    # Wildcards expand over the whole vocabulary in pure Python: a cheap request could keep
    # a process busy for seconds, so * and ? are plain characters here.
    parser.remove_plugin_class(qparser.WildcardPlugin)
    return parser


def parse_query(schema, text: str):
    """Parse ``text``; anything the parser cannot read is searched as plain words."""
    try:
        parsed = _parser(schema).parse(text)
    except Exception:  # noqa: BLE001 - any parser failure falls back to plain words
        parsed = None
    if parsed is None or parsed is query.NullQuery:
        words = re.findall(r"\w+", text)
        if not words:
            return query.NullQuery
        parsed = query.And([query.Or([query.Term(f, w.lower()) for f in (*TEXT_FIELDS, "author")]) for w in words])
    return parsed


class _MarkFormatter(HtmlFormatter):
    """Highlight matches with ``<mark>`` (the text around them is escaped by Whoosh)."""

    def __init__(self):
        super().__init__(tagname="mark", between=" … ", classname="", termclass="")

    def format_token(self, text, token, replace=False):
        return f"<mark>{super()._text(token.text if replace else text[token.startchar:token.endchar])}</mark>"


def search(index: SearchIndex, text: str, *, filter_query=None, page: int = 1, per_page: int = 20,
           sort: str = "relevance") -> SearchResult:
    """Search the index.

    Args:
        text: the raw query as typed (any string).
        filter_query: a Whoosh query limiting the documents (scope and filters).
        page: 1-based; clamped to the last page.
        sort: ``relevance`` or ``newest``.
    """
    prepared, truncated = prepare_query_text(text)
    ix = index.open()
    with ix.searcher() as searcher:
        parsed = parse_query(ix.schema, prepared) if prepared else query.NullQuery
        if parsed is query.NullQuery:
            return SearchResult([], 0, {}, 1, 1, prepared, truncated, None)
        sortedby = sorting.FieldFacet("created_at", reverse=True) if sort == "newest" else None
        # The scope is joined to the query (scoring nothing) rather than passed as a Whoosh
        # ``filter``: counting results through a filter set is very slow in Whoosh 2.7.
        scoped = _scoped(parsed, filter_query)
        results = searcher.search(scoped, limit=max(1, page) * per_page, sortedby=sortedby, terms=True)
        total = len(results)
        pages = max(1, -(-total // per_page))
        if page > pages:  # past the end: show the last page
            page = pages
            results = searcher.search(scoped, limit=page * per_page, sortedby=sortedby, terms=True)
        counts = _type_counts(searcher, parsed, filter_query, total)
        results.fragmenter = ContextFragmenter(maxchars=300, surround=60)
        results.formatter = _MarkFormatter()
        hits = []
        for hit in results[(page - 1) * per_page: page * per_page]:
            body = hit.get("body", "")
            field = LANGUAGE_FIELDS.get(hit.get("language"), "text_any")
            snippet = hit.highlights(field, text=body, top=2) or _escape(body[:240])
            created = hit.get("created_at")
            hits.append(Hit(hit["doc_type"], int(hit["doc_id"]), int(hit["consultation_id"]), hit["state"],
                            hit.get("title", ""), hit.get("author", ""), snippet,
                            created.replace(tzinfo=dt.UTC) if created else None))
        suggestion = None
        if total == 0:
            candidate = _suggest(searcher, prepared)
            # Offer it only if it finds something this visitor may see: a suggestion must
            # not reveal words that exist only in hidden, pending or draft texts.
            if candidate and len(searcher.search(_scoped(parse_query(ix.schema, candidate), filter_query),
                                                 limit=1)):
                suggestion = candidate
    return SearchResult(hits, total, counts, page, pages, prepared, truncated, suggestion)


def _scoped(parsed, filter_query):
    if filter_query is None:
        return parsed
    return query.And([parsed, query.ConstantScoreQuery(filter_query, 0.0)])


def _type_counts(searcher, parsed, filter_query, total: int) -> dict[str, int]:
    """Results per document type. Consultations are few: count them, and the rest are comments."""
    consultation_filter = query.Term("doc_type", "consultation")
    if filter_query is not None:
        consultation_filter = query.And([filter_query, consultation_filter])
    consultations = len(searcher.search(_scoped(parsed, consultation_filter), limit=1))
    return {"consultation": consultations, "comment": total - consultations}


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _suggest(searcher, text: str) -> str | None:
    """A "did you mean" string: unknown words replaced by the closest indexed word."""
    corrector = searcher.corrector("words")
    words = re.findall(r"\w+", text.lower())
    if not words:
        return None
    changed, out = False, []
    if len(words) > 3:
        return None
    for word in words:
        if 3 < len(word) <= 20 and not searcher.reader().frequency("words", word):
            candidates = corrector.suggest(word, limit=1, maxdist=1)
            if candidates:
                out.append(candidates[0])
                changed = True
                continue
        out.append(word)
    return " ".join(out) if changed else None


def matching_ids(index: SearchIndex, text: str, filter_query=None, limit: int | None = 5000) -> list[int]:
    """Ids (``doc_id``) of the best ``limit`` documents matching ``text`` within the filter."""
    prepared, _ = prepare_query_text(text)
    if not prepared:
        return []
    ix = index.open()
    with ix.searcher() as searcher:
        parsed = parse_query(ix.schema, prepared)
        if parsed is query.NullQuery:
            return []
        return [int(hit["doc_id"]) for hit in searcher.search(_scoped(parsed, filter_query), limit=limit)]
