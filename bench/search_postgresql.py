"""Search benchmark of the PostgreSQL backend: query latency on N comments.

Usage: .venv/bin/python bench/search_postgresql.py [--comments 100000]

The comments are those of bench/search.py (sentences of the real texts in ../shared/data,
combined with a fixed random seed), written to ``search_document`` in a scratch PostgreSQL
database: HOERING_BENCH_DATABASE_URL, default
``postgresql+psycopg://postgres@127.0.0.1:5432/hoering_bench`` (created when missing; its
schema is dropped and made again by the migrations). They are loaded in bulk, not through
the app: COPY into an unlogged staging table, then one ``INSERT … SELECT`` per 100,000 rows
that computes the vectors with the same expression as the app's upsert, with the GIN index
and the vocabulary triggers off; then the index is built, the vocabulary filled in one
statement (the migration's), the triggers turned back on and the table vacuumed and
analyzed. Measured, 3 rounds of the query set of bench/search.py within the public scope
(20 results a page, snippets, the capped count):

* p50/p95 of a query sorted by relevance and by date, and the p95 as a ratio to the
  reference measured in the same run: reading the 20 newest documents of the public
  scope (no text search, the date index);
* p50/p95 of a misspelled query (no hit, so a "did you mean" is looked for);
* p50/p95 of writing one comment's search document and committing.

``--reuse`` keeps documents already loaded (when there are at least N) and measures only.

Not a test: the figures go to docs/SEARCH.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.util
import os
import sys
import time

import sqlalchemy as sa

BENCH = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(BENCH))
sys.path.insert(0, BENCH)

from flask import current_app  # noqa: E402
from flask_migrate import upgrade  # noqa: E402
from search import PUBLIC_SCOPE, QUERIES, corpus, percentile  # noqa: E402  (bench/search.py)

from hoering import create_app  # noqa: E402
from hoering.database import create_postgresql_database  # noqa: E402
from hoering.extensions import db  # noqa: E402
from hoering.migrating import enable as enable_migrations  # noqa: E402
from hoering.search import postgresql  # noqa: E402
from hoering.search.backend import IndexDocument  # noqa: E402
from hoering.search.models import SearchDocument  # noqa: E402
from hoering.search.tsquery import scope_conditions  # noqa: E402

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/hoering_bench"
MISSPELLED = ["kommmune", "kirkne", "stortinnget", "barnehgae", "pubic transport"]


def database_url() -> str:
    """The benchmark database, created when missing."""
    url = sa.engine.make_url(os.environ.get("HOERING_BENCH_DATABASE_URL", DEFAULT_URL))
    create_postgresql_database(url)
    return url.render_as_string(hide_password=False)


def vocabulary_migration():
    """The migration that made the vocabulary table (its fill statement is reused)."""
    path = os.path.join(os.path.dirname(BENCH), "migrations", "versions", "d3b81f5a0c67_search_vocabulary.py")
    spec = importlib.util.spec_from_file_location("vocabulary_migration", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


#: The vector of a staged row, as ``hoering.search.postgresql._UPSERT`` computes it.
LOAD = """
INSERT INTO search_document (doc_type, doc_id, consultation_id, state, language, config, author, title, body,
                             created_at, stamp, tsv)
SELECT doc_type, doc_id, consultation_id, state, language, config, author, title, body, created_at, stamp,
       setweight(to_tsvector(config::regconfig, CASE WHEN doc_type = 'comment' THEN '' ELSE title END), 'B')
       || setweight(to_tsvector(config::regconfig, body), 'B') || setweight(to_tsvector(config::regconfig, author), 'D')
  FROM bench_staging WHERE n >= :first AND n < :last
"""


def load(documents) -> None:
    """Write ``documents`` to ``search_document`` in bulk (see the module's docstring)."""
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(sa.text("DROP TABLE IF EXISTS bench_staging"))
        connection.execute(sa.text(
            "CREATE UNLOGGED TABLE bench_staging (n integer, doc_type text, doc_id integer, consultation_id integer, "
            "state text, language text, config text, author text, title text, body text, created_at timestamp, "
            "stamp text)"))
        raw = connection.connection.driver_connection
        with raw.cursor() as cursor, cursor.copy("COPY bench_staging FROM STDIN") as copy:
            for n, d in enumerate(documents):
                copy.write_row((n, d.doc_type, d.doc_id, d.consultation_id, d.state, d.language,
                                postgresql.config_for(d.language), d.author, d.title, d.body,
                                d.created_at.replace(tzinfo=None), d.stamp))
        connection.execute(sa.text("DROP INDEX ix_search_document_tsv"))
        connection.execute(sa.text("ALTER TABLE search_document DISABLE TRIGGER USER"))
        for first in range(0, len(documents), 100_000):
            connection.execute(sa.text(LOAD), {"first": first, "last": first + 100_000})
        connection.execute(sa.text("SET maintenance_work_mem = '512MB'"))
        connection.execute(sa.text("CREATE INDEX ix_search_document_tsv ON search_document USING gin (tsv)"))
        connection.execute(sa.text(vocabulary_migration().FILL))
        connection.execute(sa.text("ALTER TABLE search_document ENABLE TRIGGER USER"))
        connection.execute(sa.text("DROP TABLE bench_staging"))
        # As autovacuum would soon: statistics taken, the visibility map set.
        connection.execute(sa.text("VACUUM ANALYZE search_document"))
        connection.execute(sa.text("VACUUM ANALYZE search_word"))


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
    parser.add_argument("--reuse", action="store_true", help="keep the documents a previous run loaded")
    args = parser.parse_args()
    count = args.comments_positional or args.comments
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": database_url(), "SEARCH_BACKEND": "postgresql"})
    documents = corpus(count)
    with app.app_context():
        loaded = 0
        if args.reuse and sa.inspect(db.engine).has_table("search_word"):
            loaded = db.session.scalar(sa.text("SELECT count(*) FROM search_document"))
        if loaded < count:
            with db.engine.begin() as connection:
                connection.execute(sa.text("DROP SCHEMA public CASCADE"))
                connection.execute(sa.text("CREATE SCHEMA public"))
            enable_migrations(current_app)
            upgrade()
            start = time.perf_counter()
            load(documents)
            print(f"{count} comments loaded in {time.perf_counter() - start:.1f} s")
        limit = app.config["SEARCH_COUNT_LIMIT"]
        newest_page = (sa.select(SearchDocument).where(*scope_conditions(PUBLIC_SCOPE))
                       .order_by(SearchDocument.created_at.desc()).limit(20))
        reference = []
        for _ in range(3):
            for _text in QUERIES:
                reference += timed(lambda: db.session.scalars(newest_page).all(), 1)
        report("reference: 20 newest, no search", reference)
        for sort in ("relevance", "newest"):
            latencies = []
            for _ in range(3):
                for text in QUERIES:
                    latencies += timed(lambda text=text, sort=sort: postgresql.search(
                        text, scope=PUBLIC_SCOPE, sort=sort, count_limit=limit), 1)
            report(f"query ({sort})", latencies)
            print(f"  p95 ratio to the reference: {percentile(latencies, 95) / percentile(reference, 95):.1f}")
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
