"""Near-duplicate groups measured: recall and precision on the labelled pairs of the Bowling
Green conversation (bench/data/bowling_green_pairs.csv) for the method before groups by
meaning (character 4-gram TF-IDF from 0.8, a leader rule) and the one in use (sentence
vectors or wording, complete linkage) at its thresholds and around them; then, on every
Polis conversation in ../shared/data/polis, how many groups, how many comments they hold,
how many comments the real moderators rejected (``moderated = -1``) fall in a group with an
accepted one, and the time taken.

A labelled pair counts as found when both comments end up in the same group after grouping
the whole conversation (all 896 comments), so the complete-linkage rule is measured, not
only the pair's own similarity. Recall is given per kind (restatements, paraphrases);
precision is the share of found pairs that are restatements or paraphrases, over the
labelled pairs found (hard cases: see the file's header). The sentence vectors are made
here (about 3 s for Bowling Green).

Usage: .venv/bin/python bench/duplicates.py [--grid]
"""

from __future__ import annotations

import argparse
import csv
import glob
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from hoering.summaries.duplicates import (  # noqa: E402
    NEGATIONS,
    SEMANTIC_THRESHOLD,
    TEXTUAL_THRESHOLD,
    find_groups,
    normalize,
)

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "..", "..", "shared", "data", "polis")
PAIRS = os.path.join(HERE, "data", "bowling_green_pairs.csv")
BOWLING_GREEN = "american-assembly.bowling-green"


def _negations(text: str) -> frozenset[str]:
    return frozenset(text.split()) & NEGATIONS


