"""Time the Bowling Green consultation page: median of 20 requests and SQL queries per page.

Usage: .venv/bin/python bench/render_consultation.py [POLIS_FOLDER]

Imports the conversation into a fresh SQLite database in a temporary folder (or the
database in HOERING_BENCH_DATABASE_URL), then requests the first page of threads
anonymously through the WSGI test client, which measures the app without network cost.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time

import sqlalchemy as sa

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from hoering import create_app  # noqa: E402
from hoering.extensions import db  # noqa: E402
from hoering.imports.polis import import_polis  # noqa: E402

DEFAULT_FOLDER = os.path.join(os.path.dirname(__file__), "..", "..", "shared", "data", "polis",
                              "american-assembly.bowling-green")
REQUESTS = 20


def main(folder: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        url = os.environ.get("HOERING_BENCH_DATABASE_URL", f"sqlite:///{tmp}/bench.sqlite")
        app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url,
                          "SEARCH_INDEX_DIR": os.path.join(tmp, "search-index")})
        with app.app_context():
            db.drop_all()
            db.create_all()
            result = import_polis(folder)
            engine = db.engine
        client = app.test_client()
        page_url = f"/hoeringer/{result.slug}"
        client.get(page_url)  # warm-up: template compilation, connection pool

        queries = []
        sa.event.listen(engine, "before_cursor_execute", lambda *a, **k: queries.append(a[2]))
        timings = []
        for _ in range(REQUESTS):
            queries.clear()
            start = time.perf_counter()
            response = client.get(page_url)
            timings.append(time.perf_counter() - start)
            assert response.status_code == 200
        print(f"{result.title}: {result.published} published comments, page {page_url}")
        print(f"median of {REQUESTS} requests: {statistics.median(timings) * 1000:.1f} ms "
              f"(min {min(timings) * 1000:.1f}, max {max(timings) * 1000:.1f})")
        print(f"SQL queries per page: {len(queries)}")
        for statement in queries:
            print("  -", " ".join(statement.split())[:110])


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else DEFAULT_FOLDER)
