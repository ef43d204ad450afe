"""Per-segment data derived from a Whoosh segment, kept on disk beside it.

A Whoosh segment never changes once written (deletions are kept apart, in the table of
contents). What the query engine (:mod:`hoering.search.querying`) derives from a segment
is therefore fixed too, yet a new process used to derive it again from Whoosh's blocks
(a file read, zlib and a pickle per 128 postings, in Python): about 50 ms for the
consultation, type and state of 100,000 documents, 1.2 s for their ids, and 3–9 ms for
each common word a process met for the first time (docs/PERFORMANCE.md).

So the process that commits a segment of at least :data:`MIN_DOCS` documents (a rebuild,
or a merge of smaller segments) writes one more file beside it,
``MAIN_<random id>.hoering`` (the segment's id and this extension), holding:

* each document's consultation id, document type, state and ``doc_id``;
* the document numbers and weights (term frequencies) of every word of the text fields
  (:data:`POSTING_FIELDS`) found in more than :data:`MIN_POSTINGS` documents, that is
  stored by Whoosh in more than one block (rarer words cost one block to decode), and
  the word's positions in each of them (for exact phrases: decoding them took 40–110 ms
  for the first ``"den norske kirke"`` of a process).

Searchers map the file into memory when they open the segment
(:func:`open_segment_data`), so a new process reads what a query touches and nothing
else. The name matches Whoosh's pattern for a segment's files, so Whoosh deletes it with
the segment (``whoosh.index.clean_files``). A segment without the file (smaller, written
by an older version, or whose file could not be written) is read from Whoosh's blocks as
before: the file only saves time, and the answers are the same either way (a test compares
them).

File layout: the 8 bytes :data:`MAGIC`, the length of a JSON header as 8 bytes (little
endian), the header (``doc_count``, the segment's ``doc_types`` and ``states`` in code
order, and ``arrays``: ``{name: [numpy dtype, byte offset, count]}``), then the arrays,
each at an offset that is a multiple of 8.
"""

from __future__ import annotations

import json
import logging
import mmap
import os
import struct

from whoosh.matching.wrappers import FilterMatcher
from whoosh.reading import TermNotFound

log = logging.getLogger(__name__)

MAGIC = b"HOERSEG1"
#: The file's extension after ``MAIN_<segment id>.``.
SUFFIX = "hoering"
#: Segments of fewer documents get no file: decoding their blocks costs little (a common
#: word of 10,000 documents is about 80 blocks, 1 ms), and commits of single comments,
#: and merges of small segments, stay as quick as before.
MIN_DOCS = 10_000
#: Words in at most this many documents of a segment (one Whoosh block) are not copied.
MIN_POSTINGS = 128
#: Fields whose words' postings are copied: every field a word query reads.
POSTING_FIELDS = ("text_no", "text_en", "text_de", "text_any", "parts_no", "author", "words")
#: Fields whose words' positions are copied too: those an exact phrase is searched in
#: (``words`` is only looked up word by word, for suggestions).
PHRASE_FIELDS = ("text_no", "text_en", "text_de", "text_any", "parts_no", "author")


class _Numpy:
    """numpy, imported on first use (a web worker that never searches does not load it:
    ``tests/test_lean_imports.py``)."""

    def __getattr__(self, name: str):
        import numpy
        import numpy.ma  # noqa: F401 - see hoering.search.querying._Numpy

        globals()["np"] = numpy
        return getattr(numpy, name)


np = _Numpy()


def file_name(segment_id: str) -> str:
    """The data file of a segment: ``MAIN_<random id>.hoering`` (Whoosh's segment ids
    begin with the index's name, ``MAIN``)."""
    return f"{segment_id}.{SUFFIX}"


# --- reading Whoosh's blocks ---------------------------------------------------------------------

