"""Searching while comments are written: a commit that merges segments (and deletes their
files) never turns a search into an error or a wrong answer (issue 12, item 2)."""

from __future__ import annotations

import os
import subprocess
import sys
import threading

import pytest
from whoosh import index as whoosh_index
from whoosh.codec.whoosh3 import W3Codec
from whoosh.filedb.filestore import FileStorage

from hoering.search.backend import COMPOUND_SEGMENTS, IndexDocument
from hoering.timeutil import utcnow
from tests.conftest import Browser

PROJECT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def merge_every_segment(index_dir: str, doc_id: int) -> None:
    """What another process's commit does: a new comment, and every segment merged into
    one, which deletes the files of the segments merged."""
    writer = whoosh_index.open_dir(index_dir).writer(timeout=10, compound=COMPOUND_SEGMENTS)
    # in a consultation that does not exist (0 is the meetings' "no consultation")
    document = IndexDocument("comment", doc_id, 2_000_000_000, "published", "nb", "Annen prosess", "",
                             "Et innspill om veilys fra en annen prosess", utcnow())
    writer.update_document(**document.fields())
    writer.commit(optimize=True)


@pytest.fixture
def merge_after_next_open(app, monkeypatch):
    """Arms one merge by "another process" right after the next search has opened a
    segment's terms and postings, before it reads the rest: the moment its files go."""
    armed = []

    def per_document_reader(self, storage, segment):
        opened = original(self, storage, segment)
        if armed:
            armed.clear()
            merge_every_segment(app.config["SEARCH_INDEX_DIR"], 999_999)
        return opened

    original = W3Codec.per_document_reader
    monkeypatch.setattr(W3Codec, "per_document_reader", per_document_reader)
    return lambda: armed.append(True)


@pytest.mark.parametrize("path", ["/sok?q=veilys", "/sok?q=veilys&sort=newest", "/api/v1/search?q=veilys"])
@pytest.mark.whoosh_only  # Whoosh segments and files
def test_a_merge_right_after_a_segment_was_opened_still_answers_every_match(
        app, client, make_consultation, make_comment, make_user, merge_after_next_open, path):
    consultation = make_consultation(title="Veilys i sentrum")
    author = make_user()
    for n in range(7):  # one commit each: several segments
        make_comment(consultation, author, f"Innspill {n} om veilys langs skoleveien")
    assert client.get(path).status_code == 200  # this thread keeps its searcher and the segments' arrays
    merge_every_segment(app.config["SEARCH_INDEX_DIR"], 999_998)  # one segment; the next search reopens

    merge_after_next_open()
    response = client.get(path)

    assert response.status_code == 200
    if path.startswith("/api/"):
        body = response.get_json()
        # the seven comments (the merges' own documents belong to no published consultation)
        assert body["counts"] == {"comment": 7, "consultation": 1, "response": 0}
        assert all("<mark>veilys</mark>" in hit["snippet_html"] for hit in body["results"] if hit["type"] == "comment")
    else:
        assert response.get_data(as_text=True).count("<mark>veilys</mark>") >= 7


