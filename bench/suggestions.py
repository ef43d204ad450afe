"""Theme suggestions on every Polis conversation in ../shared/data/polis (the accepted
comments of each), timed; prints the proposals' sizes and top words.

Usage: .venv/bin/python bench/suggestions.py
"""

from __future__ import annotations

import csv
import glob
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "shared", "data", "polis")


def main() -> None:
    start = time.perf_counter()
    import sklearn.decomposition  # noqa: F401  (imported by cluster(); timed apart)

    from hoering.summaries.suggestions import cluster

    print(f"importing scikit-learn: {time.perf_counter() - start:.2f} s (once per process)")
    total = 0.0
    for path in sorted(glob.glob(os.path.join(DATA, "*", "comments.csv"))):
        with open(path, newline="", encoding="utf-8") as handle:
            rows = [r for r in csv.DictReader(handle) if r["comment-body"] and r["moderated"] == "1"]
        language = "de" if "austria" in path else "zh-Hant" if "vtaiwan" in path else "en"
        start = time.perf_counter()
        proposals = cluster([(int(r["comment-id"]), r["comment-body"]) for r in rows], language)
        elapsed = time.perf_counter() - start
        total += elapsed
        print(f"{os.path.basename(os.path.dirname(path))}: {len(rows)} comments, {len(proposals)} proposals, "
              f"{elapsed:.2f} s")
        for terms, members, _ in proposals[:3]:
            print(f"    {len(members):4d}  {', '.join(terms)}")
    print(f"all conversations: {total:.2f} s")


if __name__ == "__main__":
    main()
