"""The Whoosh index: schema, analyzers, writing with a lock timeout, open searchers.

Queries are answered in :mod:`hoering.search.querying`.

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
import logging
import os
import pickle
import shutil
import struct
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass

from whoosh import index as whoosh_index
from whoosh.analysis import LanguageAnalyzer, StandardAnalyzer
from whoosh.codec.whoosh3 import LENGTHS_COLUMN, STORED_COLUMN, _lenfield
from whoosh.fields import DATETIME, ID, STORED, TEXT, Schema
from whoosh.filedb.filestore import FileStorage
from whoosh.index import LockError
from whoosh.reading import EmptyReader, MultiReader, ReaderClosed, SegmentReader
from whoosh.searching import Searcher
from whoosh.util.filelock import try_for
from whoosh.writing import CLEAR

from hoering.search import segments, words

log = logging.getLogger(__name__)

#: Index text field per content language.
LANGUAGE_FIELDS = {"nb": "text_no", "nn": "text_no", "no": "text_no", "en": "text_en", "de": "text_de"}
TEXT_FIELDS = ("text_no", "text_en", "text_de", "text_any")
#: Seconds a writer waits for another writer's lock before giving up.
WRITER_TIMEOUT = 0.5
#: Segments are written as separate files, not one compound file: Whoosh reads a compound
#: file's parts into memory on every open (about 0.1 s for 100,000 comments), separate
#: files are read where they lie.
COMPOUND_SEGMENTS = False
#: The lock file a Whoosh writer holds (``FileIndex.lock("WRITELOCK")`` of the index
#: named ``MAIN``, the default).
WRITER_LOCK = "MAIN_WRITELOCK"
#: Column fields every document has (:meth:`IndexDocument.fields` always sets them), so
#: every segment has their column files.
COLUMN_FIELDS = ("created_at",)
#: Times a searcher is opened afresh when another process's commit deleted segment files
#: while it was being opened, before giving up.
OPEN_ATTEMPTS = 20
#: Errors of reading the index's files (whoosh's own ``IndexError`` is not the builtin).
INDEX_READ_ERRORS = (OSError, EOFError, struct.error, pickle.UnpicklingError, whoosh_index.IndexError,
                     ReaderClosed)

# Open searchers per thread and index folder, kept between requests (see SearchIndex.searcher).
_open_searchers = threading.local()


class _ThreadSearchers(dict):
    """One thread's open searchers, ``{index path: (version, searcher)}``. They are closed
    when the thread ends: a server that starts a thread per request would otherwise leave
    their files open until the garbage collector finds them."""

    def __del__(self):
        for _version, searcher in self.values():
            try:
                searcher.close()
            except Exception:  # noqa: BLE001 - nothing to do about a file that will not close
                pass


class SearchUnavailable(RuntimeError):
    """The index could not be read just now (its files could not be opened or read, even
    on a freshly opened searcher). The search page and API answer 503 with Retry-After."""


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
        # The parts of Norwegian compound words (hoering.search.words), weighed less.
        parts_no=TEXT(analyzer=LanguageAnalyzer("no")),
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
        found = {
            "key": self.key, "doc_type": self.doc_type, "doc_id": str(self.doc_id),
            "consultation_id": str(self.consultation_id), "state": self.state, "language": self.language,
            "author": self.author, "title": self.title, "body": self.body, field: text, "words": text,
            "created_at": self.created_at.replace(tzinfo=None), "stamp": self.stamp,
        }
        parts = words.compound_parts(text, self.language)
        if parts:
            found["parts_no"] = parts
        return found


def _writable(fields: dict, schema) -> dict:
    """``fields`` without those the index's schema lacks (an index made before a field
    was added, until ``reindex`` rebuilds it with the current schema)."""
    return {name: value for name, value in fields.items() if name in schema}


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
        one opens the index; then it simply tries again. An empty index is created only
        with the writer lock held, after looking again: a directory listing taken while
        another process renames its new table of contents into place may show none, and
        creating an index deletes every file of the one there.

        Raises:
            FileNotFoundError: the index kept changing under every attempt.
            LockError: there seemed to be no index, and another writer held the lock for
                a minute.
        """
        os.makedirs(self.path, exist_ok=True)
        for attempt in range(20):
            try:
                if whoosh_index.exists_in(self.path):
                    return whoosh_index.open_dir(self.path)
                return self._create_if_missing()
            except FileNotFoundError:
                if attempt == 19:
                    raise
                time.sleep(0.01)

    def _create_if_missing(self):
        """The index, created empty if there is still none once the writer lock is held
        (a commit holds that lock until its table of contents is in place)."""
        lock = FileStorage(self.path).lock(WRITER_LOCK)
        if not try_for(lock.acquire, timeout=60, delay=0.05):
            raise LockError("the index's writer lock")
        try:
            if whoosh_index.exists_in(self.path):
                return whoosh_index.open_dir(self.path)
            return whoosh_index.create_in(self.path, build_schema())
        finally:
            lock.release()

    def clear(self) -> None:
        """Delete everything and start an empty index."""
        self.close_searcher()
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
            writer = ix.writer(timeout=timeout, compound=COMPOUND_SEGMENTS)
        except LockError:
            return False
        try:
            for key in deletes:
                writer.delete_by_term("key", key)
            for document in upserts:
                writer.update_document(**_writable(document.fields(), writer.schema))
        except BaseException:
            writer.cancel()
            raise
        writer.commit()
        # The commit's new segment holds its documents and those of the segments it
        # merged (Whoosh 2.7.4's ``SegmentWriter.docnum``); only a large one needs a file.
        if getattr(writer, "docnum", segments.MIN_DOCS) >= segments.MIN_DOCS:
            self.write_segment_data()
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
        writer = ix.writer(timeout=timeout, limitmb=128, compound=COMPOUND_SEGMENTS)
        try:
            current = build_schema()
            for name in current.names():  # fields added since the index was made
                if name not in writer.schema:
                    writer.add_field(name, current[name])
            if before_reading is not None:
                before_reading()
            count = 0
            for document in documents():
                writer.add_document(**_writable(document.fields(), writer.schema))
                count += 1
        except BaseException:
            writer.cancel()
            raise
        writer.commit(mergetype=CLEAR, optimize=True)
        self.write_segment_data()
        return count

    def write_segment_data(self) -> int:
        """Write the data file (:mod:`hoering.search.segments`) of every segment of the
        latest version that should have one and has none; returns how many were written.

        Called by the process that committed, after a rebuild and after a commit whose
        new segment (with the segments it merged) holds :data:`segments.MIN_DOCS`
        documents or more; a commit of a few comments skips it. A segment merged away meanwhile by another process
        is skipped; a file that cannot be written is logged and left out (searches then
        read that segment from Whoosh's blocks, as without the file).
        """
        written = 0
        try:
            ix = self.open()
            toc = whoosh_index.TOC.read(ix.storage, ix.indexname)
            present = set(ix.storage.list())
        except INDEX_READ_ERRORS as error:
            log.warning("could not list the index's segments for their data files: %r", error)
            return 0
        for segment in toc.segments:
            name = segments.file_name(segment.segment_id())
            if segment.doc_count_all() < segments.MIN_DOCS or name in present:
                continue
            try:
                reader = _open_segment(ix.storage, toc, segment)
            except FileNotFoundError:
                continue  # merged away by another process's commit
            try:
                segments.write_segment_data(self.path, reader)
                written += 1
            except FileNotFoundError:
                continue
            except INDEX_READ_ERRORS as error:
                log.warning("could not write the data file of segment %s: %r", segment.segment_id(), error)
            finally:
                reader.close()
        return written

    def _version(self) -> tuple | None:
        """Which committed version of the index is on disk: its generation and the identity
        of its table of contents (a cleared and rebuilt index may reuse a generation)."""
        generation = whoosh_index.TOC._latest_generation(FileStorage(self.path), whoosh_index._DEF_INDEX_NAME)
        try:
            info = os.stat(os.path.join(self.path, whoosh_index.TOC._filename(whoosh_index._DEF_INDEX_NAME, generation)))
        except OSError:
            return None
        return generation, info.st_ino, info.st_mtime_ns, info.st_size

    def close_searcher(self) -> None:
        """Close this thread's open searcher on the index, if any."""
        cached = _open_searchers.__dict__.get("by_path", {}).pop(self.path, None)
        if cached is not None:
            cached[1].close()

    @contextmanager
    def searcher(self):
        """A Whoosh searcher on the latest committed version of the index.

        Opening an index reads every segment's term tables, which for 100,000 comments
        costs far more than a query, so each thread keeps its searcher open between
        requests and opens a new one only when another commit has happened since
        (Whoosh searchers are not shared between threads).
        """
        cache = getattr(_open_searchers, "by_path", None)
        if cache is None:
            cache = _open_searchers.by_path = _ThreadSearchers()
        version = self._version()
        cached = cache.get(self.path)
        if cached is not None and (version is None or cached[0] != version):
            del cache[self.path]
            cached[1].close()
            cached = None
        if cached is None:
            cached = (version, self._open_searcher())
            if version is not None:
                cache[self.path] = cached
        try:
            yield cached[1]
        finally:
            if version is None:
                cached[1].close()

    def read(self, work):
        """``work(searcher)`` on this thread's searcher, and its answer.

        Should reading fail (another process's commit changed the index's files under
        it), the searcher is dropped and ``work`` runs once more on a freshly opened one.

        Args:
            work: a callable taking a Whoosh searcher; it may be called twice, so it must
                not change anything outside.

        Raises:
            SearchUnavailable: the index could not be read on a fresh searcher either.
        """
        for attempt in (1, 2):
            try:
                with self.searcher() as searcher:
                    return work(searcher)
            except INDEX_READ_ERRORS as error:
                self.close_searcher()
                if attempt == 2:
                    raise SearchUnavailable(f"the search index in {self.path} could not be read") from error
                log.warning("reading the search index failed (%r); trying a fresh searcher", error)
        raise AssertionError("unreachable")

    def _open_searcher(self):
        """A searcher on the latest committed version with every file a query reads open.

        Whoosh opens a segment's terms and postings when its reader is made, but its
        column files (stored fields, field lengths, creation times) only on first use,
        and it takes a column file that is not on disk for a column the segment never had
        (no stored fields, every date the default). A commit in another process that
        merges segments deletes their files, so a searcher made just before it would
        later answer wrongly or fail mid-query. Open files stay readable after they are
        deleted, so each segment's columns are opened right after the segment; a column
        the segment must have (by its own metadata) that is not on disk means the segment
        was merged away meanwhile: everything opened is closed and the newest version is
        opened instead. Once this returns, no commit can disturb the searcher.

        Raises:
            SearchUnavailable: segments kept vanishing for :data:`OPEN_ATTEMPTS` tries.
        """
        last_error = None
        for _attempt in range(OPEN_ATTEMPTS):
            try:
                return self._open_snapshot()
            except FileNotFoundError as error:
                last_error = error
                time.sleep(0.01)
        raise SearchUnavailable(f"the search index in {self.path} kept changing while it was opened") from last_error

    def _open_snapshot(self):
        """One try of :meth:`_open_searcher`: the segments of the latest table of contents.

        The readers are made here rather than by ``Index.searcher()``, which leaves the
        segment readers it already opened to the garbage collector when a later segment's
        files have gone.

        Raises:
            FileNotFoundError: a file of the version read has been deleted meanwhile.
        """
        ix = self.open()
        toc = whoosh_index.TOC.read(ix.storage, ix.indexname)
        readers = []
        try:
            for segment in toc.segments:
                readers.append(_open_segment(ix.storage, toc, segment))
                _open_columns(readers[-1], toc.schema)
                # Mapped now, like the columns, so a later merge cannot take it away.
                readers[-1].hoering_data = segments.open_segment_data(
                    self.path, segment.segment_id(), segment.doc_count_all())
        except BaseException:
            for reader in readers:
                reader.close()
            raise
        if not readers:
            reader = EmptyReader(toc.schema)
        elif len(readers) == 1:
            reader = readers[0]
        else:
            reader = MultiReader(readers, generation=toc.generation)
        return Searcher(reader, fromindex=ix)

    def stamps(self) -> dict[str, str]:
        """``{key: stamp}`` of every document in the index.

        Raises:
            SearchUnavailable: the index could not be read.
        """
        return self.read(lambda searcher: {fields["key"]: fields.get("stamp", "")
                                           for fields in searcher.all_stored_fields()})


