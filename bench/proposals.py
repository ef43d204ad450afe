"""Time "Foreslåtte temaer" (proposed themes, grouped) with thousands of comments not
analysed yet.

Usage: .venv/bin/python bench/proposals.py [--comments 7000] [--repeat 3] [--method lexical]

Builds the consultation of ``bench/coding.py`` (``--comments`` comments, 95 % published, a
fifth tagged with one of five themes, a tenth of the rest read without a theme: 7,000
give about 4,800 not analysed), makes the vectors (``--method``: ``lexical`` is quick;
``sentence`` uses the sentence model), then requests through the WSGI test client: the
first view (the similarities computed in the child process), the page again (from the
cache), the last page, one group accepted with one row unticked, and the confirmation of
"accept all above 90 %". Prints the fastest and the median of ``--repeat`` requests.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench.benchapp import bench_app, moderator_client  # noqa: E402
from bench.coding import build, timed  # noqa: E402
from hoering.summaries import vectors  # noqa: E402

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--comments", type=int, default=7000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--method", default="lexical", choices=("lexical", "sentence"))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        app = bench_app(tmp)
        app.config["EMBEDDING_METHOD"] = args.method
        app.config["ISOLATION_TIMEOUT_SECONDS"] = 300
        with app.app_context():
            slug, _, _ = build(args.comments)
            start = time.perf_counter()
            made = vectors.refresh_vectors()
            print(f"{args.comments} comments, {made} vectors ({args.method}) in {time.perf_counter() - start:.1f} s")
        client = moderator_client(app)
        url = f"/moderering/hoeringer/{slug}/foreslatte-temaer"
        start = time.perf_counter()
        first = client.get(url)
        assert first.status_code == 200
        html = first.get_data(as_text=True)
        print(f"  first view (child process)            {time.perf_counter() - start:6.3f} s")
        print("  " + re.search(r'<p class="meta">([^<]*)</p>', html).group(1).strip())
        for label, target in [("page 1 (cached similarities)", url), ("last page", url + "?side=100000")]:
            fastest, median, status = timed(client, "get", target, args.repeat)
            assert status == 200, (label, status)
            print(f"  {label:38} {fastest:6.3f} s (median {median:6.3f} s)")
        token = CSRF.search(html).group(1)
        group = re.search(r'name="group" value="(\d+)"', html).group(1)
        part = html.split('class="proposal-group"')[1]
        rows = re.findall(r'name="row" value="(\d+)"', part)
        start = time.perf_counter()
        response = client.post(url, data={"csrf_token": token, "action": "group", "group": group, "row": rows,
                                          "accept": rows[1:]})
        assert response.status_code == 303, response.status_code
        print(f"  a group of {len(rows)} accepted, one declined  {time.perf_counter() - start:6.3f} s (once)")
        fastest, median, status = timed(client, "post", url, args.repeat,
                                        data={"csrf_token": token, "action": "above", "above": "90"})
        assert status in (200, 422), status
        print(f"  {'accept all above 90 %: confirmation':38} {fastest:6.3f} s (median {median:6.3f} s)")


if __name__ == "__main__":
    main()
