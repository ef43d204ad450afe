"""What posting a comment costs beside a bare insert of the same row, on the same database.

Usage: .venv/bin/python bench/post_comment.py [COMMENTS]

Posts COMMENTS (default 300) replies and top-level comments with ``post_comment``, the
service the comment form calls (its checks, automatic holds, threading, domain events and
their subscribers: index task, reply mail), and inserts as many comment rows with one
bare ``INSERT`` and commit each. Prints the median time of each and their ratio; the
ratio is what to compare between runs (the machine is shared and noisy). SQLite in a
temporary folder, or HOERING_BENCH_DATABASE_URL (its tables are dropped).
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time

import sqlalchemy as sa
from benchapp import bench_app

from hoering.accounts.services import create_user
from hoering.comments.models import Comment
from hoering.comments.services import post_comment
from hoering.consultations.models import Consultation
from hoering.extensions import db
from hoering.timeutil import utcnow


def main(count: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        app = bench_app(folder)
        with app.app_context():
            now = utcnow()
            consultation = Consultation(slug="veilys", title="Veilys", summary="", body_markdown="", body_html="",
                                        opens_at=now, closes_at=now.replace(year=now.year + 1), published_at=now)
            db.session.add(consultation)
            db.session.commit()
            authors = [create_user(f"innbygger{n}@example.org", f"Innbygger {n}", "bench-password-1")
                       for n in range(20)]
            for author in authors:
                author.publication_consent_at = author.email_verified_at = now
            db.session.commit()
            consultation_id, author_ids = consultation.id, [a.id for a in authors]

            posting, inserting = [], []
            parent_id = None
            for n in range(count):
                consultation = db.session.get(Consultation, consultation_id)
                author = db.session.get(type(authors[0]), author_ids[n % len(author_ids)])
                start = time.perf_counter()
                comment = post_comment(consultation, author, f"Innspill nummer {n} om veilys langs skoleveien",
                                       parent_id=parent_id if n % 2 else None)
                posting.append(time.perf_counter() - start)
                parent_id = comment.id if n % 2 == 0 else parent_id

                start = time.perf_counter()
                db.session.execute(sa.insert(Comment).values(
                    consultation_id=consultation_id, author_id=author_ids[0], state="published",
                    body_text=f"Rad {n}", body_html=f"<p>Rad {n}</p>", created_at=utcnow(),
                    depth=0, path=""))
                db.session.commit()
                inserting.append(time.perf_counter() - start)
        post, insert = statistics.median(posting), statistics.median(inserting)
        print(f"{count} comments on {app.config['SQLALCHEMY_DATABASE_URI'].split(':')[0]}")
        print(f"post_comment: median {post * 1000:.2f} ms; bare insert and commit: median {insert * 1000:.2f} ms")
        print(f"ratio: {post / insert:.1f}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 300)