def raw_postings(reader, fieldname: str, text, weights: bool = True):
    """``(docnums, weights)`` of a term in one segment from Whoosh's own postings, deleted
    documents included, as numpy arrays (int64, float64; ``weights=False``: docnums only,
    the weights array is empty). A missing term gives two empty arrays."""
    try:
        matcher = reader.postings(fieldname, text)
    except TermNotFound:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float64)
    while isinstance(matcher, FilterMatcher):  # the deletion filter: applied by the caller
        matcher = matcher.child
    ids: list[int] = []
    values: list[float] = []
    if all(hasattr(matcher, name) for name in ("_read_data", "_byteids", "_blocklength", "_next_block")):
        # Whoosh 2.7.4's block matcher stores up to 128 postings a block: the document
        # numbers (:func:`block_ids`), and the weights as an array, one float or None
        # (all 1.0). Whole blocks are turned into numpy arrays.
        id_blocks, weight_blocks = [], []
        while matcher.is_active():
            id_blocks.append(block_ids(matcher))
            raw_weights = matcher._data[1]  # noqa: SLF001
            if weights:
                if raw_weights is None or isinstance(raw_weights, float):
                    weight_blocks.append(np.full(matcher._blocklength, 1.0 if raw_weights is None  # noqa: SLF001
                                                 else raw_weights))
                else:
                    weight_blocks.append(np.asarray(raw_weights, dtype=np.float64))
            matcher._next_block()  # noqa: SLF001
        if not id_blocks:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float64)
        return (np.concatenate(id_blocks),
                np.concatenate(weight_blocks) if weights else np.zeros(0, dtype=np.float64))
    if all(hasattr(matcher, name) for name in ("_read_ids", "_read_weights", "_next_block")):
        # Another block matcher: take whole blocks rather than make three Python calls a
        # posting.
        while matcher.is_active():
            matcher._read_ids()  # noqa: SLF001
            ids.extend(matcher._ids)  # noqa: SLF001
            if weights:
                matcher._read_weights()  # noqa: SLF001
                values.extend(matcher._weights)  # noqa: SLF001
            matcher._next_block()  # noqa: SLF001
    else:
        while matcher.is_active():
            ids.append(matcher.id())
            if weights:
                values.append(matcher.weight())
            matcher.next()
    return np.array(ids, dtype=np.int64), np.array(values, dtype=np.float64)


def block_ids(matcher):
    """The document numbers of the current block of a Whoosh 2.7.4 block matcher: stored
    as an array of differences (unless ``_byteids``), summed here with numpy rather than
    in Python (which took most of a cold query's time)."""
    if matcher._data is None:  # noqa: SLF001
        matcher._read_data()  # noqa: SLF001
    block = np.asarray(matcher._data[0], dtype=np.int64)  # noqa: SLF001
    return block if matcher._byteids else np.cumsum(block)  # noqa: SLF001


def raw_positions(reader, fieldname: str, text, expected: int):
    """``(counts, positions)`` of a term in one segment from Whoosh's own postings: how
    many positions each posting has (int64, in posting order) and all of them, posting
    after posting (int64). ``expected`` is the number of postings (a check).

    Raises:
        ValueError: Whoosh's postings and ``expected`` disagree.
    """
    matcher = reader.postings(fieldname, text)
    while isinstance(matcher, FilterMatcher):
        matcher = matcher.child
    decode = reader.schema[fieldname].format.decode_positions
    counts: list[int] = []
    positions: list[int] = []
    while matcher.is_active():
        if all(hasattr(matcher, name) for name in ("_read_values", "_blocklength", "_next_block")):
            matcher._read_values()  # noqa: SLF001 - Whoosh 2.7.4's block matcher, a block at a time
            for value in matcher._values:  # noqa: SLF001
                found = decode(value)
                counts.append(len(found))
                positions.extend(found)
            matcher._next_block()  # noqa: SLF001
        else:
            found = list(matcher.value_as("positions"))
            counts.append(len(found))
            positions.extend(found)
            matcher.next()
    if len(counts) != expected:
        raise ValueError(f"{len(counts)} position lists for {expected} postings")
    return np.array(counts, dtype=np.int64), np.array(positions, dtype=np.int64)


def postings_key(reader, fieldname: str, text) -> int | None:
    """Where a term's postings start in the segment's postings file (unique within the
    segment, so it names the term in :class:`SegmentData`); ``None`` for a missing term
    or one whose postings Whoosh keeps inside its term entry (a single document).

    Uses ``W3TermInfo.extent()`` of Whoosh 2.7.4.
    """
    try:
        info = reader.term_info(fieldname, text)
    except TermNotFound:
        return None
    if getattr(info, "is_inlined", lambda: True)() or not hasattr(info, "extent"):
        return None
    return int(info.extent()[0])


# --- writing ----------------------------------------------------------------------------------------

