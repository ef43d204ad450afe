"""Theme suggestions and near-duplicate groups on the real Polis conversations."""

from __future__ import annotations

import csv
import glob
import os
import re

import pytest
import sqlalchemy as sa

from hoering.consultations.models import Consultation
from hoering.embeddings import embedder
from hoering.extensions import db
from hoering.summaries.duplicates import find_groups, normalize
from hoering.summaries.meaning import discover, fold, is_stop_word, phrases, stop_words
from hoering.summaries.models import CommentTheme, Theme
from tests.conftest import shared_data


def polis_texts(name: str, accepted_only: bool = True) -> list[tuple[int, str]]:
    with open(os.path.join(shared_data("polis", name), "comments.csv"), newline="", encoding="utf-8") as handle:
        return [(int(row["comment-id"]), row["comment-body"]) for row in csv.DictReader(handle)
                if row["comment-body"] and (row["moderated"] == "1" or not accepted_only)]


def conversations() -> list[str]:
    return sorted(os.path.basename(os.path.dirname(p))
                  for p in glob.glob(os.path.join(shared_data("polis"), "*", "comments.csv")))


def cluster(texts, language, method="lexical"):
    """Discovery on ``texts`` (``[(id, text)]``) as the page makes it, embedded by ``method``."""
    model = embedder(method)
    texts = sorted(texts)
    return discover([i for i, _ in texts], model.embed([t for _, t in texts]), [t for _, t in texts], language,
                    model.embed)


@pytest.mark.parametrize("method", ["sentence", "lexical"])
@pytest.mark.parametrize("name", ["15-per-hour-seattle", "american-assembly.bowling-green",
                                  "austria-climate.5twd2jsnkf.2022-08-08", "brexit-consensus",
                                  "london.youth.policing", "vtaiwan.uberx"])
def test_every_conversation_gets_deterministic_proposals(name, method):
    language = "de" if name.startswith("austria") else "zh-Hant" if name.startswith("vtaiwan") else "en"
    texts = polis_texts(name)
    first, second = cluster(texts, language, method), cluster(list(reversed(texts)), language, method)
    assert len(first) >= 3
    assert first == second  # the order of the input does not matter either
    ids = [i for _, members, _ in first for i in members]
    assert sorted(ids) == sorted(i for i, _ in texts)  # each comment in exactly one proposal
    assert all(set(reps) <= set(members) for _, members, reps in first)
    text_of = dict(texts)
    # Named, unless its comments hold no phrase at all ("I am between 15 and 19 years old.").
    assert all(names or not any(phrases(text_of[i], language) for i in members) for names, members, _ in first)
    stops = stop_words(language)
    for names, _, _ in first:
        for phrase in names:  # never a stop word, nor a phrase that starts or ends with one
            parts = phrase.split(" ")
            assert not is_stop_word(fold(parts[0]), stops) and not is_stop_word(fold(parts[-1]), stops), phrase


def test_near_duplicates_are_grouped_and_different_points_are_not():
    groups = find_groups([
        (1, "We need a health food store."), (2, "Bowling Green needs a health food store"),
        (3, "Smoking should not be allowed within 25 feet of a business."),
        (4, "Smoking should not be allowed in public parks."),
        (5, "WE NEED A HEALTH-FOOD STORE!!!"), (6, "Ganz anderer Text über Klimaschutz"),
    ])
    assert groups == [[1, 5]]
    assert normalize("  Æ, ø & Å!! ") == "æ ø å"


def test_on_bowling_green_a_restatement_is_grouped_with_the_original():
    groups = find_groups(polis_texts("american-assembly.bowling-green", accepted_only=False))
    assert [73, 384] in groups  # "We need a health food store." / "Bowling Green needs a health food store"
    texts = dict(polis_texts("american-assembly.bowling-green", accepted_only=False))
    business = next(i for i, t in texts.items() if t == "Smoking should not be allowed within 25 feet of a business.")
    parks = next(i for i, t in texts.items() if t == "Smoking should not be allowed in public parks.")
    assert not any(business in group and parks in group for group in groups)
    legal = next(i for i, t in texts.items() if t.startswith("Marijuana should be legalized"))
    illegal = [i for i, t in texts.items() if "should not be legalized" in t.lower() and "marijuana" in t.lower()]
    assert illegal and not any(legal in group and set(illegal) & set(group) for group in groups)


