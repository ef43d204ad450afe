"""Search benchmark: Whoosh (our index) against SQLite FTS5 on the same 100,000 comments.

Usage: .venv/bin/python bench/search.py [--comments 100000]

The corpus is built from real text in ../shared/data: sentences of the Norwegian texts
(norwegian-text/) and the Polis comments (English, German, Chinese), combined one to three
at a time with a fixed random seed, so every run indexes the same comments. Measured:

* bulk indexing throughput (documents per second) for both engines;
* query latency p50/p95 over a fixed query set, 3 rounds (20 results a page, with
  highlighted snippets and the total count, as the search page needs them; Whoosh within
  the public scope, as the site searches). The first round starts with nothing cached in
  the process (no open searcher, no decoded postings; FTS5 on a new connection, so
  neither keeps pages from building); its figures are given apart too.
  Each query is run in Whoosh and then in FTS5 before the next query, so both meet the
  same load from other work on a shared machine; each is timed by the clock and by the
  process's CPU time (``time.process_time``: what it cost this process, without the
  time the machine gave to other processes), and the p95 ratio is given for both;
* the cost of indexing one more comment into the full index (what a post adds).

``--index DIR`` copies a Whoosh index that a previous run (or ``SearchIndex.rebuild``)
built from the same corpus, instead of building it (no bulk indexing figures then).

Not a test: the figures go to docs/PERFORMANCE.md.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import glob
import os
import random
import re
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from hoering.search.backend import IndexDocument, SearchIndex  # noqa: E402
from hoering.search.querying import Scope, clear_cache, search  # noqa: E402

DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "shared", "data")
QUERIES = [
    "kommune", "kirken", "stortinget", "skolene", "barnehage", "statskirkeordningen", "folkekirke",
    "økonomi og arbeid", "helse", "vei", "minimum wage", "internet", "police", "taxi", "Klimaneutralität",
    "public transport", "kirke stat", "forslag", "\"den norske kirke\"", "regjeringen budsjett",
]


def sentences() -> list[tuple[str, str]]:
    """``(language, sentence)`` pairs from the shared real texts."""
    out = []
    for path in sorted(glob.glob(os.path.join(DATA, "norwegian-text", "*.txt"))):
        if "LICENSE" in path:
            continue
        with open(path, encoding="utf-8") as handle:
            text = " ".join(handle.read().split())
        out.extend(("nb", s) for s in re.split(r"(?<=[.!?])\s+", text) if 20 <= len(s) <= 400)
    for path in sorted(glob.glob(os.path.join(DATA, "polis", "*", "comments.csv"))):
        language = "de" if "austria" in path else "zh-Hant" if "vtaiwan" in path else "en"
        with open(path, newline="", encoding="utf-8") as handle:
            out.extend((language, row["comment-body"]) for row in csv.DictReader(handle) if row["comment-body"])
    return out


def corpus(count: int) -> list[IndexDocument]:
    rng = random.Random(42)
    pool = sentences()
    by_language: dict[str, list[str]] = {}
    for language, text in pool:
        by_language.setdefault(language, []).append(text)
    start = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
    documents = []
    states = ["published"] * 92 + ["pending"] * 5 + ["hidden"] * 3
    for n in range(count):
        language, first = pool[rng.randrange(len(pool))]
        parts = [first] + rng.sample(by_language[language], rng.randint(0, 2))
        documents.append(IndexDocument(
            doc_type="comment", doc_id=n + 1, consultation_id=1 + n % 50, state=states[n % 100], language=language,
            author=f"Deltaker {rng.randrange(5000)}", title="", body=" ".join(parts),
            created_at=start + dt.timedelta(minutes=n)))
    return documents


def percentile(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


PUBLIC_SCOPE = Scope(consultation_ids=frozenset(range(1, 51)), comment_states=frozenset({"published"}),
                     doc_types=frozenset({"comment", "consultation"}))


class Timer:
    """Milliseconds of one call by the clock and by this process's CPU time."""

    def __init__(self) -> None:
        self.wall, self.cpu = time.perf_counter(), time.process_time()

    def stop(self) -> tuple[float, float]:
        return (time.perf_counter() - self.wall) * 1000, (time.process_time() - self.cpu) * 1000


def build_whoosh(documents, folder, prebuilt: str | None):
    """The Whoosh index of ``documents`` in ``folder`` and the seconds its build took
    (``None`` when ``prebuilt``, a folder holding it already, is copied instead)."""
    path = os.path.join(folder, "whoosh")
    if prebuilt:
        shutil.copytree(prebuilt, path)
        return SearchIndex(path), None
    index = SearchIndex(path)
    start = time.perf_counter()
    index.rebuild(lambda: iter(documents))
    return index, time.perf_counter() - start


def build_fts5(documents, folder):
    connection = sqlite3.connect(os.path.join(folder, "fts.sqlite"))
    connection.execute("CREATE VIRTUAL TABLE doc USING fts5(body, author, tokenize='unicode61 remove_diacritics 0')")
    start = time.perf_counter()
    with connection:
        connection.executemany("INSERT INTO doc(rowid, body, author) VALUES (?, ?, ?)",
                               ((d.doc_id, d.body, d.author) for d in documents))
    return connection, time.perf_counter() - start


