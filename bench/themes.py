"""Themes by meaning measured on the hand-labelled Bowling Green sample
(bench/data/bowling_green_themes.csv; texts read from ../shared/data/polis at run time).

* Assignment: each theme is seeded with its name and description (THEMES below) and k
  hand-labelled examples (k = 0, 1, 3, 5, 10; examples drawn at random, 5 draws), and the
  other labelled comments get the nearest prototype (hoering.summaries.meaning.assign):
  accuracy over the comments with a theme, then at the confidence threshold the share of
  all labelled comments (the "other" ones included) that get a proposal and the accuracy
  of those proposals ("other" counted as wrong). The softmax temperature per method is the
  one with the least log-loss at k = 5 (printed; hoering.summaries.meaning.TEMPERATURE).
* Discovery: the accepted comments clustered (hoering.summaries.meaning.discover);
  adjusted Rand index and purity of the clusters against the labels, on the labelled
  comments; the key phrases of each cluster.
* The same discovery on the German (austria-climate) and Traditional Chinese
  (vtaiwan.uberx) conversations, to read the names.
* Time per 1,000 comments: embedding, then clustering and naming.

Usage: .venv/bin/python bench/themes.py [--method sentence|lexical|both]
"""

from __future__ import annotations

import argparse
import csv
import glob
import os
import sys
import time
from collections import Counter, defaultdict

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "..", "..", "shared", "data", "polis")
LABELS = os.path.join(HERE, "data", "bowling_green_themes.csv")
#: The themes of the labels, as a moderator would write them: name and description.
THEMES = {
    "traffic": ("Roads and traffic", "Traffic flow, congestion, roads, intersections, turn lanes, traffic lights, "
                                     "railroad crossings and parking."),
    "walking": ("Walking, cycling and buses", "Sidewalks, bike lanes and trails, walkability and public transport."),
    "downtown": ("Downtown and the riverfront", "Developing downtown, Fountain Square and the river area."),
    "leisure": ("Parks, arts and things to do", "Parks, green spaces, arts, music, festivals, activities for "
                                                "families and youth, tourism."),
    "schools": ("Schools and WKU", "Public schools, teachers, education, Western Kentucky University and its "
                                   "programs."),
    "inclusion": ("Fairness ordinance and immigrants", "The fairness ordinance, LGBTQ rights, discrimination, "
                                                       "refugees and immigrants."),
    "drugs": ("Drugs, marijuana and alcohol", "The opioid epidemic, drug addiction, legalizing marijuana, wet and "
                                              "dry county."),
    "taxes": ("Taxes and fees", "City and county taxes, fees and who pays them."),
    "housing": ("Housing, homelessness and zoning", "Rent, affordable housing, landlords, homelessness, apartments, "
                                                    "zoning and planning of neighbourhoods."),
    "business": ("Jobs, wages and shops", "Jobs, wages, temp work, employers, local businesses, stores and "
                                          "restaurants."),
    "internet": ("Internet and cable", "Internet and cable providers, rates and competition, fiber."),
    "government": ("Local government and officials", "Elected officials, conflicts of interest, city and county "
                                                     "government, transparency."),
    "police": ("Police, crime and justice", "Law enforcement, crime, courts, jails and inmates."),
}
#: The same themes written in Norwegian (bokmål): what the names alone (k = 0) are worth
#: when the moderators write in a language the sentence model was not trained on.
THEMES_NB = {
    "traffic": ("Veier og trafikk", "Trafikkflyt, kø, veier, kryss, svingefelt, trafikklys, planoverganger og "
                                    "parkering."),
    "walking": ("Gange, sykkel og buss", "Fortau, sykkelfelt og turstier, gangvennlig by og kollektivtrafikk."),
    "downtown": ("Sentrum og elvebredden", "Utvikling av sentrum, torget og området ved elva."),
    "leisure": ("Parker, kultur og aktiviteter", "Parker, grøntområder, kunst, musikk, festivaler, aktiviteter for "
                                                 "familier og unge, turisme."),
    "schools": ("Skoler og universitetet", "Offentlige skoler, lærere, utdanning, universitetet (WKU) og studiene."),
    "inclusion": ("Likebehandling og innvandrere", "Vedtekt mot diskriminering, rettighetene til skeive, "
                                                   "flyktninger og innvandrere."),
    "drugs": ("Rusmidler, cannabis og alkohol", "Opioidepidemien, avhengighet, legalisering av cannabis, "
                                                "alkoholsalg i kommunen."),
    "taxes": ("Skatter og avgifter", "Kommunale og fylkeskommunale skatter og avgifter, og hvem som betaler."),
    "housing": ("Bolig, bostedsløse og regulering", "Husleie, rimelige boliger, utleiere, bostedsløse, leiligheter, "
                                                    "regulering og planlegging av nabolag."),
    "business": ("Arbeid, lønn og butikker", "Jobber, lønn, vikarbyråer, arbeidsgivere, lokale bedrifter, butikker og "
                                             "restauranter."),
    "internet": ("Internett og kabel-TV", "Leverandører av internett og kabel-TV, priser og konkurranse, fiber."),
    "government": ("Lokalpolitikere og forvaltning", "Folkevalgte, interessekonflikter, kommunens styring, "
                                                     "åpenhet."),
    "police": ("Politi, kriminalitet og rettsvesen", "Politiet, kriminalitet, domstoler, fengsler og innsatte."),
}
KS = (0, 1, 3, 5, 10)
DRAWS = 5
TEMPERATURES = (0.01, 0.02, 0.03, 0.04, 0.05, 0.06, 0.08, 0.1, 0.15)


