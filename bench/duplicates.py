"""Near-duplicate groups on every Polis conversation in ../shared/data/polis: how many
groups, how many comments they hold, how many comments the real moderators rejected
(``moderated = -1``) fall in a group with an accepted one, and the time taken, at the
threshold in use and around it.

Usage: .venv/bin/python bench/duplicates.py
"""

from __future__ import annotations

import csv
import glob
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from hoering.summaries.duplicates import SIMILARITY_THRESHOLD, find_groups  # noqa: E402

DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "shared", "data", "polis")


def main() -> None:
    for path in sorted(glob.glob(os.path.join(DATA, "*", "comments.csv"))):
        with open(path, newline="", encoding="utf-8") as handle:
            rows = [row for row in csv.DictReader(handle) if row["comment-body"]]
        moderated = {int(row["comment-id"]): int(row["moderated"]) for row in rows}
        texts = [(int(row["comment-id"]), row["comment-body"]) for row in rows]
        name = os.path.basename(os.path.dirname(path))
        print(f"{name}: {len(texts)} comments, {sum(1 for m in moderated.values() if m == -1)} rejected")
        for threshold in sorted({0.7, SIMILARITY_THRESHOLD, 0.9}):
            start = time.perf_counter()
            groups = find_groups(texts, threshold)
            elapsed = time.perf_counter() - start
            rejected = sum(1 for group in groups for i in group
                           if moderated[i] == -1 and any(moderated[j] == 1 for j in group))
            mark = " (in use)" if threshold == SIMILARITY_THRESHOLD else ""
            print(f"  threshold {threshold:.2f}{mark}: {len(groups)} groups, {sum(map(len, groups))} comments, "
                  f"{rejected} rejected comments grouped with an accepted one, {elapsed:.2f} s")


if __name__ == "__main__":
    main()
