"""Time the moderation queue with the Bowling Green conversation all pending (896 items).

Usage: .venv/bin/python bench/moderation_queue.py [POLIS_FOLDER]

Imports the conversation with ``all_pending`` into a fresh SQLite database (or
HOERING_BENCH_DATABASE_URL, whose tables are dropped), logs in a moderator through the
login form, and times queue pages (median of 20 requests each) and one bulk approval of a
page of 50 through the WSGI test client.
"""

from __future__ import annotations

import os
import re
import statistics
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench.benchapp import bench_app, moderator_client  # noqa: E402
from hoering.extensions import db  # noqa: E402
from hoering.imports.polis import import_polis  # noqa: E402
from hoering.search.services import process_pending  # noqa: E402

DEFAULT_FOLDER = os.path.join(os.path.dirname(__file__), "..", "..", "shared", "data", "polis",
                              "american-assembly.bowling-green")
REQUESTS = 20


def token(html: str) -> str:
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)


def median_ms(client, url: str) -> float:
    client.get(url)
    timings = []
    for _ in range(REQUESTS):
        start = time.perf_counter()
        response = client.get(url)
        timings.append(time.perf_counter() - start)
        assert response.status_code == 200, response.status_code
    return statistics.median(timings) * 1000


def main(folder: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        app = bench_app(tmp)
        with app.app_context():
            result = import_polis(folder, all_pending=True)
            process_pending()  # index the imported comments, as the import command does
            consultation_id = db.session.execute(db.text("select id from consultation")).scalar()
        client = moderator_client(app)
        print(f"{result.title}: {result.pending} pending comments")
        for label, path in [
            ("queue, page 1", "/moderering"),
            ("queue, page 10", "/moderering?page=10"),
            ("queue, filtered by consultation", f"/moderering?consultation={consultation_id}&state=pending"),
            ("queue, text search 'internet'", "/moderering?q=internet"),
            ("overview", "/moderering/oversikt"),
        ]:
            print(f"{label:36s} median of {REQUESTS}: {median_ms(client, path):6.1f} ms")
        html = client.get("/moderering").get_data(as_text=True)
        ids = re.findall(r'name="comment" value="(\d+)"', html)
        data = {"csrf_token": token(html), "action": "approve", "comment": ids, "back": "/moderering"}
        data.update({f"version-{i}": "0" for i in ids})
        start = time.perf_counter()
        response = client.post("/moderering/samlet", data=data)
        elapsed = (time.perf_counter() - start) * 1000
        assert response.status_code == 303
        print(f"bulk approval of {len(ids)} comments (each checked and logged): {elapsed:.0f} ms")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else DEFAULT_FOLDER)