def read_comments(name: str) -> list[tuple[int, str]]:
    """The accepted comments (moderated = 1) of a Polis conversation: ``[(id, text)]`` by id."""
    with open(os.path.join(DATA, name, "comments.csv"), newline="", encoding="utf-8") as handle:
        rows = [r for r in csv.DictReader(handle) if r["comment-body"].strip() and r["moderated"] == "1"]
    return sorted((int(r["comment-id"]), r["comment-body"]) for r in rows)


def read_labels() -> dict[int, str]:
    with open(LABELS, newline="", encoding="utf-8") as handle:
        return {int(r["comment_id"]): r["theme"] for r in csv.DictReader(
            line for line in handle if not line.startswith("#"))}


def assignment(model, ids, matrix, labels, themes=THEMES, ks=KS):
    """Accuracy by k, temperature fit; prints a table."""
    import numpy as np

    from hoering.summaries import meaning

    keys = list(THEMES)
    theme_vectors = model.embed([meaning.theme_text(*themes[key]) for key in keys])
    row = {comment_id: i for i, comment_id in enumerate(ids)}
    labelled = [i for i in labels if i in row]
    by_theme = defaultdict(list)
    for comment_id in labelled:
        if labels[comment_id] in THEMES:
            by_theme[labels[comment_id]].append(comment_id)
    results = {}
    for k in ks:
        outcomes = []
        for draw in range(DRAWS if k else 1):
            rng = np.random.default_rng(1000 * k + draw)
            seeds = {key: sorted(rng.choice(by_theme[key], size=min(k, len(by_theme[key]) - 1), replace=False)
                                 .tolist()) if k else [] for key in keys}
            seeded = {i for s in seeds.values() for i in s}
            test = [i for i in labelled if i not in seeded]
            examples = [matrix[[row[i] for i in seeds[key]]] for key in keys]
            protos = meaning.prototypes(theme_vectors, examples)
            sims = matrix[[row[i] for i in test]] @ protos.T
            truth = [labels[i] for i in test]
            outcomes.append((sims, truth))
        results[k] = outcomes
    # Temperature: least log-loss of the true theme at k = 5 (comments with a theme).
    fit = 5 if 5 in results else min(results)
    losses = {}
    for temperature in TEMPERATURES:
        total, count = 0.0, 0
        for sims, truth in results[fit]:
            z = sims / temperature
            z -= z.max(axis=1, keepdims=True)
            p = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
            for j, label in enumerate(truth):
                if label in THEMES:
                    total -= float(np.log(max(p[j, keys.index(label)], 1e-12)))
                    count += 1
        losses[temperature] = total / count
    temperature = min(losses, key=losses.get)
    print(f"  temperature (least log-loss at k={fit}): {temperature}   "
          + ", ".join(f"{t}: {v:.3f}" for t, v in losses.items()))
    print(f"  {'k':>3} {'accuracy':>9} {'top-2':>6} {'share>=' + str(meaning.MIN_CONFIDENCE):>12} "
          f"{'accuracy there':>15}  (themed comments only / all labelled)")
    for k, outcomes in results.items():
        acc, top2, share, acc_there = [], [], [], []
        for sims, truth in outcomes:
            themed = [j for j, label in enumerate(truth) if label in THEMES]
            order = np.argsort(-sims, axis=1)
            acc.append(np.mean([keys[order[j, 0]] == truth[j] for j in themed]))
            top2.append(np.mean([truth[j] in (keys[order[j, 0]], keys[order[j, 1]]) for j in themed]))
            best, conf = meaning.confidences(sims, np.eye(sims.shape[1], dtype=np.float32), temperature)
            above = [j for j in range(len(truth)) if conf[j] >= meaning.MIN_CONFIDENCE]
            share.append(len(above) / len(truth))
            acc_there.append(np.mean([keys[best[j]] == truth[j] for j in above]) if above else float("nan"))
        print(f"  {k:>3} {np.mean(acc):>9.3f} {np.mean(top2):>6.3f} {np.mean(share):>12.3f} {np.mean(acc_there):>15.3f}")
    return temperature