def test_bowling_green_rejected_near_duplicates_of_accepted_comments():
    """The measurement DESIGN asks for: of the comments the real moderators rejected, how
    many are near-duplicates of an accepted comment (docs/PERFORMANCE.md)."""
    with open(os.path.join(shared_data("polis", "american-assembly.bowling-green"), "comments.csv"),
              newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    moderated = {int(r["comment-id"]): int(r["moderated"]) for r in rows}
    groups = find_groups([(int(r["comment-id"]), r["comment-body"]) for r in rows])
    rejected_with_accepted = sum(1 for g in groups for i in g if moderated[i] == -1
                                 and any(moderated[j] == 1 for j in g))
    assert (len(groups), rejected_with_accepted) == (47, 41)


def test_a_moderator_accepts_renames_and_merges_proposals(runner, app, browser_for):
    runner.invoke(args=["hoering", "import-polis", shared_data("polis", "american-assembly.bowling-green")])
    with app.app_context():
        slug = db.session.scalar(sa.select(Consultation.slug))
    moderator = browser_for("moderator")
    url = f"/moderering/hoeringer/{slug}/temaforslag"
    page = moderator.get(url).get_data(as_text=True)

    def members(html):
        found: dict[str, list[str]] = {}
        for number, comment_id in re.findall(r'name="proposal-(\d+)-comment" value="(\d+)"', html):
            found.setdefault(number, []).append(comment_id)
        return found

    proposals = list(members(page).items())
    assert len(proposals) >= 5
    assert "bowling" not in page.split("Nøkkelfraser:")[1].split("</p>")[0].lower()  # the title's words are not topics
    (n1, ids1), (n2, ids2), (n3, ids3) = proposals[:3]
    unticked = ids2[-1]  # the moderator unticks a comment that does not fit
    response = moderator.submit(url, data={
        f"proposal-{n1}-accept": "1", f"proposal-{n1}-name": "Skoler", f"proposal-{n1}-comment": ids1,
        f"proposal-{n1}-tag": "1",
        f"proposal-{n2}-accept": "1", f"proposal-{n2}-name": "skoler", f"proposal-{n2}-comment": ids2[:-1],
        f"proposal-{n2}-tag": "1",
        f"proposal-{n3}-name": "Forkastet", f"proposal-{n3}-comment": ids3,
    })
    assert response.status_code == 303
    with app.app_context():
        themes = db.session.scalars(sa.select(Theme)).all()
        assert [t.name for t in themes] == ["Skoler"]
        tagged = set(db.session.scalars(sa.select(CommentTheme.comment_id)))
    assert tagged == {int(i) for i in ids1 + ids2[:-1]} and int(unticked) not in tagged
    # The next proposals are made from the comments still without a theme.
    remaining = {int(i) for ids in members(moderator.get(url).get_data(as_text=True)).values() for i in ids}
    assert remaining and not remaining & tagged

    nameless = moderator.submit(url, data={f"proposal-{n3}-accept": "1", f"proposal-{n3}-name": " ",
                                           f"proposal-{n3}-comment": ids3})
    assert nameless.status_code == 422


def test_duplicates_page_lists_groups(runner, app, browser_for):
    runner.invoke(args=["hoering", "import-polis", shared_data("polis", "american-assembly.bowling-green")])
    with app.app_context():
        slug = db.session.scalar(sa.select(Consultation.slug))
    page = browser_for("moderator").get(f"/moderering/hoeringer/{slug}/duplikater").get_data(as_text=True)
    assert len(re.findall(r'class="duplicate-group"', page)) == 47


def test_statistics_count_a_group_of_near_duplicates_once(browser_for, make_consultation, make_user, make_comment):
    consultation = make_consultation()
    for text in ("Vi trenger en ny svømmehall i sentrum.", "Vi trenger en ny svømmehall i sentrum!!",
                 "vi trenger en ny svømmehall i sentrum", "Lengre åpningstider på biblioteket"):
        make_comment(consultation, make_user(), text)
    staff = browser_for("case_officer").get(f"/saksbehandling/hoeringer/{consultation.slug}").get_data(as_text=True)
    assert re.search(r"Kommentarer utenom svar</dt><dd>4</dd>", staff)
    assert re.search(r"nesten like telt én gang\)</dt><dd>2</dd>", staff)
