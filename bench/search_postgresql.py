"""Search benchmark of the PostgreSQL backend: query latency on N comments.

Usage: .venv/bin/python bench/search_postgresql.py [--comments 100000]

The comments are those of bench/search.py (sentences of the real texts in ../shared/data,
combined with a fixed random seed), written to ``search_document`` in a PostgreSQL
database: HOERING_BENCH_DATABASE_URL, default
``postgresql+psycopg://postgres@127.0.0.1:5432/hoering_bench`` (created when missing; its
tables are dropped). Measured, 3 rounds of the query set of bench/search.py within the
public scope (20 results a page, snippets, the capped count):

* p50/p95 of a query sorted by relevance and by date;
* p50/p95 of a misspelled query (no hit, so a "did you mean" is looked for);
* p50/p95 of writing one comment's search document and committing.

Not a test: the figures go to docs/SEARCH.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import time

import sqlalchemy as sa

BENCH = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(BENCH))
sys.path.insert(0, BENCH)

from search import PUBLIC_SCOPE, QUERIES, corpus, percentile  # noqa: E402  (bench/search.py)

from hoering import create_app  # noqa: E402
from hoering.extensions import db  # noqa: E402
from hoering.search import postgresql  # noqa: E402
from hoering.search.backend import IndexDocument  # noqa: E402

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/hoering_bench"
MISSPELLED = ["kommmune", "kirkne", "stortinnget", "barnehgae", "pubic transport"]


def database_url() -> str:
    """The benchmark database, created when missing."""
    url = sa.engine.make_url(os.environ.get("HOERING_BENCH_DATABASE_URL", DEFAULT_URL))
    engine = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        if connection.execute(sa.text("SELECT 1 FROM pg_database WHERE datname = :name"),
                              {"name": url.database}).scalar() is None:
            connection.execute(sa.text(f'CREATE DATABASE "{url.database}"'))
    engine.dispose()
    return url.render_as_string(hide_password=False)


def timed(function, rounds: int) -> list[float]:
    """Milliseconds of each call of ``function`` over ``rounds`` calls."""
    out = []
    for _ in range(rounds):
        start = time.perf_counter()
        function()
        out.append((time.perf_counter() - start) * 1000)
    return out


def report(label: str, values: list[float]) -> None:
    print(f"{label:<34} p50 {percentile(values, 50):8.1f} ms   p95 {percentile(values, 95):8.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--comments", type=int, default=100_000)
    parser.add_argument("comments_positional", type=int, nargs="?", help="the same as --comments")
    args = parser.parse_args()
    count = args.comments_positional or args.comments
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": database_url(), "SEARCH_BACKEND": "postgresql"})
    documents = corpus(count)
    with app.app_context():
        db.drop_all()
        db.create_all()
        start = time.perf_counter()
        for first in range(0, len(documents), 5000):
            postgresql.write(documents[first:first + 5000], [])
            db.session.commit()
        db.session.commit()
        # As autovacuum would soon: the GIN index's pending list merged, statistics taken.
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(sa.text("VACUUM ANALYZE search_document"))
        print(f"{count} comments written in {time.perf_counter() - start:.1f} s")
        limit = app.config["SEARCH_COUNT_LIMIT"]
        for sort in ("relevance", "newest"):
            latencies = []
            for _ in range(3):
                for text in QUERIES:
                    latencies += timed(lambda text=text, sort=sort: postgresql.search(
                        text, scope=PUBLIC_SCOPE, sort=sort, count_limit=limit), 1)
            report(f"query ({sort})", latencies)
        latencies = []
        for _ in range(3):
            for text in MISSPELLED:
                latencies += timed(lambda text=text: postgresql.search(text, scope=PUBLIC_SCOPE, count_limit=limit), 1)
        report("misspelled query (suggestion)", latencies)
        sample = postgresql.search("kommune", scope=PUBLIC_SCOPE, count_limit=limit)
        print(f"  'kommune': {'over ' if sample.capped else ''}{sample.total} hits, "
              f"suggestion for 'kommmune': {postgresql.search('kommmune', scope=PUBLIC_SCOPE).suggestion!r}")
        writes = []
        for n in range(50):
            document = IndexDocument("comment", count + n + 1, 1, "published", "nb", "Ny deltaker", "",
                                     "Et nytt innspill om skolene i kommunen", dt.datetime.now(dt.UTC))

            def write(document=document):
                postgresql.write([document], [])
                db.session.commit()

            writes += timed(write, 1)
        report("write one comment and commit", writes)
        db.session.remove()
        db.engine.dispose()


if __name__ == "__main__":
    main()