def purity(clusters: list[int], truth: list[str]) -> float:
    groups = defaultdict(list)
    for c, t in zip(clusters, truth, strict=True):
        groups[c].append(t)
    return sum(Counter(g).most_common(1)[0][1] for g in groups.values()) / len(truth)


def discovery(model, name, language, comments, labels=None, clusters=None):
    """Discover on a conversation's accepted comments; prints names and, with labels, the
    agreement with them."""
    from sklearn.metrics import adjusted_rand_score

    from hoering.summaries import meaning

    ids = [i for i, _ in comments]
    texts = [t for _, t in comments]
    start = time.perf_counter()
    matrix = model.embed(texts)
    embedded = time.perf_counter() - start
    start = time.perf_counter()
    found = meaning.discover(ids, matrix, texts, language, model.embed, clusters=clusters,
                             extra_stop_words=frozenset({"bowling", "green", "warren", "county", "city"})
                             if labels else frozenset())
    clustered = time.perf_counter() - start
    print(f"  {name} ({language}, {len(ids)} comments): {len(found)} clusters; embedding "
          f"{embedded * 1000 / len(ids):.2f} s, clustering and naming {clustered * 1000 / len(ids):.2f} s "
          f"per 1,000 comments")
    for phrases, members, _ in found:
        print(f"    {len(members):4d}  {' | '.join(phrases)}")
    if labels:
        cluster_of = {i: k for k, (_, members, _) in enumerate(found) for i in members}
        labelled = [i for i in labels if i in cluster_of]
        truth = [labels[i] for i in labelled]
        assigned = [cluster_of[i] for i in labelled]
        themed = [j for j, t in enumerate(truth) if t != "other"]
        print(f"  against the labels ({len(labelled)} comments): adjusted Rand "
              f"{adjusted_rand_score(truth, assigned):.3f} (without 'other': "
              f"{adjusted_rand_score([truth[j] for j in themed], [assigned[j] for j in themed]):.3f}), "
              f"purity {purity(assigned, truth):.3f}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--method", choices=("sentence", "lexical", "both"), default="both")
    args = parser.parse_args()
    from hoering import embeddings

    labels = read_labels()
    comments = read_comments("american-assembly.bowling-green")
    print(f"Bowling Green: {len(comments)} accepted comments, {len(labels)} labelled "
          f"({', '.join(f'{k} {v}' for k, v in Counter(labels.values()).most_common())})")
    for method in (("sentence", "lexical") if args.method == "both" else (args.method,)):
        model = embeddings.embedder(method)
        print(f"\n== {model.name}")
        ids = [i for i, _ in comments]
        matrix = model.embed([t for _, t in comments])
        assignment(model, ids, matrix, labels)
        print("  themes named and described in Norwegian, English comments:")
        assignment(model, ids, matrix, labels, THEMES_NB, (0, 5))
        discovery(model, "bowling-green", "en", comments, labels)
        discovery(model, "bowling-green, 13 clusters", "en", comments, labels, clusters=13)
        for path in sorted(glob.glob(os.path.join(DATA, "*", "comments.csv"))):
            folder = os.path.basename(os.path.dirname(path))
            if "austria" in folder or "vtaiwan" in folder:
                discovery(model, folder, "de" if "austria" in folder else "zh-Hant", read_comments(folder))


if __name__ == "__main__":
    main()
