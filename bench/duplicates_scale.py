"""Near-duplicate groups at scale: 100,000 comments made from the real Polis texts in
../shared/data/polis (1,758 texts, every conversation) with perturbations, their sentence
vectors made once and kept in a cache file, then grouped from the vectors as the
application does (:func:`hoering.summaries.duplicates.find_groups`); prints the time and
the peak memory of the grouping alone.

Each made comment is a real text (chosen at random, seeded) with 0 to 3 edits: a typo (a
letter dropped, doubled or swapped with the next), a word dropped, a filler word added
("really", "please", "also", "just"), the case of a word changed, or punctuation added or
removed. Without edits it is an exact copy; the base texts with their copies form about
1,758 campaigns of about 57 comments each, a harder case than a real hearing (where most
comments have no near-duplicate), since the candidate components are then large.

Usage: .venv/bin/python bench/duplicates_scale.py [--comments 100000] [--cache DIR] [--tracemalloc]

The vectors (about 100 MB as float16) are made in the first run (about 2.6 ms per comment
on one core: 4–5 minutes) and read from ``--cache`` (default
``$TMPDIR/hoering-bench``) after that. Peak memory: the process's maximum resident set
size (``ru_maxrss``) before and after the grouping; with ``--tracemalloc``, in a run of its
own (tracing slows the Python parts several times), ``tracemalloc``'s peak of the Python
and NumPy allocations during it (FAISS's own C++ allocations are not counted, hence both
figures).
"""

from __future__ import annotations

import argparse
import csv
import glob
import hashlib
import os
import random
import resource
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "shared", "data", "polis")
FILLERS = ("really", "please", "also", "just")


def base_texts() -> list[str]:
    """Every non-empty comment text of every Polis conversation in ``DATA``, in file order."""
    texts = []
    for path in sorted(glob.glob(os.path.join(DATA, "*", "comments.csv"))):
        with open(path, newline="", encoding="utf-8") as handle:
            texts += [row["comment-body"] for row in csv.DictReader(handle) if row["comment-body"].strip()]
    return texts


def perturb(text: str, rng: random.Random) -> str:
    """``text`` with 0 to 3 random edits (see the module's docstring)."""
    for _ in range(rng.choice((0, 1, 1, 2, 3))):
        words = text.split()
        if not words:
            break
        kind = rng.randrange(5)
        i = rng.randrange(len(words))
        word = words[i]
        if kind == 0 and len(word) > 2:
            j = rng.randrange(len(word) - 1)
            word = rng.choice((word[:j] + word[j + 1:], word[:j] + word[j] + word[j:],
                               word[:j] + word[j + 1] + word[j] + word[j + 2:]))
            words[i] = word
        elif kind == 1 and len(words) > 4:
            del words[i]
        elif kind == 2:
            words.insert(i, rng.choice(FILLERS))
        elif kind == 3:
            words[i] = word.upper() if rng.random() < 0.5 else word.lower()
        else:
            words[i] = word.rstrip(".,!?") if word[-1:] in ".,!?" else word + rng.choice(".,!")
        text = " ".join(words)
    return text


def corpus(count: int, seed: int = 20261203) -> list[tuple[int, str]]:
    """``count`` made comments ``[(id, text)]``, ids from 1, the same for the same seed."""
    rng = random.Random(seed)
    texts = base_texts()
    return [(i, perturb(rng.choice(texts), rng)) for i in range(1, count + 1)]


def vectors_of(comments: list[tuple[int, str]], cache: str):
    """The sentence vectors of ``comments`` (float16, as stored), from the cache file or
    made and kept there."""
    import numpy as np

    digest = hashlib.sha256("\n".join(text for _, text in comments).encode()).hexdigest()[:16]
    path = os.path.join(cache, f"duplicates-{len(comments)}-{digest}.npy")
    if os.path.exists(path):
        return np.load(path)
    from hoering.embeddings import embedder

    os.makedirs(cache, exist_ok=True)
    start = time.perf_counter()
    matrix = embedder("sentence").embed([text for _, text in comments]).astype(np.float16)
    print(f"embedded {len(comments)} comments in {time.perf_counter() - start:.0f} s (kept in {path})")
    np.save(path, matrix)
    return matrix


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--comments", type=int, default=100_000)
    parser.add_argument("--cache", default=os.path.join(tempfile.gettempdir(), "hoering-bench"))
    parser.add_argument("--embed-only", action="store_true")
    parser.add_argument("--tracemalloc", action="store_true", help="trace the allocations (slower)")
    args = parser.parse_args()
    comments = corpus(args.comments)
    matrix = vectors_of(comments, args.cache)
    if args.embed_only:
        return
    import tracemalloc

    start = time.perf_counter()
    import faiss  # noqa: F401  (imported by find_groups; timed apart, as a child process pays it once)
    import scipy.cluster.hierarchy  # noqa: F401
    import scipy.sparse.csgraph  # noqa: F401
    import sklearn.feature_extraction.text  # noqa: F401
    import sklearn.preprocessing  # noqa: F401

    from hoering.summaries.duplicates import find_groups

    print(f"importing FAISS, SciPy and scikit-learn: {time.perf_counter() - start:.1f} s")

    ids = [comment_id for comment_id, _ in comments]
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    if args.tracemalloc:  # slows the Python parts several times: a run of its own
        tracemalloc.start()
    start, cpu = time.perf_counter(), time.process_time()
    groups = find_groups(comments, (ids, matrix))
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    sizes = sorted((len(g) for g in groups), reverse=True)
    print(f"{len(comments)} comments: {len(groups)} groups holding {sum(sizes)} comments (largest {sizes[:5]}), "
          f"{elapsed:.1f} s ({cpu:.1f} s of CPU, load average {os.getloadavg()[0]:.1f}); peak RSS {before:.0f} MiB "
          f"before, {after:.0f} MiB after (+{after - before:.0f} MiB)")
    if args.tracemalloc:
        print(f"tracemalloc peak (NumPy and Python allocations during the grouping): "
              f"{tracemalloc.get_traced_memory()[1] / 2**20:.0f} MiB")

if __name__ == "__main__":
    main()
