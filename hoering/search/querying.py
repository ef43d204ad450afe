"""Answering queries: parsing, the visitor's scope, ranking, counting, snippets, suggestions.

Whoosh 2.7 walks every match through nested Python matcher objects (about 3 µs a document
and query term), and computes a filter by walking the postings of every allowed document;
with 100,000 comments that made a query cost a quarter of a second (docs/PERFORMANCE.md).
So queries made only of words, joined by AND or OR (what the parser gives for nearly
everything people type), are answered here with arrays:

* each query term's postings are read once per index segment into numpy arrays and kept
  (a segment's postings never change once written; deletions are applied at query time);
* the scope (consultations, comment states, document types, dates, a list of documents)
  is checked against per-segment arrays built from the index's own fields;
* documents are scored with the formula Whoosh itself uses, BM25F with B = 0.75 and
  K1 = 1.2 (``whoosh.scoring.BM25F``; Robertson & Zaragoza, "The Probabilistic Relevance
  Framework: BM25 and Beyond", 2009), the same global statistics and the same quantized
  field lengths, so the ranking matches Whoosh's.

Exact phrases are answered with arrays too (word positions, decoded only for documents
holding every word). A word ending in ``*`` is first replaced by the indexed words it
begins (at most :data:`PREFIX_WORDS`). NOT, ranges and other syntax are handed to
Whoosh's own collector, with the scope applied to its matches.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import threading
from collections import OrderedDict
from dataclasses import dataclass

from whoosh import qparser, query
from whoosh.analysis import STOP_WORDS
from whoosh.codec.whoosh3 import LENGTHS_COLUMN, _lenfield
from whoosh.highlight import ContextFragmenter, HtmlFormatter, highlight
from whoosh.lang import stopwords_for_language
from whoosh.matching.wrappers import FilterMatcher
from whoosh.reading import TermNotFound
from whoosh.util.numeric import byte_to_length

from hoering.accounts.models import DELETED_USER_LABEL
from hoering.search import segments
from hoering.search.backend import LANGUAGE_FIELDS, TEXT_FIELDS, SearchIndex
from hoering.search.words import PARTS_BOOST, variant_stems

#: Longest query we parse, in characters, and most words; longer ones are cut (and the
#: page says so).
MAX_QUERY_LENGTH = 500
MAX_QUERY_WORDS = 30
#: BM25F's free parameters, Whoosh's defaults (``whoosh.scoring.BM25F``).
BM25_B = 0.75
BM25_K1 = 1.2
#: Most bytes of decoded postings kept in memory per process.
POSTINGS_CACHE_BYTES = 64 * 1024 * 1024
#: Words no query requires: a stop word in one of the content languages is not indexed for
#: that language, so requiring it would hide every text in that language.
QUERY_STOP_WORDS = frozenset(stopwords_for_language("no")) | frozenset(stopwords_for_language("en")) \
    | frozenset(stopwords_for_language("de")) | frozenset(STOP_WORDS)

_FIELD_SYNTAX = re.compile(r"\b[A-Za-z_]+:")
_LEADING_WILDCARD = re.compile(r"(^|\s)[*?]+")
_PLAIN_WORD = re.compile(r"^\w+$")
_OPERATORS = frozenset({"AND", "OR", "NOT", "ANDNOT", "ANDMAYBE"})


class _Numpy:
    """numpy, imported when a search first uses it rather than with this module: pages that
    do not search keep it out of the web worker (docs/PERFORMANCE.md, "Worker memory and
    start-up"). The first attribute read puts the real module in this module's globals.

    ``numpy.ma`` is imported with it: numpy 2's ``unique`` and ``isin`` import it on their
    first call (to check for a masked array), which put 20–40 ms of a process's start-up
    into whichever query first needed them (the first phrase).
    """

    def __getattr__(self, name: str):
        import numpy
        import numpy.ma  # noqa: F401 - imported here, once, rather than inside a later query

        globals()["np"] = numpy
        return getattr(numpy, name)


np = _Numpy()


@functools.cache
def _empty_ids():
    return np.zeros(0, dtype=np.int64)


@functools.cache
def _empty_scores():
    return np.zeros(0, dtype=np.float64)


@functools.cache
def _length_of_byte():
    """byte → field length, as Whoosh quantizes lengths into one byte per document."""
    return np.array([byte_to_length(b) or 1 for b in range(256)], dtype=np.float64)


@dataclass(frozen=True)
class Scope:
    """Which documents a search may return. ``None`` means no limit on that attribute.

    Attributes:
        consultation_ids: ids of the consultations whose documents may be found.
        comment_states: comment (and formal response) states that may be found
            (consultations are not limited).
        doc_types: ``"comment"``, ``"consultation"`` and/or ``"response"``.
        created_from: earliest creation time, UTC (naive or aware), inclusive.
        created_before: creation time limit, UTC, exclusive.
        keys: only these documents (``"comment:12"``).
    """

    consultation_ids: frozenset[int] | None = None
    comment_states: frozenset[str] | None = None
    doc_types: frozenset[str] | None = None
    created_from: dt.datetime | None = None
    created_before: dt.datetime | None = None
    keys: frozenset[str] | None = None


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
    """One page of results and what the page says about the query. ``capped``: there are
    more than ``total`` hits, which were counted only up to that number. The exclusion
    fields are filled by :func:`hoering.search.services.search`."""

    hits: list[Hit]
    total: int
    counts: dict[str, int]
    page: int
    pages: int
    query_text: str
    truncated: bool
    suggestion: str | None
    capped: bool = False
    #: What the query leaves out (``-word``, ``NOT word``), as typed.
    excluded: tuple[str, ...] = ()
    #: The query only says what to leave out (nothing was searched).
    only_exclusions: bool = False
    #: When nothing is left after the exclusions: the query without them, and how many
    #: results it has (``None`` when not looked up).
    without_exclusions: str | None = None
    without_exclusions_total: int | None = None


# --- query text ---------------------------------------------------------------------------------

def prepare_query_text(text: str) -> tuple[str, bool]:
    """Clean a raw query: drop NUL and control characters, cut to :data:`MAX_QUERY_LENGTH`
    characters and :data:`MAX_QUERY_WORDS` words, remove field syntax (``state:hidden``)
    and leading wildcards. Returns the text and whether it was cut."""
    text = "".join(ch if ch.isprintable() else " " for ch in (text or ""))
    truncated = len(text) > MAX_QUERY_LENGTH
    text = text[:MAX_QUERY_LENGTH]
    text = _FIELD_SYNTAX.sub(" ", text)
    text = _LEADING_WILDCARD.sub(r"\1", text)
    words = text.split()
    if len(words) > MAX_QUERY_WORDS:
        words, truncated = words[:MAX_QUERY_WORDS], True
    return " ".join(words), truncated


def _without_stop_words(text: str) -> str:
    """``text`` without unquoted stop words (:data:`QUERY_STOP_WORDS`), unless nothing else
    is left: "økonomi og arbeid" must find Norwegian texts, where "og" is not indexed."""
    if '"' in text:
        return text
    words = text.split()
    kept = [w for w in words
            if w in _OPERATORS or not (_PLAIN_WORD.match(w) and w.lower() in QUERY_STOP_WORDS)]
    return " ".join(kept) if kept else text


def _query_fields(schema) -> list[str]:
    """The fields a word is looked for in: the text fields, the parts of Norwegian
    compounds (where the index has them) and the author's name."""
    return [*TEXT_FIELDS, *(["parts_no"] if "parts_no" in schema else []), "author"]


def _parser(schema) -> qparser.MultifieldParser:
    parser = qparser.MultifieldParser(_query_fields(schema), schema=schema, group=qparser.AndGroup,
                                      fieldboosts={"parts_no": PARTS_BOOST})
    parser.remove_plugin_class(qparser.FieldsPlugin)
    # "-word" and '-"a phrase"' leave out; a hyphen inside a word ("sykkel-vei") does not.
    parser.add_plugin(qparser.PlusMinusPlugin(plusexpr=r"(?<![^\s(])\+(?=[\w\"])",
                                              minusexpr=r"(?<![^\s(])-(?=[\w\"])"))
    parser.remove_plugin_class(qparser.BoostPlugin)
    # Wildcards expand over the whole vocabulary in pure Python: a cheap request could keep
    # a process busy for seconds, so ? and a * inside a word are plain characters here. A
    # * at the end of a word is a prefix, expanded to a bounded number of words
    # (:func:`_expand_prefixes`).
    parser.remove_plugin_class(qparser.WildcardPlugin)
    parser.add_plugin(qparser.PrefixPlugin())
    return parser


#: A prefix (``word*``) stands for at most this many indexed words of a field (the ones in
#: most documents) among the first :data:`PREFIX_SCAN` that begin with it, alphabetically;
#: so a prefix costs at most a bounded walk of the term index and ordinary word lookups.
PREFIX_WORDS = 100
PREFIX_SCAN = 2000


def _expand_prefixes(q, reader):
    """``q`` with every ``Prefix`` replaced by the words it stands for (an ``Or`` of
    terms, scored as words are), read from ``reader``'s term index; a prefix that begins
    no indexed word becomes the prefix itself as a word (which then matches nothing)."""
    if isinstance(q, query.Prefix):
        found = []
        try:
            for n, (text, info) in enumerate(reader.iter_prefix(q.fieldname, q.text)):
                if n == PREFIX_SCAN:
                    break
                found.append((-info.doc_frequency(), text))
        except (TermNotFound, ValueError):
            found = []
        if not found:
            return query.Term(q.fieldname, q.text, boost=q.boost)
        words = [text.decode() if isinstance(text, bytes) else text for _, text in sorted(found)[:PREFIX_WORDS]]
        terms = [query.Term(q.fieldname, word) for word in sorted(words)]
        return terms[0] if len(terms) == 1 else query.Or(terms, boost=q.boost)
    if q.is_leaf():
        return q
    return q.apply(lambda child: _expand_prefixes(child, reader))


def parse_query(schema, text: str):
    """Parse ``text``; anything the parser cannot read is searched as plain words."""
    text = _without_stop_words(text)
    try:
        parsed = _parser(schema).parse(text)
    except Exception:  # noqa: BLE001 - any parser failure falls back to plain words
        parsed = None
    if parsed is None or parsed is query.NullQuery:
        found = re.findall(r"\w+", text)
        if not found:
            return query.NullQuery
        parsed = query.And([query.Or([query.Term(f, w.lower()) for f in _query_fields(schema)]) for w in found])
    return _with_variants(parsed)


#: Fields whose words are Norwegian stems, widened with their spelling variants.
_NORWEGIAN_FIELDS = frozenset({"text_no", "parts_no"})


def _with_variants(q):
    """``q`` with each Norwegian word that has spelling variants ("vei"/"veg",
    :data:`hoering.search.words.VARIANT_GROUPS`) replaced by an ``Or`` of its forms."""
    if type(q) is query.Term and q.fieldname in _NORWEGIAN_FIELDS:
        forms = variant_stems().get(q.text) if isinstance(q.text, str) else None
        if forms:
            return query.Or([query.Term(q.fieldname, form) for form in forms], boost=q.boost)
        return q
    if q.is_leaf():
        return q
    return q.apply(_with_variants)


def _is_word_query(q) -> bool:
    """Whether ``q`` is only terms and exact phrases joined by And/Or (answered with arrays)."""
    if type(q) is query.Term:
        return True
    if type(q) is query.Phrase:
        return q.slop == 1 and bool(q.words)
    if type(q) in (query.And, query.Or):
        return getattr(q, "minmatch", 0) in (0, None) and all(_is_word_query(child) for child in q.subqueries)
    if type(q) is query.AndNot:  # "word -other"
        return _is_word_query(q.a) and _is_word_query(q.b)
    return False


# --- per-segment arrays ------------------------------------------------------------------------

class _SegmentArrays:
    """Per-document values of one index segment, as arrays indexed by segment docnum:
    mapped from the segment's data file where it has one (:mod:`hoering.search.segments`),
    otherwise derived from Whoosh's postings of its ``consultation_id``, ``doc_type`` and
    ``state`` fields (about 50 ms for 100,000 documents)."""

    def __init__(self, reader):
        n = reader.doc_count_all()
        self.data = getattr(reader, "hoering_data", None)
        self._numbers: np.ndarray | None = None
        if self.data is not None:
            self.consultation = self.data.array("consultation")
            # The file's codes index its own lists; -1 (none) takes the table's last entry.
            for field, name in (("doc_type", "doc_types"), ("state", "states")):
                table = np.array([_code(value) for value in self.data.header[name]] + [-1], dtype=np.int16)
                setattr(self, field, table[self.data.array(field)])
            self._numbers = self.data.array("numbers")
        else:
            self._derive(reader, n)
        # Read through the per-document reader, whose files the searcher opened up front
        # (SearchIndex._open_searcher): the segment's files may be deleted by now, and
        # Whoosh's public column_reader would take a deleted file for an absent column.
        perdoc = reader._perdoc  # noqa: SLF001 - Whoosh 2.7.4 exposes no public bulk read
        created = perdoc.column_reader("created_at", reader.schema["created_at"].column_type)
        self.created = _column_array(created, n, ">u8").astype(np.int64)
        self.lengths: dict[str, np.ndarray] = {}

    def _derive(self, reader, n: int) -> None:
        self.consultation = np.full(n, -1, dtype=np.int64)
        self.doc_type = np.full(n, -1, dtype=np.int16)
        self.state = np.full(n, -1, dtype=np.int16)
        for term in reader.lexicon("consultation_id"):
            self.consultation[_raw_postings(reader, "consultation_id", term, weights=False)[0]] = int(term.decode())
        for term in reader.lexicon("doc_type"):
            self.doc_type[_raw_postings(reader, "doc_type", term, weights=False)[0]] = _code(term.decode())
        for term in reader.lexicon("state"):
            self.state[_raw_postings(reader, "state", term, weights=False)[0]] = _code(term.decode())

    def doc_numbers(self, reader) -> np.ndarray:
        """Each document's ``doc_id`` (the comment's or consultation's id; -1 if none),
        from the segment's data file, or read once from the ``key`` terms (about 1 s for
        100,000 documents)."""
        if self._numbers is None:
            numbers = np.full(reader.doc_count_all(), -1, dtype=np.int64)
            for text, info in reader.iter_field("key"):
                key = text.decode() if isinstance(text, bytes) else text
                number = key.partition(":")[2]
                if not number.isdigit():
                    continue
                docs = [info.min_id()] if info.doc_frequency() == 1 else \
                    _raw_postings(reader, "key", text, weights=False)[0]
                numbers[docs] = int(number)
            self._numbers = numbers
        return self._numbers

    def field_lengths(self, reader, fieldname: str, ids: np.ndarray) -> np.ndarray:
        """Lengths of a field in documents ``ids``, as Whoosh scores them (kept as Whoosh
        stores them, one byte a document)."""
        if fieldname not in self.lengths:
            n = reader.doc_count_all()
            perdoc = reader._perdoc  # noqa: SLF001 - Whoosh 2.7.4 exposes no public bulk read
            lengths = perdoc._cached_reader(_lenfield(fieldname), LENGTHS_COLUMN)  # noqa: SLF001
            if lengths is not None:
                self.lengths[fieldname] = _column_array(lengths, n, "u1")
            else:
                self.lengths[fieldname] = np.ones(n, dtype=np.uint8)
        return _length_of_byte()[self.lengths[fieldname][ids]]


_codes: dict[str, int] = {}


def _code(value: str) -> int:
    """A small number standing for a state or document type within this process."""
    return _codes.setdefault(value, len(_codes))


def _codes_of(values) -> np.ndarray:
    return np.array([_code(value) for value in sorted(values)], dtype=np.int64)


def _column_array(column_reader, n: int, dtype: str) -> np.ndarray:
    """A fixed-width Whoosh column as a numpy array of ``n`` values (missing ones are 0).

    Whoosh 2.7.4 reads fixed-width columns one value at a time; the bytes are read in one
    go here when the reader is the plain fixed-width kind, and value by value otherwise.
    """
    size = np.dtype(dtype).itemsize
    dbfile, basepos, count = (getattr(column_reader, name, None) for name in ("_dbfile", "_basepos", "_count"))
    if dbfile is not None and count is not None and getattr(column_reader, "_fixedlen", size) == size:
        values = np.frombuffer(bytes(dbfile.get(basepos, count * size)), dtype=dtype)
    else:
        values = np.array(list(column_reader), dtype=dtype)
    if len(values) < n:
        values = np.concatenate([values, np.zeros(n - len(values), dtype=dtype)])
    return values[:n]


_raw_postings = segments.raw_postings
_block_ids = segments.block_ids


class _Cache:
    """Per-process cache of segment arrays and decoded postings, keyed by segment id (a
    segment's content never changes; an index rebuild or merge makes new segments)."""

    def __init__(self, max_bytes: int):
        self.max_bytes = max_bytes
        self.lock = threading.Lock()
        self.segments: dict[str, _SegmentArrays] = {}
        self.postings: OrderedDict[tuple, tuple[np.ndarray, np.ndarray]] = OrderedDict()
        self.bytes = 0

    def segment(self, reader) -> _SegmentArrays:
        key = _segment_key(reader)
        with self.lock:
            found = self.segments.get(key)
        if found is None:
            found = _SegmentArrays(reader)
            with self.lock:
                if len(self.segments) > 256:  # segments merged away long ago
                    self.segments.clear()
                self.segments[key] = found
        return found

    def term(self, reader, fieldname: str, text) -> tuple[np.ndarray, np.ndarray]:
        key = (_segment_key(reader), fieldname, text)
        with self.lock:
            found = self.postings.get(key)
            if found is not None:
                self.postings.move_to_end(key)
                return found
        data = getattr(reader, "hoering_data", None)
        found = None
        if data is not None:
            where = segments.postings_key(reader, fieldname, text)
            found = data.postings(where) if where is not None else None
        if found is None:
            found = _raw_postings(reader, fieldname, text)
        self._keep(key, found)
        return found

    def phrase(self, reader, fieldname: str, words: tuple[bytes, ...], candidates: np.ndarray) -> np.ndarray:
        """Docnums of the segment where ``words`` stand in order, among ``candidates``
        (every document holding all the words), kept per segment and phrase."""
        key = (_segment_key(reader), fieldname, words, "phrase")
        with self.lock:
            found = self.postings.get(key)
            if found is not None:
                self.postings.move_to_end(key)
                return found[0]
        # Positions are keys docnum * POSITION_SPAN + position: a phrase starts where the
        # i-th word's keys, shifted back by i, meet the first word's.
        starts = _raw_positions(reader, fieldname, words[0], candidates)
        for i, word in enumerate(words[1:], start=1):
            if not len(starts):
                break
            starts = np.intersect1d(starts, _raw_positions(reader, fieldname, word, candidates) - i, assume_unique=True)
        docnums = np.unique(starts // POSITION_SPAN)
        self._keep(key, (docnums, _empty_scores()))
        return docnums

    def _keep(self, key: tuple, arrays: tuple[np.ndarray, np.ndarray]) -> None:
        with self.lock:
            if key not in self.postings:
                self.postings[key] = arrays
                self.bytes += arrays[0].nbytes + arrays[1].nbytes
            while self.bytes > self.max_bytes and self.postings:
                _, (first, second) = self.postings.popitem(last=False)
                self.bytes -= first.nbytes + second.nbytes

    def clear(self) -> None:
        with self.lock:
            self.segments.clear()
            self.postings.clear()
            self.bytes = 0


def _segment_key(reader) -> str:
    # Whoosh names each new segment with 16 random characters.
    return reader.segment().segment_id()


_cache = _Cache(POSTINGS_CACHE_BYTES)


def _leaves(searcher):
    """``(reader, offset)`` of every non-empty segment."""
    for subsearcher, offset in searcher.leaf_searchers():
        reader = subsearcher.reader()
        if reader.doc_count_all() and hasattr(reader, "segment"):
            yield reader, offset


# --- evaluating ---------------------------------------------------------------------------------

class _Statistics:
    """Index-wide statistics for scoring (as ``whoosh.scoring.BM25FScorer`` takes them)."""

    def __init__(self, searcher):
        self.searcher = searcher
        self._idf: dict[tuple, float] = {}
        self._avgfl: dict[str, float] = {}

    def idf(self, fieldname: str, text) -> float:
        key = (fieldname, text)
        if key not in self._idf:
            self._idf[key] = self.searcher.idf(fieldname, text)
        return self._idf[key]

    def avg_field_length(self, fieldname: str) -> float:
        if fieldname not in self._avgfl:
            self._avgfl[fieldname] = self.searcher.avg_field_length(fieldname) or 1
        return self._avgfl[fieldname]


def _evaluate(q, reader, segment: _SegmentArrays, stats: _Statistics) -> tuple[np.ndarray, np.ndarray]:
    """``(docnums, scores)`` of the documents of one segment matching a word query,
    docnums sorted; deleted documents included (the caller removes them)."""
    if type(q) is query.Term:
        if q.fieldname not in reader.schema:
            return _empty_ids(), _empty_scores()
        field = reader.schema[q.fieldname]
        try:
            text = field.to_bytes(q.text)
        except ValueError:
            return _empty_ids(), _empty_scores()
        ids, tf = _cache.term(reader, q.fieldname, text)
        if not len(ids):
            return ids, _empty_scores()
        lengths = segment.field_lengths(reader, q.fieldname, ids)
        avgfl = stats.avg_field_length(q.fieldname)
        idf = stats.idf(q.fieldname, text)
        scores = idf * ((tf * (BM25_K1 + 1)) / (tf + BM25_K1 * ((1 - BM25_B) + BM25_B * lengths / avgfl)))
        return ids, scores * q.boost
    if type(q) is query.Phrase:
        return _evaluate_phrase(q, reader, segment, stats)
    if type(q) is query.AndNot:  # scored by what is wanted, as Whoosh's AndNotMatcher does
        ids, scores = _evaluate(q.a, reader, segment, stats)
        if len(ids):
            keep = ~np.isin(ids, _evaluate(q.b, reader, segment, stats)[0], assume_unique=True)
            ids, scores = ids[keep], scores[keep]
        return ids, scores * q.boost
    parts = [_evaluate(child, reader, segment, stats) for child in q.subqueries]
    if type(q) is query.And:
        ids, scores = parts[0]
        for other_ids, other_scores in parts[1:]:
            if not len(ids):
                break
            ids, mine, theirs = np.intersect1d(ids, other_ids, assume_unique=True, return_indices=True)
            scores = scores[mine] + other_scores[theirs]
    else:
        parts = [part for part in parts if len(part[0])]
        if not parts:
            return _empty_ids(), _empty_scores()
        if len(parts) == 1:
            ids, scores = parts[0]
        else:
            ids, inverse = np.unique(np.concatenate([p[0] for p in parts]), return_inverse=True)
            scores = np.bincount(inverse, weights=np.concatenate([p[1] for p in parts]), minlength=len(ids))
    return ids, scores * q.boost


def _evaluate_phrase(q, reader, segment: _SegmentArrays, stats: _Statistics) -> tuple[np.ndarray, np.ndarray]:
    """A phrase: documents with every word (scored as the sum of the words' scores, as
    Whoosh's ``SpanNear2`` does) where the words stand next to each other in order."""
    ids, scores = _evaluate(query.And([query.Term(q.fieldname, word) for word in q.words]), reader, segment, stats)
    if len(q.words) < 2 or not len(ids):
        return ids, scores * q.boost
    field = reader.schema[q.fieldname]
    found = _cache.phrase(reader, q.fieldname, tuple(field.to_bytes(word) for word in q.words), ids)
    keep = np.isin(ids, found)
    return ids[keep], scores[keep] * q.boost


#: Positions of a word in one document are below this (keys are docnum * span + position).
POSITION_SPAN = 1 << 24


def _raw_positions(reader, fieldname: str, text: bytes, docnums: np.ndarray) -> np.ndarray:
    """Every position of a term in the documents ``docnums`` (sorted) of one segment, as
    sorted ``docnum * POSITION_SPAN + position`` keys: sliced from the segment's data file
    where it holds the word, otherwise decoded from Whoosh's blocks for those documents
    only (a Python call each)."""
    data = getattr(reader, "hoering_data", None)
    if data is not None:
        where = segments.postings_key(reader, fieldname, text)
        found = data.position_keys(where, docnums, POSITION_SPAN) if where is not None else None
        if found is not None:
            return found
    try:
        matcher = reader.postings(fieldname, text)
    except TermNotFound:
        return _empty_ids()
    while isinstance(matcher, FilterMatcher):
        matcher = matcher.child
    decode = reader.schema[fieldname].format.decode_positions
    keys: list[int] = []
    if all(hasattr(matcher, name) for name in ("_read_ids", "_read_values", "_next_block")):
        while matcher.is_active():  # Whoosh 2.7.4's block matcher, a block at a time
            if hasattr(matcher, "_byteids"):
                block = _block_ids(matcher)
            else:
                matcher._read_ids()  # noqa: SLF001
                block = np.asarray(matcher._ids, dtype=np.int64)  # noqa: SLF001
            wanted = np.flatnonzero(np.isin(block, docnums, assume_unique=True))
            if len(wanted):
                matcher._read_values()  # noqa: SLF001
                values = matcher._values  # noqa: SLF001
                for i in wanted.tolist():
                    base = int(block[i]) * POSITION_SPAN
                    keys.extend(base + position for position in decode(values[i]) if position < POSITION_SPAN)
            matcher._next_block()  # noqa: SLF001
    else:
        wanted_set = set(docnums.tolist())
        while matcher.is_active():
            if matcher.id() in wanted_set:
                base = matcher.id() * POSITION_SPAN
                keys.extend(base + position for position in matcher.value_as("positions")
                            if position < POSITION_SPAN)
            matcher.next()
    return np.unique(np.array(keys, dtype=np.int64))


def _allowed(ids: np.ndarray, reader, segment: _SegmentArrays, scope: Scope | None, created_field) -> np.ndarray:
    """A boolean mask over ``ids``: not deleted and within ``scope``."""
    keep = np.ones(len(ids), dtype=bool)
    if reader.has_deletions():
        keep &= ~np.isin(ids, np.fromiter(reader.segment().deleted_docs(), dtype=np.int64))
    if scope is None:
        return keep
    if scope.consultation_ids is not None:
        keep &= np.isin(segment.consultation[ids], np.array(sorted(scope.consultation_ids), dtype=np.int64))
    doc_types = segment.doc_type[ids]
    if scope.doc_types is not None:
        keep &= np.isin(doc_types, _codes_of(scope.doc_types))
    if scope.comment_states is not None:
        # Comments and formal responses by their state; consultations are not limited.
        keep &= (doc_types == _code("consultation")) | np.isin(segment.state[ids], _codes_of(scope.comment_states))
    if scope.created_from is not None:
        keep &= segment.created[ids] >= created_field.to_column_value(_naive_utc(scope.created_from))
    if scope.created_before is not None:
        keep &= segment.created[ids] < created_field.to_column_value(_naive_utc(scope.created_before))
    if scope.keys is not None:
        keep &= _listed(ids, reader, segment, scope.keys)
    return keep


#: Up to this many documents a scope lists are looked up one by one; beyond, the
#: segment's document numbers are read once and kept.
KEY_LOOKUPS = 2000


def _listed(ids: np.ndarray, reader, segment: _SegmentArrays, keys: frozenset[str]) -> np.ndarray:
    """A mask over ``ids``: which are among the documents ``keys`` (``"comment:12"``)."""
    if len(keys) <= KEY_LOOKUPS:
        wanted = [_raw_postings(reader, "key", key, weights=False)[0] for key in keys]
        return np.isin(ids, np.concatenate(wanted) if wanted else _empty_ids())
    by_type: dict[str, list[int]] = {}
    for key in keys:
        doc_type, _, number = key.partition(":")
        if number.isdigit():
            by_type.setdefault(doc_type, []).append(int(number))
    numbers, types = segment.doc_numbers(reader)[ids], segment.doc_type[ids]
    mask = np.zeros(len(ids), dtype=bool)
    for doc_type, wanted_numbers in by_type.items():
        mask |= (types == _code(doc_type)) & np.isin(numbers, np.array(wanted_numbers, dtype=np.int64))
    return mask


def _naive_utc(moment: dt.datetime) -> dt.datetime:
    return moment.astimezone(dt.UTC).replace(tzinfo=None) if moment.tzinfo else moment


@dataclass
class _Matches:
    """Every match within the scope: global docnums with their score, time and type."""

    docnums: np.ndarray
    scores: np.ndarray
    created: np.ndarray
    is_consultation: np.ndarray
    is_response: np.ndarray

    def ordered(self, sort: str) -> np.ndarray:
        """Positions in ranking order: best score first (``relevance``) or newest first;
        ties broken by docnum, so pages never overlap."""
        if sort == "newest":
            return np.lexsort((self.docnums, -self.created))
        return np.lexsort((self.docnums, -self.scores))


def _collect(searcher, parsed, scope: Scope | None) -> _Matches:
    """All documents matching ``parsed`` within ``scope``."""
    created_field = searcher.schema["created_at"]
    chunks = []
    if _is_word_query(parsed):
        stats = _Statistics(searcher)
        for reader, offset in _leaves(searcher):
            segment = _cache.segment(reader)
            ids, scores = _evaluate(parsed, reader, segment, stats)
            keep = _allowed(ids, reader, segment, scope, created_field)
            ids, scores = ids[keep], scores[keep]
            chunks.append((ids + offset, scores, segment.created[ids], segment.doc_type[ids] == _code("consultation"),
                           segment.doc_type[ids] == _code("response")))
    else:
        # Whoosh scores every match; the scope is then applied to the matches only.
        results = searcher.search(parsed, limit=None)
        found = sorted((docnum, score or 0.0) for score, docnum in results.top_n)
        docnums = np.array([docnum for docnum, _ in found], dtype=np.int64)
        scores = np.array([score for _, score in found], dtype=np.float64)
        for reader, offset in _leaves(searcher):
            segment = _cache.segment(reader)
            inside = (docnums >= offset) & (docnums < offset + reader.doc_count_all())
            ids = docnums[inside] - offset
            keep = _allowed(ids, reader, segment, scope, created_field)
            ids = ids[keep]
            chunks.append((ids + offset, scores[inside][keep], segment.created[ids],
                           segment.doc_type[ids] == _code("consultation"), segment.doc_type[ids] == _code("response")))
    if not chunks:
        return _Matches(_empty_ids(), _empty_scores(), _empty_ids(), np.zeros(0, dtype=bool), np.zeros(0, dtype=bool))
    return _Matches(*(np.concatenate([chunk[i] for chunk in chunks]) for i in range(5)))


# --- the search API ------------------------------------------------------------------------------

class _MarkFormatter(HtmlFormatter):
    """Highlight matches with ``<mark>`` (the text around them is escaped by Whoosh)."""

    def __init__(self):
        super().__init__(tagname="mark", between=" … ", classname="", termclass="")

    def format_token(self, text, token, replace=False):
        return f"<mark>{super()._text(token.text if replace else text[token.startchar:token.endchar])}</mark>"


def _snippet(schema, terms: set[tuple[str, str]], fields: dict) -> str:
    body = fields.get("body", "")
    field = LANGUAGE_FIELDS.get(fields.get("language"), "text_any")
    words = {text for fieldname, text in terms if fieldname == field}
    snippet = ""
    if words and body:
        snippet = highlight(body, words, schema[field].analyzer, ContextFragmenter(maxchars=300, surround=60),
                            _MarkFormatter(), top=2)
    return snippet or _escape(body[:240])


def search(index: SearchIndex, text: str, *, scope: Scope | None = None, page: int = 1, per_page: int = 20,
           sort: str = "relevance") -> SearchResult:
    """Search the index.

    Args:
        index: the index to search.
        text: the raw query as typed (any string).
        scope: which documents may be found (``None``: all).
        page: 1-based; clamped to the last page.
        per_page: results a page.
        sort: ``relevance`` or ``newest``.

    Returns:
        A :class:`SearchResult` with highlighted, HTML-escaped snippets.

    Raises:
        SearchUnavailable: the index could not be read (:meth:`SearchIndex.read`).
    """
    prepared, truncated = prepare_query_text(text)

    def answer(searcher) -> SearchResult:
        schema = searcher.schema
        parsed = parse_query(schema, prepared) if prepared else query.NullQuery
        if parsed is query.NullQuery:
            return SearchResult([], 0, {}, 1, 1, prepared, truncated, None)
        parsed = _expand_prefixes(parsed, searcher.reader())
        matches = _collect(searcher, parsed, scope)
        total = len(matches.docnums)
        pages = max(1, -(-total // per_page))
        shown = min(max(1, page), pages)
        consultations, responses = int(matches.is_consultation.sum()), int(matches.is_response.sum())
        counts = {"consultation": consultations, "comment": total - consultations - responses, "response": responses}
        order = matches.ordered(sort)[(shown - 1) * per_page: shown * per_page]
        terms = {(fieldname, value.decode() if isinstance(value, bytes) else value)
                 for fieldname, value in parsed.iter_all_terms()}
        hits = []
        for docnum in matches.docnums[order].tolist():
            fields = searcher.stored_fields(docnum)
            created = fields.get("created_at")
            author = fields.get("author", "")
            if fields["doc_type"] == "comment" and not author:
                author = str(DELETED_USER_LABEL)  # deleted accounts are indexed without a name
            hits.append(Hit(fields["doc_type"], int(fields["doc_id"]), int(fields["consultation_id"]),
                            fields["state"], fields.get("title", ""), author,
                            _snippet(schema, terms, fields), created.replace(tzinfo=dt.UTC) if created else None))
        suggestion = None
        if total == 0:
            candidate = _suggest(searcher, prepared, scope)
            # Offer it only if it finds something this visitor may see: a suggestion must
            # not reveal words that exist only in hidden, pending or draft texts.
            if candidate and len(_collect(searcher, parse_query(schema, candidate), scope).docnums):
                suggestion = candidate
        return SearchResult(hits, total, counts, shown, pages, prepared, truncated, suggestion)

    return index.read(answer)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


_LETTERS = "abcdefghijklmnopqrstuvwxyzæøåäöüé"
#: Most indexed words (one edit away, in most documents first) checked for each word of a
#: query, and how many words' candidates each process keeps.
SUGGESTION_CANDIDATES = 20
SUGGESTION_CACHE = 2048


def edits(word: str) -> set[str]:
    """Words one edit away from ``word`` (a letter left out, two letters swapped, one
    changed or added; Damerau's four kinds of error) that keep its first letter."""
    splits = [(word[:i], word[i:]) for i in range(1, len(word) + 1)]
    found = {a + b[1:] for a, b in splits if b}
    found |= {a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1}
    found |= {a + c + b[1:] for a, b in splits if b for c in _LETTERS}
    found |= {a + c + b for a, b in splits for c in _LETTERS}
    found.discard(word)
    return found


_candidates_cache: OrderedDict[tuple, list[str]] = OrderedDict()
_candidates_lock = threading.Lock()


def _indexed_edits(searcher, word: str) -> list[str]:
    """The words one edit away from ``word`` that the index holds (any state), at most
    :data:`SUGGESTION_CANDIDATES`, in most documents first; kept per set of segments (a
    segment never changes), since looking up each edit takes a few milliseconds."""
    key = (tuple(_segment_key(reader) for reader, _ in _leaves(searcher)), word)
    with _candidates_lock:
        if key in _candidates_cache:
            _candidates_cache.move_to_end(key)
            return _candidates_cache[key]
    reader = searcher.reader()
    found = sorted((-reader.doc_frequency("words", candidate), candidate) for candidate in edits(word)
                   if ("words", candidate) in reader)
    candidates = [candidate for _, candidate in found[:SUGGESTION_CANDIDATES]]
    with _candidates_lock:
        _candidates_cache[key] = candidates
        while len(_candidates_cache) > SUGGESTION_CACHE:
            _candidates_cache.popitem(last=False)
    return candidates


def _suggest(searcher, text: str, scope: Scope | None) -> str | None:
    """A "did you mean" string: each word the visitor may not find replaced by the
    closest word they may find (one edit away, same first letter: :func:`edits`, looked
    up in the index's ``words`` field).

    Only words that occur, exactly, in documents within ``scope`` are considered, and
    they are ranked by how often they occur there, so a suggestion never reveals, by its
    presence, absence or order, a word of a hidden, pending or draft text.
    """
    words = re.findall(r"\w+", text.lower())
    if not words or len(words) > 3:
        return None

    def visible(word: str) -> int:
        return len(_collect(searcher, query.Term("words", word), scope).docnums)

    changed, out = False, []
    for word in words:
        if 3 < len(word) <= 20 and not visible(word):
            found = [(visible(candidate), candidate) for candidate in _indexed_edits(searcher, word)]
            found = sorted((-count, candidate) for count, candidate in found if count)
            if found:
                out.append(found[0][1])
                changed = True
                continue
        out.append(word)
    return " ".join(out) if changed else None


def matching_ids(index: SearchIndex, text: str, scope: Scope | None = None, limit: int | None = 5000) -> list[int]:
    """Ids (``doc_id``) of the best ``limit`` documents matching ``text`` within ``scope``,
    best first.

    Raises:
        SearchUnavailable: the index could not be read (:meth:`SearchIndex.read`).
    """
    prepared, _ = prepare_query_text(text)
    if not prepared:
        return []

    def answer(searcher) -> list[int]:
        parsed = parse_query(searcher.schema, prepared)
        if parsed is query.NullQuery:
            return []
        parsed = _expand_prefixes(parsed, searcher.reader())
        matches = _collect(searcher, parsed, scope)
        order = matches.ordered("relevance")[:limit]
        return [int(searcher.stored_fields(docnum)["doc_id"]) for docnum in matches.docnums[order].tolist()]

    return index.read(answer)


def clear_cache() -> None:
    """Forget cached segment arrays, postings and suggestion candidates (tests that
    recreate an index in place)."""
    _cache.clear()
    with _candidates_lock:
        _candidates_cache.clear()
