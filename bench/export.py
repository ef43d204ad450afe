"""Time the exports of a consultation with 10,000 comments (target: each under 5 s).

Usage: .venv/bin/python bench/export.py [--comments 10000] [--repeat 3]

Builds a consultation in a fresh SQLite database (or HOERING_BENCH_DATABASE_URL, whose
tables are dropped) with comments made from the real Polis comments in ../shared/data
(a third of them replies, three themes, some comments in other states), logs in a
moderator, and downloads every export through the WSGI test client, reading each response
to the end: once to warm the process (imports), then ``--repeat`` times, printing the
fastest and the median.

The machine is shared, so each export is also given as a ratio to a reference measured
in the same run just before it: :func:`reference`, a fixed piece of pure-Python work
(writing the same comments' texts as CSV in memory ten times, no database): 0.14–0.29 s
on the shared 2-core machine on 2026-12-03. ``ratio × reference`` is the export's time on that machine
at that moment; the ratios compare across runs and machines.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import glob
import io
import os
import random
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
from hoering.summaries.models import CommentTheme, Summary, Theme  # noqa: E402

DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "shared", "data", "polis")


def texts() -> list[str]:
    out = []
    for path in sorted(glob.glob(os.path.join(DATA, "*", "comments.csv"))):
        with open(path, newline="", encoding="utf-8") as handle:
            out.extend(row["comment-body"] for row in csv.DictReader(handle) if row["comment-body"])
    return out


def build(count: int) -> str:
    rng = random.Random(7)
    pool = texts()
    start = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
    consultation = Consultation(slug="eksport", title="Eksporttest", summary="Ti tusen innspill", language="en",
                                opens_at=start, closes_at=start + dt.timedelta(days=30), published_at=start)
    db.session.add(consultation)
    users = [User(email=f"u{n}@example.org", display_name=f"Deltaker {n}", password_hash="x") for n in range(800)]
    db.session.add_all(users)
    db.session.flush()
    themes = [Theme(consultation_id=consultation.id, name=name) for name in ("Trafikk", "Skole", "Boliger")]
    db.session.add_all(themes)
    db.session.flush()
    states = ["published"] * 90 + ["hidden"] * 4 + ["rejected"] * 4 + ["pending"] * 2
    top_level: list[Comment] = []
    for n in range(count):
        text = pool[rng.randrange(len(pool))]
        parent = top_level[rng.randrange(len(top_level))] if top_level and n % 3 == 2 else None
        comment = Comment(consultation_id=consultation.id, author_id=users[rng.randrange(len(users))].id,
                          parent_id=parent.id if parent else None, thread_id=parent.id if parent else None,
                          depth=1 if parent else 0, state=states[n % 100], body_text=text,
                          body_html=comment_html(text), created_at=start + dt.timedelta(minutes=3 * n),
                          support_count=rng.randrange(20))
        db.session.add(comment)
        if parent is None:
            db.session.flush()
            comment.thread_id = comment.id
            comment.path = f"{comment.id:010d}"
            top_level.append(comment)
        if n % 500 == 499:
            db.session.flush()
    db.session.flush()
    for comment in top_level[::4]:
        db.session.add(CommentTheme(comment_id=comment.id, theme_id=themes[comment.id % 3].id))
    db.session.add(Summary(consultation_id=consultation.id, overview_markdown="Oppsummert.",
                           overview_html="<p>Oppsummert.</p>", published_at=start + dt.timedelta(days=40)))
    db.session.commit()
    return consultation.slug


def reference(pool: list[str], count: int) -> float:
    """Seconds to write ``count`` texts of ``pool`` as CSV in memory, ten times over."""
    rows = [(n, pool[n % len(pool)]) for n in range(count)]
    start = time.perf_counter()
    for _ in range(10):
        csv.writer(io.StringIO()).writerows(rows)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--comments", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3, help="timed downloads of each export after a warm-up")
    args = parser.parse_args()
    pool = texts()
    with tempfile.TemporaryDirectory() as tmp:
        app = bench_app(tmp)
        with app.app_context():
            slug = build(args.comments)
        client = moderator_client(app)
        print(f"{args.comments} comments (moderator: every state); fastest and median of {args.repeat}, "
              "and the fastest as a ratio to the reference run just before it")
        for label, path in [("CSV", "kommentarer.csv"), ("XLSX", "kommentarer.xlsx"), ("JSON", "kommentarer.json"),
                            ("DOCX report", "rapport.docx"), ("PDF/UA report", "rapport.pdf"),
                            ("PDF/A report", "rapport.pdfa")]:
            client.get(f"/saksbehandling/hoeringer/{slug}/{path}").get_data()  # warm-up: imports
            times, ratios = [], []
            for _ in range(args.repeat):
                base = reference(pool, args.comments)
                start = time.perf_counter()
                response = client.get(f"/saksbehandling/hoeringer/{slug}/{path}")
                size = len(response.get_data())
                times.append(time.perf_counter() - start)
                ratios.append(times[-1] / base)
                assert response.status_code == 200, response.status_code
            print(f"  {label:12} {min(times):6.2f} s (median {statistics.median(times):5.2f} s)  "
                  f"ratio {min(ratios):5.1f}  {size / 1e6:6.1f} MB")


if __name__ == "__main__":
    main()