def derive(reader) -> tuple[dict, dict]:
    """What :func:`write_segment_data` stores for one segment: ``(header, arrays)``.

    Args:
        reader: a Whoosh 2.7.4 ``SegmentReader`` of the segment.

    Returns:
        The header's lists (``doc_types``, ``states``) and ``{name: numpy array}``:
        ``consultation`` (int64, -1 where none), ``doc_type`` and ``state`` (int8 codes
        into the lists, -1 where none), ``numbers`` (int64 ``doc_id``, -1 where none), and
        the postings: ``post_keys`` (int64, :func:`postings_key`, sorted),
        ``post_starts`` (int64, one more than the keys: the word ``i``'s postings are
        ``post_ids[post_starts[i]:post_starts[i + 1]]``), ``post_ids`` (int32 document
        numbers, ascending per word), ``post_weights`` (float32, as Whoosh stores them),
        and the word positions of each posting (in :data:`PHRASE_FIELDS`; none elsewhere):
        posting ``j``'s are ``positions[pos_starts[j]:pos_starts[j + 1]]`` (uint32).
    """
    n = reader.doc_count_all()
    consultation = np.full(n, -1, dtype=np.int64)
    for term in reader.lexicon("consultation_id"):
        consultation[raw_postings(reader, "consultation_id", term, weights=False)[0]] = int(term.decode())
    lists: dict[str, list[str]] = {}
    coded: dict[str, np.ndarray] = {}
    for field, name in (("doc_type", "doc_types"), ("state", "states")):
        values = np.full(n, -1, dtype=np.int8)
        lists[name] = []
        for term in reader.lexicon(field):
            values[raw_postings(reader, field, term, weights=False)[0]] = len(lists[name])
            lists[name].append(term.decode())
        coded[field] = values
    numbers = np.full(n, -1, dtype=np.int64)
    for text, info in reader.iter_field("key"):
        number = (text.decode() if isinstance(text, bytes) else text).partition(":")[2]
        if number.isdigit():
            docs = [info.min_id()] if info.doc_frequency() == 1 else \
                raw_postings(reader, "key", text, weights=False)[0]
            numbers[docs] = int(number)
    keys, starts, id_parts, weight_parts, count_parts, position_parts = [], [0], [], [], [], []
    for field in POSTING_FIELDS:
        if field not in reader.schema or not reader.field_length(field):
            continue
        common = [text for text, info in reader.iter_field(field) if info.doc_frequency() > MIN_POSTINGS]
        for text in common:
            key = postings_key(reader, field, text)
            if key is None:
                continue
            ids, weights = raw_postings(reader, field, text)
            counts, positions = (raw_positions(reader, field, text, len(ids)) if field in PHRASE_FIELDS
                                 else (np.zeros(len(ids), dtype=np.int64), np.zeros(0, dtype=np.int64)))
            keys.append(key)
            starts.append(starts[-1] + len(ids))
            id_parts.append(ids.astype(np.int32))
            weight_parts.append(weights.astype(np.float32))
            count_parts.append(counts)
            position_parts.append(positions.astype(np.uint32))
    order = np.argsort(np.array(keys, dtype=np.int64), kind="stable")
    lengths = np.diff(np.array(starts, dtype=np.int64))[order]
    counts = np.concatenate([count_parts[i] for i in order]) if keys else np.zeros(0, dtype=np.int64)
    arrays = {
        "consultation": consultation, "doc_type": coded["doc_type"], "state": coded["state"], "numbers": numbers,
        "post_keys": np.array(keys, dtype=np.int64)[order],
        "post_starts": np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64),
        "post_ids": np.concatenate([id_parts[i] for i in order]) if keys else np.zeros(0, dtype=np.int32),
        "post_weights": np.concatenate([weight_parts[i] for i in order]) if keys else np.zeros(0, dtype=np.float32),
        "pos_starts": np.concatenate([[0], np.cumsum(counts)]).astype(np.int64),
        "positions": np.concatenate([position_parts[i] for i in order]) if keys else np.zeros(0, dtype=np.uint32),
    }
    return lists, arrays


