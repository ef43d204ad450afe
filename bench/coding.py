"""Time the moderators' analysis pages on a consultation with 100,000 comments.

Usage: .venv/bin/python bench/coding.py [--comments 100000] [--repeat 3]

Builds a consultation in a fresh SQLite database (or HOERING_BENCH_DATABASE_URL, whose
tables are dropped) with ``--comments`` comments (texts from the real Polis comments in
../shared/data, 95 % published, a fifth of them tagged with one of five themes, a tenth of
the rest marked "read, no theme"), logs in a moderator and requests through the WSGI test
client: the themes page (the first page of "no theme yet", the last page of "all"), a
theme's page, the one-at-a-time view (its first comment, and one after the middle), and
the confirmation page of a bulk action (counts only). Then it tags every comment without
a theme in one bulk action and marks the remaining ones "read, no theme", timing each
once (they change the data). Prints the fastest and the median of ``--repeat`` requests.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import glob
import os
import re
import statistics
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench.benchapp import bench_app, moderator_client  # noqa: E402
from hoering.accounts.models import User  # noqa: E402
from hoering.comments.models import Comment  # noqa: E402
from hoering.consultations.models import Consultation  # noqa: E402
from hoering.extensions import db  # noqa: E402
from hoering.sanitize import comment_html  # noqa: E402
from hoering.summaries.models import CommentTheme, ReadWithoutTheme, Theme  # noqa: E402

DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "shared", "data", "polis")
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def texts() -> list[str]:
    out = []
    for path in sorted(glob.glob(os.path.join(DATA, "*", "comments.csv"))):
        with open(path, newline="", encoding="utf-8") as handle:
            out.extend(row["comment-body"] for row in csv.DictReader(handle) if row["comment-body"])
    return out or ["Et innspill om bussen."]


def build(count: int) -> tuple[str, int, int]:
    """The consultation's slug, a theme's id and the id of the middle comment."""
    pool = texts()
    start = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
    consultation = Consultation(slug="analyse", title="Analysetest", summary="Hundre tusen innspill", language="en",
                                opens_at=start, closes_at=start + dt.timedelta(days=30), published_at=start)
    db.session.add(consultation)
    users = [User(email=f"u{n}@example.org", display_name=f"Deltaker {n}", password_hash="x") for n in range(1000)]
    db.session.add_all(users)
    db.session.flush()
    themes = [Theme(consultation_id=consultation.id, name=f"Tema {n}") for n in range(5)]
    db.session.add_all(themes)
    db.session.flush()
    html = {text: comment_html(text) for text in pool}
    rows = [{"consultation_id": consultation.id, "author_id": users[n % len(users)].id, "depth": 0,
             "path": f"{n + 1:010d}", "state": "published" if n % 20 else "hidden", "body_text": pool[n % len(pool)],
             "body_html": html[pool[n % len(pool)]], "created_at": start + dt.timedelta(seconds=20 * n),
             "support_count": n % 17} for n in range(count)]
    for offset in range(0, count, 5000):
        db.session.execute(Comment.__table__.insert(), rows[offset:offset + 5000])
    ids = list(db.session.scalars(db.select(Comment.id).where(Comment.consultation_id == consultation.id)
                                  .order_by(Comment.id)))
    db.session.execute(CommentTheme.__table__.insert(),
                       [{"comment_id": i, "theme_id": themes[i % 5].id, "tagged_at": start} for i in ids[::5]])
    tagged = set(ids[::5])
    db.session.execute(ReadWithoutTheme.__table__.insert(),
                       [{"comment_id": i, "marked_at": start} for i in ids[1::10] if i not in tagged])
    db.session.commit()
    return consultation.slug, themes[0].id, ids[len(ids) // 2 + 1]


def timed(client, method: str, url: str, repeat: int, **kwargs) -> tuple[float, float, int]:
    times, status = [], 0
    for _ in range(repeat):
        start = time.perf_counter()
        response = getattr(client, method)(url, **kwargs)
        response.get_data()
        times.append(time.perf_counter() - start)
        status = response.status_code
    return min(times), statistics.median(times), status


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--comments", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        app = bench_app(tmp)
        start = time.perf_counter()
        with app.app_context():
            slug, theme, middle = build(args.comments)
        print(f"{args.comments} comments built in {time.perf_counter() - start:.1f} s; "
              f"fastest and median of {args.repeat}")
        client = moderator_client(app)
        base = f"/moderering/hoeringer/{slug}"
        token = CSRF.search(client.get(f"{base}/temaer").get_data(as_text=True)).group(1)
        pages = [
            ("themes page, no theme yet, page 1", "get", f"{base}/temaer", {}),
            ("themes page, all, last page", "get", f"{base}/temaer?filter=all&page=100000", {}),
            ("a theme's page, page 1", "get", f"/moderering/temaer/{theme}", {}),
            ("one at a time, first", "get", f"{base}/en-og-en", {}),
            ("one at a time, after the middle", "get", f"{base}/en-og-en?etter={middle}", {}),
            ("bulk confirmation (counts)", "post", f"{base}/merk-alle",
             {"data": {"csrf_token": token, "action": "tag", "theme": str(theme)}}),
            ("summary page", "get", f"{base}/oppsummering", {}),
        ]
        for label, method, url, kwargs in pages:
            fastest, median, status = timed(client, method, url, args.repeat, **kwargs)
            assert status == 200, (label, status)
            print(f"  {label:36} {fastest:6.3f} s (median {median:6.3f} s)")
        for label, data in [("bulk tag of every comment without a theme", {"action": "tag", "theme": str(theme)}),
                            ("bulk mark read of the rest", {"action": "read", "filter": "all"})]:
            start = time.perf_counter()
            response = client.post(f"{base}/merk-alle", data={"csrf_token": token, "confirm": "1", **data})
            assert response.status_code == 303, response.status_code
            print(f"  {label:36} {time.perf_counter() - start:6.3f} s (once)")


if __name__ == "__main__":
    main()