class _RecordingStorage:
    """A Whoosh storage that remembers the files opened through it while ``recording``."""

    def __init__(self, storage):
        self._storage = storage
        self.opened = []
        self.recording = True

    def open_file(self, name, **kwargs):
        opened = self._storage.open_file(name, **kwargs)
        if self.recording:
            self.opened.append(opened)
        return opened

    def __getattr__(self, name):
        return getattr(self._storage, name)


def _open_segment(storage, toc, segment) -> SegmentReader:
    """A reader of one segment, or no file left open.

    Whoosh's ``SegmentReader`` opens the segment's terms, then its postings, then its
    per-document files; when a later one has been deleted by another process's merge,
    the files already opened are left to the garbage collector. Here they are closed.

    Raises:
        FileNotFoundError: a file of the segment has been deleted meanwhile.
    """
    recorder = _RecordingStorage(storage)
    try:
        reader = SegmentReader(recorder, toc.schema, segment, generation=toc.generation)
    except BaseException:
        for opened in recorder.opened:
            if not getattr(opened, "is_closed", False):
                opened.close()
        raise
    finally:
        recorder.recording = False
        recorder.opened = []
    return reader


def _open_columns(reader, schema) -> None:
    """Open every column file of one segment that a query reads, and keep it open.

    Whoosh 2.7.4 has no public way to open a segment's column files up front (its public
    ``column_reader`` and ``stored_fields`` take a deleted file for an absent column),
    so this uses its per-document reader (``SegmentReader._perdoc``) and the cache behind
    ``stored_fields`` and ``doc_field_length`` (``_cached_reader``). Which columns a
    segment has is known from the segment itself: stored fields and :data:`COLUMN_FIELDS`
    in every segment with documents, and a field's lengths where the field has any
    (``reader.field_length``), so a missing file is never mistaken for an absent column.

    Raises:
        FileNotFoundError: a column the segment has is no longer on disk (the segment was
            merged away by another process's commit).
    """
    perdoc = getattr(reader, "_perdoc", None)  # noqa: SLF001 - see above
    if perdoc is None or not reader.doc_count_all():  # an empty index or segment
        return
    needed = [("_stored", STORED_COLUMN)]
    needed += [(_lenfield(name), LENGTHS_COLUMN) for name, field in schema.items()
               if field.scorable and reader.field_length(name)]
    for name, column in needed:
        if perdoc._cached_reader(name, column) is None:  # noqa: SLF001 - see above
            raise FileNotFoundError(f"segment {reader.segment().segment_id()} has lost its column {name}")
    for name in COLUMN_FIELDS:
        # column_reader opens the file (or raises FileNotFoundError) and keeps it open.
        perdoc.column_reader(name, schema[name].column_type)