def write_segment_data(folder: str, reader) -> str:
    """Write the data file of the segment ``reader`` reads into ``folder`` (a temporary
    file renamed into place, so a reader never sees half of one); returns its path.

    Raises:
        OSError: the file could not be written.
    """
    lists, arrays = derive(reader)
    segment_id = reader.segment().segment_id()
    header = {"doc_count": reader.doc_count_all(), **lists, "arrays": {}}
    offset = 0
    for name, array in arrays.items():
        header["arrays"][name] = [array.dtype.str, offset, len(array)]
        offset += -(-array.nbytes // 8) * 8
    header_bytes = json.dumps(header).encode()
    header_bytes += b" " * (-(len(MAGIC) + 8 + len(header_bytes)) % 8)
    path = os.path.join(folder, file_name(segment_id))
    # The temporary name also matches Whoosh's pattern, so it is cleaned up with the
    # segment should this process die half-way.
    temporary = f"{path}.tmp{os.getpid()}"
    try:
        with open(temporary, "wb") as handle:
            handle.write(MAGIC + struct.pack("<Q", len(header_bytes)) + header_bytes)
            for array in arrays.values():
                data = array.tobytes()
                handle.write(data + b"\0" * (-len(data) % 8))
        os.replace(temporary, path)
    except BaseException:
        try:
            os.unlink(temporary)
        except OSError:
            pass
        raise
    return path


# --- reading ----------------------------------------------------------------------------------------

class SegmentData:
    """One segment's data file, mapped into memory (the mapping stays readable after the
    file is deleted by a merge). Arrays are numpy views of the mapping, made on first use.

    Args:
        mapped: the mapped file.
        header: its JSON header (see the module's docstring).
        base: offset of the first array in the file.
    """

    def __init__(self, mapped: mmap.mmap, header: dict, base: int):
        self._mapped = mapped
        self.header = header
        self._base = base
        self._arrays: dict = {}

    def array(self, name: str):
        """The stored array ``name`` (read-only)."""
        if name not in self._arrays:
            dtype, offset, count = self.header["arrays"][name]
            self._arrays[name] = np.frombuffer(self._mapped, dtype=np.dtype(dtype), count=count,
                                               offset=self._base + offset)
        return self._arrays[name]

    def locate(self, key: int) -> tuple[int, int] | None:
        """Where the postings of the word whose :func:`postings_key` is ``key`` lie in
        ``post_ids`` (start, stop), or ``None`` if the file does not hold that word."""
        keys = self.array("post_keys")
        i = int(np.searchsorted(keys, key))
        if i == len(keys) or int(keys[i]) != key:
            return None
        starts = self.array("post_starts")
        return int(starts[i]), int(starts[i + 1])

    def postings(self, key: int):
        """``(docnums int64, weights float64)`` of the word whose :func:`postings_key` is
        ``key``, or ``None`` if the file does not hold that word."""
        where = self.locate(key)
        if where is None:
            return None
        start, stop = where
        return (self.array("post_ids")[start:stop].astype(np.int64),
                self.array("post_weights")[start:stop].astype(np.float64))

    def position_keys(self, key: int, docnums, span: int):
        """Every position of the word ``key`` (:func:`postings_key`) in the documents
        ``docnums`` (sorted int64), as sorted unique ``docnum * span + position`` (int64;
        positions from ``span`` on are left out); ``None`` if the file does not hold
        that word. Decodes nothing: the positions are sliced out of the mapped file."""
        where = self.locate(key)
        if where is None:
            return None
        start, stop = where
        ids = self.array("post_ids")[start:stop].astype(np.int64)
        chosen = np.flatnonzero(np.isin(ids, docnums, assume_unique=True)) + start
        pos_starts = self.array("pos_starts")
        first, counts = pos_starts[chosen], pos_starts[chosen + 1] - pos_starts[chosen]
        total = int(counts.sum())
        # the index of each wanted position in ``positions``: a run per chosen posting
        runs = np.repeat(first - np.concatenate([[0], np.cumsum(counts)[:-1]]), counts) + np.arange(total)
        positions = self.array("positions")[runs].astype(np.int64)
        docs = np.repeat(self.array("post_ids")[chosen].astype(np.int64), counts)
        inside = positions < span
        return np.unique(docs[inside] * span + positions[inside])


def open_segment_data(folder: str, segment_id: str, doc_count: int) -> SegmentData | None:
    """The mapped data file of a segment, or ``None`` if it has none (or one that does
    not fit: another format, or another number of documents)."""
    path = os.path.join(folder, file_name(segment_id))
    try:
        with open(path, "rb") as handle:
            if os.fstat(handle.fileno()).st_size < len(MAGIC) + 8:
                return None
            mapped = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
    except (FileNotFoundError, ValueError):
        return None
    try:
        if mapped[:len(MAGIC)] != MAGIC:
            raise ValueError("not a segment data file")
        (length,) = struct.unpack("<Q", mapped[len(MAGIC):len(MAGIC) + 8])
        base = len(MAGIC) + 8 + length
        header = json.loads(mapped[len(MAGIC) + 8:base])
        if header.get("doc_count") != doc_count:
            raise ValueError("written for another segment")
        # numpy's dtype strings end in the item size ("<i8", "|i1"): no numpy needed to
        # open a searcher.
        end = max((offset + count * int(dtype[2:]) for dtype, offset, count in header["arrays"].values()),
                  default=0)
        if base + end > len(mapped):
            raise ValueError("cut short")
    except (ValueError, KeyError, TypeError, struct.error) as error:
        log.warning("ignoring the segment data file %s: %s", path, error)
        mapped.close()
        return None
    return SegmentData(mapped, header, base)
