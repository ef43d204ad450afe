"""A segment's data file (hoering/search/segments.py): written with the segment, deleted
with it, and searches answer exactly as they do from Whoosh's own blocks."""

from __future__ import annotations

import math
import os
import shutil

import pytest
from whoosh import index as whoosh_index

from hoering.search import segments
from hoering.search.backend import SearchIndex
from hoering.search.querying import Scope, _collect, clear_cache, parse_query, search
from tests.search.test_querying import QUERIES, real_documents, whoosh_answers

pytestmark = pytest.mark.whoosh_only  # files of the Whoosh index


def data_files(path) -> set[str]:
    return {name for name in os.listdir(path) if name.endswith("." + segments.SUFFIX)}


def segment_ids(index: SearchIndex) -> list[tuple[str, int]]:
    ix = index.open()
    return [(s.segment_id(), s.doc_count_all()) for s in whoosh_index.TOC.read(ix.storage, ix.indexname).segments]


@pytest.fixture(scope="module")
def indexes(tmp_path_factory):
    """The same documents, commits, replacements and deletions twice: ``with_files``
    writes a data file for every segment of at least 300 documents (copying words in
    more than 4 documents), ``without`` writes none."""
    documents = real_documents()
    built = {}
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(segments, "MIN_POSTINGS", 4)
        for name, min_docs in (("with_files", 300), ("without", 10 ** 9)):
            patch.setattr(segments, "MIN_DOCS", min_docs)
            index = SearchIndex(str(tmp_path_factory.mktemp(name) / "index"))
            index.clear()
            for start in range(0, len(documents), 400):
                assert index.apply(documents[start:start + 400], [])
            assert index.apply([], [f"comment:{d.doc_id}" for d in documents[100:140]])
            built[name] = index
    yield built
    for index in built.values():
        index.close_searcher()
    clear_cache()


def test_a_large_segment_gets_a_data_file_and_a_small_one_none(indexes):
    index = indexes["with_files"]
    expected = {segments.file_name(segment_id) for segment_id, count in segment_ids(index) if count >= 300}
    assert expected and len(expected) < len(segment_ids(index))
    assert data_files(index.path) == expected
    assert data_files(indexes["without"].path) == set()
    with index.searcher() as searcher:
        large = [reader for reader, _ in searcher.reader().leaf_readers() if reader.doc_count_all() >= 300]
        assert large and all(reader.hoering_data is not None for reader in large)
        # a common word's postings come from the file, as Whoosh's blocks hold them
        for reader in large:
            word = max(reader.iter_field("words"), key=lambda item: item[1].doc_frequency())[0]
            ids, weights = reader.hoering_data.postings(segments.postings_key(reader, "words", word))
            expected_ids, expected_weights = segments.raw_postings(reader, "words", word)
            assert len(ids) > 4 and ids.tolist() == expected_ids.tolist()
            assert weights.tolist() == expected_weights.tolist()


@pytest.mark.parametrize("text", QUERIES)
def test_answers_and_scores_are_the_same_with_and_without_the_files(indexes, text):
    clear_cache()
    answers = {}
    for name, index in indexes.items():
        with index.searcher() as searcher:
            parsed = parse_query(searcher.schema, text)
            ours = _collect(searcher, parsed, None)
            expected = whoosh_answers(searcher, parsed)
        got = dict(zip(ours.docnums.tolist(), ours.scores.tolist(), strict=True))
        assert got.keys() == expected.keys(), (name, text)
        assert all(math.isclose(got[docnum], score, rel_tol=1e-9) for docnum, score in expected.items())
        answers[name] = got
    assert answers["with_files"] == answers["without"]