def test_searches_answer_200_with_the_right_results_while_comments_are_written(
        app, make_consultation, make_comment, make_user):
    """Two writers posting through the site in this process and one in another process
    (each commit applied at once, so small segments are merged again and again) while
    four readers search the page and the API."""
    consultation = make_consultation(title="Veilys")
    seeded = 20
    author = make_user()
    for n in range(seeded):
        make_comment(consultation, author, f"Tidlig innspill {n} om veilys")
    url, index_dir = app.config["SQLALCHEMY_DATABASE_URI"], app.config["SEARCH_INDEX_DIR"]
    env = {**os.environ, "PYTHONPATH": PROJECT}
    env.pop("HOERING_DATABASE_URL", None)
    other_process = subprocess.Popen(
        [sys.executable, "-m", "tests.search.concurrent_writer", url, index_dir, str(consultation.id), "9", "25",
         app.config["SEARCH_BACKEND"]],
        cwd=PROJECT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    writers_done = threading.Event()
    failures: list[str] = []
    totals: dict[int, list[int]] = {n: [] for n in (1, 3)}  # comments found by each API reader

    def write(n: int) -> None:
        browser = Browser(app.test_client())
        browser.login(make_user())
        try:
            for k in range(10):
                browser.comment(consultation.slug, f"Innspill {k} fra skribent {n} om veilys")
        except Exception as error:  # noqa: BLE001 - reported by the assertion below
            failures.append(f"writer {n}: {error!r}")

    def search(n: int) -> None:
        client = app.test_client()
        while not writers_done.is_set():
            try:
                if n % 2:
                    response = client.get("/api/v1/search?q=veilys")
                    if response.status_code == 200:
                        body = response.get_json()
                        totals[n].append(body["counts"]["comment"])
                        # (a consultation found by its title "Veilys" shows it in its snippet)
                        if any("veilys" not in hit["snippet_html"].lower() for hit in body["results"]):
                            failures.append(f"reader {n}: a hit without the word")
                else:
                    response = client.get("/sok?q=veilys&sort=newest")
                if response.status_code != 200:
                    failures.append(f"reader {n}: {response.status_code}")
            except Exception as error:  # noqa: BLE001 - reported by the assertion below
                failures.append(f"reader {n}: {error!r}")

    readers = [threading.Thread(target=search, args=(n,)) for n in range(4)]
    writers = [threading.Thread(target=write, args=(n,)) for n in range(2)]
    for thread in readers + writers:
        thread.start()
    for thread in writers:
        thread.join()
    _, stderr = other_process.communicate(timeout=600)
    writers_done.set()
    for thread in readers:
        thread.join()

    assert other_process.returncode == 0, stderr.decode()[-3000:]
    assert failures == []
    # The other process's writer has no verified address: its comments wait, unseen.
    final = seeded + 2 * 10
    for seen in totals.values():
        assert seen, "every API reader searched"
        # Only comments are added: each answer holds at least what the one before held.
        assert seen == sorted(seen) and seeded <= seen[0] and seen[-1] <= final
    response = app.test_client().get("/api/v1/search?q=veilys")
    assert response.get_json()["counts"]["comment"] == final
    if app.config["SEARCH_BACKEND"] != "whoosh":
        return
    # Merges happened: far fewer segments than the commits that wrote them.
    reader = whoosh_index.open_dir(index_dir).reader()
    try:
        assert len(list(reader.leaf_readers())) < final - seeded
    finally:
        reader.close()


def corrupt_the_index(index_dir: str) -> None:
    """Every table of contents replaced by a folder: no version of the index can be read
    (reading it fails with an OSError, as on a failing disk)."""
    for name in os.listdir(index_dir):
        if name.endswith(".toc"):
            os.remove(os.path.join(index_dir, name))
            os.mkdir(os.path.join(index_dir, name))


@pytest.mark.whoosh_only  # Whoosh segments and files
def test_an_index_that_cannot_be_read_answers_503_with_retry_after_and_keeps_the_query(
        app, client, make_consultation, make_comment, make_user):
    consultation = make_consultation(title="Veilys")
    make_comment(consultation, make_user(), "Et innspill om veilys")
    corrupt_the_index(app.config["SEARCH_INDEX_DIR"])

    page = client.get("/sok?q=veilys+langs+sj%C3%B8en&type=comment&sort=newest")
    assert page.status_code == 503
    assert int(page.headers["Retry-After"]) > 0
    html = page.get_data(as_text=True)
    assert "Søket kunne ikke svare akkurat nå. Prøv igjen om noen sekunder." in html
    assert 'value="veilys langs sjøen"' in html  # what was typed is still in the box
    assert '<option value="comment" selected>' in html and '<option value="newest" selected>' in html

    api = client.get("/api/v1/search?q=veilys")
    assert api.status_code == 503 and int(api.headers["Retry-After"]) > 0
    assert api.get_json()["error"] == {"code": "search_unavailable",
                                       "message": "Søket kunne ikke svare akkurat nå. Prøv igjen om noen sekunder."}



@pytest.mark.whoosh_only  # Whoosh segments and files
def test_a_segment_whose_files_went_while_it_was_opened_leaves_no_file_open(
        app, client, make_consultation, make_comment, make_user, monkeypatch):
    """Whoosh opens a segment's terms before its per-document files; when those have been
    merged away, the terms file opened first is closed, not left to the garbage collector
    (which reports it as an unclosed file, long after the request)."""
    consultation = make_consultation(title="Veilys")
    make_comment(consultation, make_user(), "Et innspill om veilys")
    opened = []
    original_open = FileStorage.open_file

    def open_file(self, name, **kwargs):
        opened.append((name, original_open(self, name, **kwargs)))
        return opened[-1][1]

    def per_document_files_gone(self, storage, segment):
        raise FileNotFoundError(f"{segment.segment_id()}.cmp")

    monkeypatch.setattr(FileStorage, "open_file", open_file)
    monkeypatch.setattr(W3Codec, "per_document_reader", per_document_files_gone)

    assert client.get("/sok?q=veilys").status_code == 503
    segment_files = [f for name, f in opened if not name.endswith(".toc")]
    assert segment_files, "the segment's terms were opened"
    assert all(f.is_closed for f in segment_files)