def fts5_query(connection, text: str) -> None:
    words = re.findall(r"\w+", text)
    match = text if text.startswith('"') else " ".join(f'"{w}"' for w in words)
    rows = connection.execute(
        "SELECT rowid, snippet(doc, 0, '<mark>', '</mark>', ' … ', 20) FROM doc WHERE doc MATCH ? "
        "ORDER BY rank LIMIT 20", (match,)).fetchall()
    total = connection.execute("SELECT count(*) FROM doc WHERE doc MATCH ?", (match,)).fetchone()[0]
    assert total >= len(rows)


def bench_queries(index, fts_path: str):
    """3 rounds of the queries, each in Whoosh then FTS5: ``(whoosh, fts5)`` rounds of
    ``{query: (wall ms, cpu ms)}``.

    Both start as a new process would: Whoosh with no open searcher and nothing cached,
    FTS5 with a new connection (an empty page cache; the connection that built the table
    held its pages). Each opens its files on its first query.
    """
    index.close_searcher()
    clear_cache()
    connection = sqlite3.connect(fts_path)
    whoosh_rounds, fts_rounds = [], []
    for _ in range(3):
        whoosh, fts = {}, {}
        for text in QUERIES:
            timer = Timer()
            result = search(index, text, scope=PUBLIC_SCOPE, page=1, per_page=20)
            whoosh[text] = timer.stop()
            assert result.total >= 0
            timer = Timer()
            fts5_query(connection, text)
            fts[text] = timer.stop()
        whoosh_rounds.append(whoosh)
        fts_rounds.append(fts)
    connection.close()
    return whoosh_rounds, fts_rounds


def bench_one_more(index, count: int):
    singles, searches_after = [], []
    for n in range(30):
        document = IndexDocument("comment", count + n + 1, 1, "published", "nb", "Ny deltaker", "",
                                 "Et nytt innspill om skolene i kommunen", dt.datetime.now(dt.UTC))
        t = time.perf_counter()
        assert index.apply([document], [])
        singles.append((time.perf_counter() - t) * 1000)
        t = time.perf_counter()  # the next search opens a searcher on the new commit
        assert search(index, "skolene", scope=PUBLIC_SCOPE).total > 0
        searches_after.append((time.perf_counter() - t) * 1000)
    index.close_searcher()
    return singles, searches_after


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--comments", type=int, default=100_000)
    parser.add_argument("--index", help="copy this prebuilt Whoosh index of the same corpus instead of building")
    args = parser.parse_args()
    documents = corpus(args.comments)
    folder = tempfile.mkdtemp(prefix="hoering-bench-")
    try:
        index, w_build = build_whoosh(documents, folder, args.index)
        connection, f_build = build_fts5(documents, folder)
        connection.close()
        w_rounds, f_rounds = bench_queries(index, os.path.join(folder, "fts.sqlite"))
        singles, searches_after = bench_one_more(index, len(documents))
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    n = len(documents)
    print(f"corpus: {n} comments from shared/data, {len(QUERIES)} queries x 3 rounds, Whoosh and FTS5 alternating")
    if w_build is not None:
        print(f"bulk indexing  whoosh {n / w_build:8.0f} docs/s ({w_build:.1f} s)   fts5 {n / f_build:8.0f} docs/s "
              f"({f_build:.1f} s)")
    for clock, i in (("clock", 0), ("CPU time", 1)):
        w_all = [ms[i] for latencies in w_rounds for ms in latencies.values()]
        f_all = [ms[i] for latencies in f_rounds for ms in latencies.values()]
        wp50, wp95 = percentile(w_all, 50), percentile(w_all, 95)
        fp50, fp95 = percentile(f_all, 50), percentile(f_all, 95)
        print(f"query latency ({clock}), 3 rounds  whoosh p50 {wp50:6.1f} ms p95 {wp95:6.1f} ms   "
              f"fts5 p50 {fp50:6.1f} ms p95 {fp95:6.1f} ms   p95 ratio {wp95 / fp95:.2f}x")
        cold = [ms[i] for ms in w_rounds[0].values()]
        f_cold = [ms[i] for ms in f_rounds[0].values()]
        print(f"  first round (nothing cached)  whoosh p50 {percentile(cold, 50):6.1f} ms "
              f"p95 {percentile(cold, 95):6.1f} ms   first query of the process {cold[0]:.1f} ms   "
              f"fts5 p50 {percentile(f_cold, 50):6.1f} ms p95 {percentile(f_cold, 95):6.1f} ms first {f_cold[0]:.1f} ms")
    print("per query, ms by the clock / CPU time (whoosh rounds 1, 2, 3 | fts5 rounds 1, 3):")
    for text in QUERIES:
        print(f"  {text:24} " + "  ".join(f"{r[text][0]:6.1f}/{r[text][1]:6.1f}" for r in w_rounds)
              + " | " + "  ".join(f"{r[text][0]:5.1f}/{r[text][1]:5.1f}" for r in (f_rounds[0], f_rounds[-1])))
    print(f"one more comment into the full index: median {statistics.median(singles):.1f} ms, "
          f"p95 {percentile(singles, 95):.1f} ms; the search after it (\"skolene\") median "
          f"{statistics.median(searches_after):.1f} ms")


if __name__ == "__main__":
    main()