def test_scope_filters_and_document_lists_read_the_files_alike(indexes, monkeypatch):
    public = Scope(consultation_ids=frozenset({1, 2, 3}), comment_states=frozenset({"published"}),
                   doc_types=frozenset({"comment"}))
    listed = Scope(keys=frozenset(f"comment:{n}" for n in range(1, 2500, 3)))
    monkeypatch.setattr("hoering.search.querying.KEY_LOOKUPS", 10)  # the segment's numbers, not key lookups
    for text in ("kirke", "public transport", '"den norske kirke"', "stat AND NOT kirke"):
        for scope in (public, listed):
            for sort in ("relevance", "newest"):
                clear_cache()
                found = [search(index, text, scope=scope, sort=sort, per_page=50) for index in indexes.values()]
                assert found[0].total == found[1].total > 0, (text, scope, sort)
                assert [h.doc_id for h in found[0].hits] == [h.doc_id for h in found[1].hits]


def test_a_merge_deletes_the_data_file_of_the_segments_it_replaced(tmp_path, monkeypatch):
    monkeypatch.setattr(segments, "MIN_DOCS", 100)
    documents = real_documents()[:600]
    index = SearchIndex(str(tmp_path / "index"))
    index.clear()
    assert index.apply(documents[:300], []) and index.apply(documents[300:], [])
    assert len(data_files(index.path)) == 2
    total = search(index, "kirke").total
    assert total > 0
    index.open().optimize()  # one segment of every document
    index.write_segment_data()
    ((segment_id, count),) = segment_ids(index)
    assert count == 600
    assert data_files(index.path) == {segments.file_name(segment_id)}
    clear_cache()
    assert search(index, "kirke").total == total
    index.close_searcher()


def test_a_damaged_or_foreign_file_is_ignored(indexes, tmp_path):
    clear_cache()
    expected = {text: search(indexes["without"], text).total for text in QUERIES}
    copy = SearchIndex(str(tmp_path / "copy"))
    shutil.copytree(indexes["with_files"].path, copy.path)
    names = sorted(data_files(copy.path))
    with open(os.path.join(copy.path, names[0]), "r+b") as handle:
        handle.truncate(200)  # cut short
    with open(os.path.join(copy.path, names[-1]), "wb") as handle:
        handle.write(b"not a segment's data file")
    clear_cache()
    with copy.searcher() as searcher:
        readers = {reader.segment().segment_id() + "." + segments.SUFFIX: reader
                   for reader, _ in searcher.reader().leaf_readers()}
        assert readers[names[0]].hoering_data is None and readers[names[-1]].hoering_data is None
    assert {text: search(copy, text).total for text in QUERIES} == expected
    copy.close_searcher()


def test_an_open_searcher_keeps_reading_a_data_file_deleted_under_it(indexes, tmp_path):
    clear_cache()
    expected = [h.doc_id for h in search(indexes["without"], "kirke", per_page=100).hits]
    copy = SearchIndex(str(tmp_path / "copy"))
    shutil.copytree(indexes["with_files"].path, copy.path)
    with copy.searcher():
        pass  # opened and kept by this thread, its files mapped
    for name in data_files(copy.path):
        os.unlink(os.path.join(copy.path, name))
    clear_cache()
    assert [h.doc_id for h in search(copy, "kirke", per_page=100).hits] == expected
    copy.close_searcher()


def test_reindex_writes_the_data_file(app, runner, make_consultation, make_user, make_comment, monkeypatch):
    monkeypatch.setattr(segments, "MIN_DOCS", 3)
    consultation = make_consultation(title="Ny barnehage i Fjordvik")
    author = make_user()
    for text in ("Barnehagen trenger en større uteplass.", "Uteplassen er for liten.", "Flere barnehager, takk."):
        make_comment(consultation, author, text)
    result = runner.invoke(args=["hoering", "reindex"])
    assert result.exit_code == 0, result.output
    path = app.config["SEARCH_INDEX_DIR"]
    ((segment_id, count),) = segment_ids(SearchIndex(path))
    assert count >= 4  # the consultation and its three comments
    assert data_files(path) == {segments.file_name(segment_id)}
