"""What splitting compound words costs: index size, indexing time and query time, with and
without the parts field, on the same comments (bench/search.py's corpus: real sentences of
../shared/data, Norwegian, English, German and Chinese, fixed seed).

Usage: .venv/bin/python bench/search_compounds.py [--comments 20000] [--postgresql URL]

Whoosh: two indexes are built in the same run, "before" with the schema as it was (no
``parts_no`` field, so nothing is split and queries look in no parts field) and "after"
with the current one; the queries of bench/search.py and some compound queries are run
alternately on both, 3 rounds, the public scope, and the ratio after/before is given
(ratios, not milliseconds, are what compare between runs on a shared machine).
PostgreSQL (``--postgresql``): the Norwegian comments' vectors without and with the parts
(weight C) in a temporary table with a GIN index on each, the same queries against each
(the variants as alternatives after), and the total size of the vectors and the time to
compute them.

Not a test: the figures go to docs/PERFORMANCE.md.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench.search import PUBLIC_SCOPE, QUERIES, corpus, percentile  # noqa: E402
from hoering.search import backend  # noqa: E402
from hoering.search.backend import SearchIndex  # noqa: E402
from hoering.search.querying import clear_cache, search  # noqa: E402
from hoering.search.words import compound_parts, lexicon  # noqa: E402

COMPOUND_QUERIES = ["sykkel", "sikkerhet", "plass", "departement", "skole", "veg"]


def folder_size(path: str) -> int:
    return sum(os.path.getsize(os.path.join(folder, name)) for folder, _, names in os.walk(path) for name in names)


def build(documents, path: str, with_parts: bool) -> tuple[SearchIndex, float]:
    schema = backend.build_schema()
    if not with_parts:
        schema.remove("parts_no")
    original = backend.build_schema
    backend.build_schema = lambda: schema  # the index is created, and rebuilt, with this schema
    try:
        index = SearchIndex(path)
        index.open()
        start = time.perf_counter()
        index.rebuild(lambda: iter(documents))
        return index, time.perf_counter() - start
    finally:
        backend.build_schema = original


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--comments", type=int, default=20_000)
    parser.add_argument("--postgresql", help="a PostgreSQL URL (postgresql://...) to measure vector sizes with")
    parser.add_argument("--skip-whoosh", action="store_true", help="measure PostgreSQL only")
    args = parser.parse_args()
    documents = corpus(args.comments)
    norwegian = sum(1 for d in documents if d.language == "nb")
    start = time.perf_counter()
    lexicon()
    print(f"corpus: {len(documents)} comments ({norwegian} Norwegian); word list loaded in "
          f"{time.perf_counter() - start:.2f} s")
    start = time.perf_counter()
    parts = [compound_parts(d.body, d.language) for d in documents]
    split = sum(1 for p in parts if p)
    print(f"splitting alone: {time.perf_counter() - start:.2f} s; {split} comments have compound parts, "
          f"{sum(len(p.split()) for p in parts)} parts in all")
    if args.skip_whoosh:
        postgresql_sizes(args.postgresql, documents, parts)
        return
    with tempfile.TemporaryDirectory() as folder:
        before, before_s = build(documents, os.path.join(folder, "before"), with_parts=False)
        after, after_s = build(documents, os.path.join(folder, "after"), with_parts=True)
        size_b, size_a = folder_size(before.path), folder_size(after.path)
        print(f"indexing: before {before_s:.1f} s, after {after_s:.1f} s (x{after_s / before_s:.2f})")
        print(f"index size: before {size_b / 1e6:.1f} MB, after {size_a / 1e6:.1f} MB (x{size_a / size_b:.2f})")
        for index in (before, after):
            index.close_searcher()
        clear_cache()
        times: dict[str, list[float]] = {"before": [], "after": []}
        totals: dict[str, dict[str, int]] = {"before": {}, "after": {}}
        for _ in range(3):
            for text in QUERIES + COMPOUND_QUERIES:
                for name, index in (("before", before), ("after", after)):
                    start = time.perf_counter()
                    result = search(index, text, scope=PUBLIC_SCOPE, page=1, per_page=20)
                    times[name].append((time.perf_counter() - start) * 1000)
                    totals[name][text] = result.total
        for name in ("before", "after"):
            values = times[name]
            print(f"queries {name}: p50 {statistics.median(values):.1f} ms, p95 {percentile(values, 95):.1f} ms")
        print(f"ratio after/before: p50 x{statistics.median(times['after']) / statistics.median(times['before']):.2f}, "
              f"p95 x{percentile(times['after'], 95) / percentile(times['before'], 95):.2f}")
        for text in COMPOUND_QUERIES:
            print(f"  {text!r}: {totals['before'][text]} -> {totals['after'][text]} results")
    if args.postgresql:
        postgresql_sizes(args.postgresql, documents, parts)


def postgresql_sizes(url: str, documents, parts) -> None:
    """The documents' vectors as the upsert computes them, without and with the parts:
    their total size and the time PostgreSQL takes to compute them (3 rounds, best)."""
    import psycopg  # noqa: PLC0415 - only with --postgresql

    config = {"nb": "norwegian", "en": "english"}
    vector = "setweight(to_tsvector(c::regconfig, b), 'B')"
    queries = {
        "before": f"SELECT sum(pg_column_size({vector})) FROM unnest(%s::text[], %s::text[], %s::text[]) AS t(c, b, p)",
        "after": f"SELECT sum(pg_column_size({vector} || setweight(to_tsvector(c::regconfig, p), 'C')))"
                 " FROM unnest(%s::text[], %s::text[], %s::text[]) AS t(c, b, p)",
    }
    sizes, seconds = {"before": 0, "after": 0}, {"before": [], "after": []}
    with psycopg.connect(url) as connection:
        for round_number in range(3):
            spent = {"before": 0.0, "after": 0.0}
            for start in range(0, len(documents), 2000):
                chunk = documents[start:start + 2000]
                arguments = ([config.get(d.language, "simple") for d in chunk], [d.body for d in chunk],
                             parts[start:start + 2000])
                for name, sql in queries.items():
                    began = time.perf_counter()
                    size = connection.execute(sql, arguments).fetchone()[0]
                    spent[name] += time.perf_counter() - began
                    if round_number == 0:
                        sizes[name] += size
            for name in spent:
                seconds[name].append(spent[name])
    postgresql_queries(url, documents, parts)
    print(f"PostgreSQL tsvector size: before {sizes['before'] / 1e6:.1f} MB, after {sizes['after'] / 1e6:.1f} MB "
          f"(x{sizes['after'] / sizes['before']:.2f}); computing them: before {min(seconds['before']):.2f} s, "
          f"after {min(seconds['after']):.2f} s (x{min(seconds['after']) / min(seconds['before']):.2f})")


def _tsquery(text: str, widened: bool) -> tuple[str, list[str]]:
    """A query's ``tsquery`` SQL and parameters for the Norwegian configuration, each word
    through ``websearch_to_tsquery`` as the app does, with the spelling variants as
    alternatives when ``widened`` (:func:`hoering.search.tsquery.with_variants`)."""
    from hoering.search.tsquery import split_query, with_variants  # noqa: PLC0415

    groups = split_query(text)
    groups = with_variants(groups) if widened else groups
    sql, parameters = [], []
    for group in groups:
        sql.append("(" + " || ".join("websearch_to_tsquery('norwegian', %s)" for _ in group) + ")")
        parameters.extend(term.text for term in group)
    return " && ".join(sql), parameters


def postgresql_queries(url: str, documents, parts) -> None:
    """The Norwegian comments in a temporary table with both vectors, each with a GIN
    index; the queries by relevance (the 20 best, ``ts_rank`` as the app weighs it, and
    the count) against each vector, alternately, 3 rounds."""
    import psycopg  # noqa: PLC0415

    rows = [(d.body, p) for d, p in zip(documents, parts, strict=True) if d.language == "nb"]
    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute("CREATE TEMP TABLE bench_doc (id serial, body text, parts text, before tsvector, "
                           "after tsvector)")
        with connection.cursor().copy("COPY bench_doc (body, parts) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        connection.execute("UPDATE bench_doc SET before = setweight(to_tsvector('norwegian', body), 'B'), "
                           "after = setweight(to_tsvector('norwegian', body), 'B') "
                           "|| setweight(to_tsvector('norwegian', parts), 'C')")
        connection.execute("CREATE INDEX ON bench_doc USING gin (before)")
        connection.execute("CREATE INDEX ON bench_doc USING gin (after)")
        connection.execute("ANALYZE bench_doc")
        times: dict[str, list[float]] = {"before": [], "after": []}
        for _ in range(3):
            for text in QUERIES + COMPOUND_QUERIES:
                for name in ("before", "after"):
                    tsquery, parameters = _tsquery(text, widened=name == "after")
                    weights = "'{0.1, 0.2, 0.4, 1.0}'" if name == "before" else "'{0.1, 0.1, 0.4, 1.0}'"
                    sql = (f"WITH q AS (SELECT {tsquery} AS q), m AS (SELECT id, ts_rank({weights}, {name}, q.q, 1) r "
                           f"FROM bench_doc, q WHERE {name} @@ q.q) "
                           "SELECT (SELECT count(*) FROM m), array(SELECT id FROM m ORDER BY r DESC, id LIMIT 20)")
                    start = time.perf_counter()
                    connection.execute(sql, parameters).fetchone()
                    times[name].append((time.perf_counter() - start) * 1000)
    for name in ("before", "after"):
        print(f"PostgreSQL queries {name} ({len(rows)} Norwegian comments): p50 {statistics.median(times[name]):.1f} ms, "
              f"p95 {percentile(times[name], 95):.1f} ms")
    print(f"PostgreSQL ratio after/before: p50 x{statistics.median(times['after']) / statistics.median(times['before']):.2f}"
          f", p95 x{percentile(times['after'], 95) / percentile(times['before'], 95):.2f}")


if __name__ == "__main__":
    main()
