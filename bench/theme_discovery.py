"""Time the first "Temaforslag" (theme discovery in its child process) on a real
consultation, against a reference measured in the same run.

Usage (a scratch instance, never the real one):

    export HOERING_DATABASE_URL=sqlite:////tmp/bg/bg.sqlite HOERING_SECRET_KEY=… \\
           HOERING_SEARCH_INDEX_DIR=/tmp/bg/index
    .venv/bin/flask --app wsgi db upgrade
    .venv/bin/flask --app wsgi hoering import-polis ../shared/data/polis/american-assembly.bowling-green
    .venv/bin/flask --app wsgi hoering vectors
    .venv/bin/python bench/theme_discovery.py american-assembly-bowling-green [--runs 3]

Prints, per run, the time of ``isolation.run(_discover, …)`` as the page calls it (the
cache left out), then the steps inside one process: reading the vectors, loading the
sentence model, clustering (with its imports), naming (key phrases), and the reference:
embedding every comment text with the loaded model.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("slug")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    import sqlalchemy as sa

    from hoering import isolation
    from hoering.comments.models import Comment
    from hoering.consultations.models import Consultation
    from hoering.extensions import db
    from hoering.summaries import meaning, suggestions, vectors
    from wsgi import app

    with app.test_request_context():
        consultation = db.session.scalar(sa.select(Consultation).where(Consultation.slug == args.slug))
        ids = sorted(c.id for c in db.session.scalars(suggestions._uncovered_published(consultation.id)))
        title_words = frozenset(w.lower() for w in re.findall(r"[^\W\d_]{3,}", consultation.title))
        for run in range(args.runs):
            start = time.perf_counter()
            found = isolation.run(suggestions._discover, consultation.id, ids, consultation.language, title_words)
            print(f"run {run + 1}: child {time.perf_counter() - start:.2f} s, {len(found)} groups of {len(ids)}")
        start = time.perf_counter()
        row_ids, matrix = vectors.comment_vectors(consultation.id, comment_ids=ids)
        texts = dict(db.session.execute(sa.select(Comment.id, Comment.body_text).where(Comment.id.in_(row_ids))).all())
        loaded = time.perf_counter()
        embedder = vectors.current_embedder()
        embedder.embed(["warm"])
        model = time.perf_counter()
        labels = meaning.cluster_labels(matrix)
        clustered = time.perf_counter()
        import numpy as np

        matrix = np.asarray(matrix, dtype=np.float32)
        centroids = np.stack([matrix[np.asarray(labels) == k].mean(axis=0) for k in range(max(labels) + 1)])
        meaning.key_phrases([texts[i] for i in row_ids], labels, centroids, consultation.language, embedder.embed,
                            title_words)
        named = time.perf_counter()
        embedder.embed([texts[i] for i in row_ids])
        reference = time.perf_counter() - named
        print(f"vectors {loaded - start:.2f} s, model {model - loaded:.2f} s, clustering {clustered - model:.2f} s, "
              f"key phrases {named - clustered:.2f} s; reference: embedding {len(row_ids)} texts {reference:.2f} s")


if __name__ == "__main__":
    main()