def leader_groups(texts: list[tuple[int, str]], threshold: float = 0.8) -> list[list[int]]:
    """The method before groups by meaning (kept here to compare): character 4-gram TF-IDF
    cosine from ``threshold``, each text joining the group whose first text it is most like.

    Args:
        texts: ``[(id, text)]``.
        threshold: cosine similarity from which two texts are near-duplicates (0–1).

    Returns:
        Groups of two or more ids, each sorted, ordered by their lowest id.
    """
    from sklearn.feature_extraction.text import TfidfVectorizer

    items = sorted((item_id, normalize(text)) for item_id, text in texts)
    items = [(item_id, text) for item_id, text in items if text]
    if len(items) < 2:
        return []
    parent = list(range(len(items)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    def join(i: int, j: int) -> None:
        a, b = find(i), find(j)
        if a != b:
            parent[max(a, b)] = min(a, b)

    # Identical texts are grouped at once; only one of each is compared with the others.
    first_with_text: dict[str, int] = {}
    for index, (_, text) in enumerate(items):
        if text in first_with_text:
            join(first_with_text[text], index)
        else:
            first_with_text[text] = index
    unique = list(first_with_text.values())
    if len(unique) > 1:
        # 4-grams found in more than a fifth of the texts ("the ", " og ") carry almost no
        # weight under TF-IDF but would make every pair of texts a candidate.
        vectors = TfidfVectorizer(analyzer="char_wb", ngram_range=(4, 4), sublinear_tf=True, lowercase=False,
                                  max_df=0.2 if len(unique) >= 50 else 1.0).fit_transform(
            [items[i][1] for i in unique])
        earlier: list[list[tuple[float, int]]] = [[] for _ in unique]
        # Rows are L2-normalized, so the product is the cosine similarity; it is sparse
        # for texts that share few 4-grams. Done in blocks to bound memory.
        block = 2000
        for start in range(0, len(unique), block):
            similarity = (vectors[start:start + block] @ vectors.T).tocoo()
            keep = (similarity.data >= threshold) & (similarity.row + start > similarity.col)
            for i, j, value in zip(similarity.row[keep], similarity.col[keep], similarity.data[keep], strict=True):
                earlier[start + int(i)].append((float(value), int(j)))
        # Each text joins the most similar earlier group *leader* (the group's first text),
        # never a member: near-duplicates do not chain A~B~C into texts that differ.
        negations = [_negations(items[i][1]) for i in unique]
        leader = list(range(len(unique)))
        for i in range(len(unique)):
            candidates = sorted((-value, j) for value, j in earlier[i]
                                if leader[j] == j and negations[j] == negations[i])
            if candidates:
                leader[i] = candidates[0][1]
                join(unique[leader[i]], unique[i])
    groups: dict[int, list[int]] = {}
    for index, (item_id, _) in enumerate(items):
        groups.setdefault(find(index), []).append(item_id)
    found = [sorted(ids) for ids in groups.values() if len(ids) > 1]
    return sorted(found, key=lambda ids: ids[0])


def read_pairs() -> list[tuple[int, int, str]]:
    """The labelled pairs: ``[(first id, second id, label)]``."""
    with open(PAIRS, encoding="utf-8") as handle:
        rows = csv.DictReader(line for line in handle if not line.startswith("#"))
        return [(int(r["first"]), int(r["second"]), r["label"]) for r in rows]


def read_conversation(name: str) -> list[dict]:
    """The rows of a conversation's comments.csv that have a text."""
    with open(os.path.join(DATA, name, "comments.csv"), newline="", encoding="utf-8") as handle:
        return [row for row in csv.DictReader(handle) if row["comment-body"]]


def score(groups: list[list[int]], pairs: list[tuple[int, int, str]]) -> str:
    """Recall per kind and precision of ``groups`` on the labelled ``pairs``, as a line."""
    group_of = {i: n for n, group in enumerate(groups) for i in group}
    found = [(label, a in group_of and group_of.get(a) == group_of.get(b)) for a, b, label in pairs]
    parts = []
    for kind in ("restatement", "paraphrase"):
        total = sum(1 for label, _ in found if label == kind)
        hits = sum(1 for label, hit in found if label == kind and hit)
        parts.append(f"{kind}s {hits}/{total} ({100 * hits / total:.0f} %)")
    true = sum(1 for label, hit in found if hit and label in ("restatement", "paraphrase"))
    false = {kind: sum(1 for label, hit in found if hit and label == kind) for kind in ("different", "opposite")}
    everything = true + sum(false.values())
    precision = f"{100 * true / everything:.0f} %" if everything else "-"
    parts.append(f"precision {precision} (wrongly grouped: {false['different']} different, "
                 f"{false['opposite']} opposite)")
    return "; ".join(parts)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--grid", action="store_true", help="also every threshold pair around the ones in use")
    args = parser.parse_args()
    from hoering.embeddings import embedder

    model = embedder("sentence")
    pairs = read_pairs()
    rows = read_conversation(BOWLING_GREEN)
    texts = [(int(row["comment-id"]), row["comment-body"]) for row in rows]
    start = time.perf_counter()
    vectors = ([i for i, _ in texts], model.embed([t for _, t in texts]))
    print(f"Bowling Green: {len(texts)} comments embedded in {time.perf_counter() - start:.1f} s; "
          f"{len(pairs)} labelled pairs")
    print(f"  before (4-grams from 0.80, leader rule): {score(leader_groups(texts), pairs)}")
    grid = [(s, t) for s in (0.65, 0.7, 0.75, 0.8, 0.85) for t in (0.6, 0.65, 0.7, 0.75, 0.8)] if args.grid else \
        [(0.7, TEXTUAL_THRESHOLD), (SEMANTIC_THRESHOLD, TEXTUAL_THRESHOLD), (0.8, TEXTUAL_THRESHOLD),
         (SEMANTIC_THRESHOLD, 0.8), (2.0, TEXTUAL_THRESHOLD)]
    for semantic, textual in grid:
        groups = find_groups(texts, vectors, semantic_threshold=semantic, textual_threshold=textual)
        mark = " (in use)" if (semantic, textual) == (SEMANTIC_THRESHOLD, TEXTUAL_THRESHOLD) else ""
        name = "wording only" if semantic > 1 else f"meaning {semantic:.2f}"
        print(f"  now ({name}, wording {textual:.2f}){mark}: {score(groups, pairs)}")
    print()
    for path in sorted(glob.glob(os.path.join(DATA, "*", "comments.csv"))):
        name = os.path.basename(os.path.dirname(path))
        rows = read_conversation(name)
        moderated = {int(row["comment-id"]): int(row["moderated"]) for row in rows}
        texts = [(int(row["comment-id"]), row["comment-body"]) for row in rows]
        vectors = ([i for i, _ in texts], model.embed([t for _, t in texts]))
        print(f"{name}: {len(texts)} comments, {sum(1 for m in moderated.values() if m == -1)} rejected")
        for label in ("before", "now"):
            start = time.perf_counter()
            groups = leader_groups(texts) if label == "before" else find_groups(texts, vectors)
            elapsed = time.perf_counter() - start
            rejected = sum(1 for g in groups for i in g if moderated[i] == -1 and any(moderated[j] == 1 for j in g))
            print(f"  {label}: {len(groups)} groups, {sum(map(len, groups))} comments, largest {max(map(len, groups), default=0)}, "
                  f"{rejected} rejected comments grouped with an accepted one, {elapsed:.2f} s (vectors made)")


if __name__ == "__main__":
    main()
