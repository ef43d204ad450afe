"""Themes by meaning through the moderators' pages: proposed themes for untagged comments
(accepted in bulk, above a confidence or one at a time; bad input refused), discovered
themes named by key phrases that are never stop words (nb, en, de, zh), and the lexical
fallback."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from hoering.extensions import db
from hoering.summaries.meaning import fold, is_stop_word, phrases, stop_words
from hoering.summaries.models import CommentTheme, CommentVector, Theme

CYCLING = ["Vi trenger flere sykkelveier langs hovedveien.", "Sykkelfeltet i sentrum er for smalt og farlig.",
           "Bygg en sammenhengende sykkelvei til skolen.", "Syklister trenger egne felt adskilt fra bilene.",
           "Sykkelparkering ved stasjonen mangler."]
LIBRARY = ["Biblioteket bør ha lengre åpningstider om kvelden.", "Flere bøker for barn på biblioteket.",
           "Biblioteket er et viktig møtested for eldre.", "Lesesalen på biblioteket er alltid full.",
           "Gi biblioteket penger til nye bøker."]


@pytest.fixture
def hearing(make_consultation, make_user, make_comment, app):
    """A consultation about cycling and the library, with a theme for each (one comment
    tagged with each) and the other comments untagged; and a comment of another one."""
    consultation = make_consultation(title="Byplan for Fjordvik")
    citizen = make_user()
    ids = {text: make_comment(consultation, citizen, text).id for text in CYCLING + LIBRARY}
    other = make_consultation()
    foreign = make_comment(other, citizen, "Sykkelvei langs fjorden, takk.").id
    with app.app_context():
        cycling = Theme(consultation_id=consultation.id, name="Sykkel",
                        description="Sykkelveier, sykkelfelt og sykkelparkering.")
        library = Theme(consultation_id=consultation.id, name="Biblioteket", description="Åpningstider og bøker.")
        foreign_theme = Theme(consultation_id=other.id, name="Annet")
        db.session.add_all([cycling, library, foreign_theme])
        db.session.flush()
        db.session.add_all([CommentTheme(comment_id=ids[CYCLING[0]], theme_id=cycling.id),
                            CommentTheme(comment_id=ids[LIBRARY[0]], theme_id=library.id)])
        db.session.commit()
        themes = {"cycling": cycling.id, "library": library.id, "foreign": foreign_theme.id}
    return consultation, ids, themes, foreign


def proposals(html: str) -> list[tuple[int, int, int]]:
    """``[(comment id, theme id, confidence in per cent)]`` as the page lists them."""
    rows = re.findall(r'name="accept" value="(\d+)-(\d+)".*?<span class="confidence">(\d+) %</span>', html, re.S)
    return [(int(c), int(t), int(p)) for c, t, p in rows]


def tags(app, consultation_id: int) -> dict[int, tuple[int, int | None]]:
    with app.app_context():
        return {c: (t, by) for c, t, by in db.session.execute(
            sa.select(CommentTheme.comment_id, CommentTheme.theme_id, CommentTheme.tagged_by_id)
            .join(Theme, Theme.id == CommentTheme.theme_id).where(Theme.consultation_id == consultation_id))}


def test_each_untagged_comment_gets_the_theme_it_means_most_confident_first(hearing, browser_for, app):
    consultation, ids, themes, _ = hearing
    page = browser_for("moderator").get(f"/moderering/hoeringer/{consultation.slug}/foreslatte-temaer")
    assert page.status_code == 200
    rows = proposals(page.get_data(as_text=True))
    assert rows and [p for _, _, p in rows] == sorted((p for _, _, p in rows), reverse=True)
    assert all(50 <= p <= 100 for _, _, p in rows)
    expected = {ids[t]: themes["cycling"] for t in CYCLING[1:]} | {ids[t]: themes["library"] for t in LIBRARY[1:]}
    right = sum(expected[c] == t for c, t, _ in rows)
    assert right >= 0.75 * len(expected) and right >= len(rows) - 1
    assert ids[CYCLING[0]] not in {c for c, _, _ in rows}  # tagged comments get no proposal


def test_accept_one_ticked_and_all_above_a_confidence(hearing, browser_for, app):
    consultation, ids, themes, _ = hearing
    moderator = browser_for("moderator")
    url = f"/moderering/hoeringer/{consultation.slug}/foreslatte-temaer"
    rows = proposals(moderator.get(url).get_data(as_text=True))
    (c1, t1, _), (c2, t2, _), (c3, t3, _) = rows[:3]
    one = moderator.submit(url, data={"action": "checked", "one": f"{c1}-{t1}"})
    assert one.status_code == 303
    assert tags(app, consultation.id)[c1] == (t1, moderator.user.id)  # recorded like any tagging
    ticked = moderator.submit(url, data={"action": "checked", "accept": [f"{c2}-{t2}", f"{c3}-{t3}"]})
    assert ticked.status_code == 303
    found = tags(app, consultation.id)
    assert found[c2][0] == t2 and found[c3][0] == t3
    left = proposals(moderator.get(url).get_data(as_text=True))
    assert {c1, c2, c3}.isdisjoint(c for c, _, _ in left)  # accepted ones leave the list
    cutoff = left[len(left) // 2][2]
    above = moderator.submit(url, data={"action": "above", "above": str(cutoff)})
    assert above.status_code == 303
    found = tags(app, consultation.id)
    assert all((c in found) == (p >= cutoff) for c, _, p in left)


@pytest.mark.parametrize("data, message", [
    ({"action": "above", "above": "150"}, "fra 0 til 100 prosent"),
    ({"action": "above", "above": "-1"}, "fra 0 til 100 prosent"),
    ({"action": "above", "above": "mye"}, "fra 0 til 100 prosent"),
    ({"action": "checked", "one": "{comment}-999999"}, "ikke noe tema med nummer 999999"),
    ({"action": "checked", "one": "{comment}-{foreign_theme}"}, "ikke noe tema med nummer"),
    ({"action": "checked", "one": "{foreign}-{theme}"}, "Ikke publiserte kommentarer i denne høringen: #{foreign}"),
    ({"action": "checked", "accept": ["{comment}-{theme}", "12-tre"]}, "ble ikke forstått"),
    ({"action": "checked"}, "Kryss av forslagene"),
])
def test_bad_input_is_refused_and_nothing_is_tagged(hearing, browser_for, app, data, message):
    consultation, ids, themes, foreign = hearing
    values = {"comment": ids[CYCLING[2]], "theme": themes["cycling"], "foreign_theme": themes["foreign"],
              "foreign": foreign}

    def fill(value):
        return [fill(v) for v in value] if isinstance(value, list) else value.format(**values)

    before = tags(app, consultation.id)
    url = f"/moderering/hoeringer/{consultation.slug}/foreslatte-temaer"
    response = browser_for("moderator").submit(url, data={k: fill(v) for k, v in data.items()})
    assert response.status_code == 422
    assert message.format(**values) in response.get_data(as_text=True)
    assert tags(app, consultation.id) == before


def test_a_confidence_above_every_proposal_says_so(hearing, browser_for, app):
    consultation, *_ = hearing
    url = f"/moderering/hoeringer/{consultation.slug}/foreslatte-temaer"
    response = browser_for("moderator").submit(url, data={"action": "above", "above": "100"})
    html = response.get_data(as_text=True)
    assert response.status_code in (303, 422)
    if response.status_code == 422:
        assert "Ingen forslag har en sikkerhet på 100 % eller mer." in html


def provenance(app, consultation_id: int) -> dict[int, tuple[int, str, float | None]]:
    with app.app_context():
        return {c: (t, source, confidence) for c, t, source, confidence in db.session.execute(
            sa.select(CommentTheme.comment_id, CommentTheme.theme_id, CommentTheme.source, CommentTheme.confidence)
            .join(Theme, Theme.id == CommentTheme.theme_id).where(Theme.consultation_id == consultation_id))}


def suggestion_form(html: str) -> tuple[int, list[str]]:
    """The first discovered group's number and member ids."""
    found = re.findall(r'name="proposal-(\d+)-comment" value="(\d+)"', html)
    number = found[0][0]
    return int(number), [c for n, c in found if n == number]


def test_keeping_a_discovered_group_creates_the_theme_without_tagging(hearing, browser_for, app):
    consultation, ids, themes, _ = hearing
    moderator = browser_for("moderator")
    url = f"/moderering/hoeringer/{consultation.slug}/temaforslag"
    page = moderator.get(url).get_data(as_text=True)
    number, members = suggestion_form(page)
    assert f'name="proposal-{number}-tag" value="1" aria-describedby' in page  # unticked by default
    assert re.search(rf"Merk også (alle )?{len(members)} kommentar", page)
    before = tags(app, consultation.id)
    response = moderator.submit(url, data={
        f"proposal-{number}-accept": "1", f"proposal-{number}-name": "Byliv",
        f"proposal-{number}-description": "Sykler og bøker i sentrum.", f"proposal-{number}-comment": members})
    assert response.status_code == 303
    with app.app_context():
        theme = db.session.scalar(sa.select(Theme).where(Theme.name == "Byliv"))
        assert theme.description == "Sykler og bøker i sentrum."
    assert tags(app, consultation.id) == before  # no member tagged blindly
    # The members get proposals like any untagged comment.
    proposed = moderator.get(f"/moderering/hoeringer/{consultation.slug}/foreslatte-temaer").get_data(as_text=True)
    assert {int(c) for c in members} & {c for c, _, _ in proposals(proposed)}


def test_keeping_a_discovered_group_with_tag_all_tags_the_ticked_members(hearing, browser_for, app):
    consultation, ids, themes, _ = hearing
    moderator = browser_for("moderator")
    url = f"/moderering/hoeringer/{consultation.slug}/temaforslag"
    number, members = suggestion_form(moderator.get(url).get_data(as_text=True))
    response = moderator.submit(url, data={
        f"proposal-{number}-accept": "1", f"proposal-{number}-name": "Byliv", f"proposal-{number}-tag": "1",
        f"proposal-{number}-comment": members[:-1]})
    assert response.status_code == 303
    found = provenance(app, consultation.id)
    with app.app_context():
        theme_id = db.session.scalar(sa.select(Theme.id).where(Theme.name == "Byliv"))
    assert {int(c) for c in members[:-1]} <= {c for c, (t, _, _) in found.items() if t == theme_id}
    assert all(found[int(c)][1] == "discovered" for c in members[:-1])
    assert int(members[-1]) not in found or found[int(members[-1])][0] != theme_id


def test_proposals_follow_the_themes(hearing, browser_for, app):
    """Renaming a theme and untagging its example raise the content version: the proposals
    are made again, and library comments are far less sure to be about "Skatt"."""
    consultation, ids, themes, _ = hearing
    moderator = browser_for("moderator")
    url = f"/moderering/hoeringer/{consultation.slug}/foreslatte-temaer"
    library = {ids[t] for t in LIBRARY}

    def library_confidence(html):
        return sum(p for c, t, p in proposals(html) if c in library and t == themes["library"])

    before = library_confidence(moderator.get(url).get_data(as_text=True))
    response = moderator.submit(f"/moderering/temaer/{themes['library']}",
                                data={"name": "Skatt", "description": "Eiendomsskatt og avgifter."})
    assert response.status_code == 303
    untag = moderator.submit(url, "/moderering/temaer/merk", data={
        "theme": str(themes["library"]), "comment": str(ids[LIBRARY[0]]), "remove": "1", "back": url})
    assert untag.status_code == 303
    page = moderator.get(url).get_data(as_text=True)
    assert ">Skatt</strong>" in page and ">Biblioteket</strong>" not in page
    assert library_confidence(page) < before


def test_no_themes_no_proposals(make_consultation, make_user, make_comment, browser_for):
    consultation = make_consultation()
    make_comment(consultation, make_user(), "Sykkelvei, takk.")
    page = browser_for("moderator").get(f"/moderering/hoeringer/{consultation.slug}/foreslatte-temaer")
    assert page.status_code == 200
    assert "Skriv temaene først" in page.get_data(as_text=True)


def test_the_lexical_fallback_serves_both_pages(hearing, browser_for, app, monkeypatch):
    monkeypatch.setitem(app.config, "EMBEDDING_METHOD", "lexical")
    consultation, ids, themes, _ = hearing
    moderator = browser_for("moderator")
    page = moderator.get(f"/moderering/hoeringer/{consultation.slug}/foreslatte-temaer")
    assert page.status_code == 200 and proposals(page.get_data(as_text=True))
    discover = moderator.get(f"/moderering/hoeringer/{consultation.slug}/temaforslag")
    assert discover.status_code == 200 and "Nøkkelfraser:" in discover.get_data(as_text=True)
    with app.app_context():
        assert set(db.session.scalars(sa.select(CommentVector.method))) == {"char-ngrams-hashed-v1"}


STOP_FIXTURES = {
    "nb": ["Det er viktig at vi får en ny skole i sentrum.", "Jeg synes at det bør bygges en ny skole.",
           "Vi har for lite plass på den gamle skolen.", "Barna våre trenger en skole med gymsal.",
           "Det må bli flere lærere på skolen.", "Skolen bør ha en større skolegård.",
           "Og så må det bli flere busser til skolen om morgenen."],
    "en": ["It is important that we get a new school in the centre.", "I think that the school should be rebuilt.",
           "There is not enough room at the old school.", "Our children need a school with a gym.",
           "There should be more teachers at the school.", "The school should have a bigger playground.",
           "And there must be more buses to the school in the morning."],
    "de": ["Es ist wichtig, dass wir eine neue Schule im Zentrum bekommen.", "Ich denke, die Schule sollte neu gebaut werden.",
           "In der alten Schule gibt es nicht genug Platz.", "Unsere Kinder brauchen eine Schule mit einer Turnhalle.",
           "Es sollte mehr Lehrer an der Schule geben.", "Die Schule sollte einen größeren Schulhof haben.",
           "Und es muss morgens mehr Busse zur Schule geben."],
    "zh-Hant": ["我們希望在市中心有一所新的學校。", "我認為這所學校應該重建。", "舊的學校沒有足夠的空間。",
                "我們的孩子需要一所有體育館的學校。", "學校應該有更多的老師。", "學校應該有一個更大的操場。",
                "而且早上去學校的公車要更多。"],
}


@pytest.mark.parametrize("language", sorted(STOP_FIXTURES))
def test_discovered_names_are_never_stop_words(language, make_consultation, make_user, make_comment, browser_for):
    consultation = make_consultation(language=language, title="Skole")
    citizen = make_user()
    for text in STOP_FIXTURES[language]:
        make_comment(consultation, citizen, text)
    page = browser_for("moderator").get(f"/moderering/hoeringer/{consultation.slug}/temaforslag")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    found = [phrase for line in re.findall(r'Nøkkelfraser:\s*<span lang="[^"]+">([^<]*)</span>', html)
             for phrase in line.split(" · ") if phrase]
    assert found
    stops = stop_words(language)
    for phrase in found:
        parts = phrase.split(" ")
        assert not is_stop_word(fold(parts[0]), stops) and not is_stop_word(fold(parts[-1]), stops), phrase
    names = re.findall(r'name="proposal-\d+-name"[^>]*value="([^"]*)"', html)
    assert names and all(not is_stop_word(fold(name), stops) for name in names)


def test_phrases_never_start_or_end_with_a_stop_word_in_any_language():
    assert phrases("Det er viktig at vi får en ny skole i sentrum.", "nb") == [
        "skole", "skole i sentrum", "sentrum"] or "skole" in phrases("Det er viktig at vi får en ny skole.", "nb")
    assert "und" not in phrases("Busse und Bahnen", "de") and "busse und bahnen" in phrases("Busse und Bahnen", "de")
    chinese = phrases("我們的孩子需要一所有體育館的學校。", "zh-Hant")
    assert chinese and not {"我們", "的", "需要", "我們的"} & set(chinese)
    assert all(not is_stop_word(fold(p), stop_words("zh")) for p in chinese)
    assert phrases("The the and of to", "en") == []


def test_the_silhouette_is_scikit_learns_without_importing_it():
    """The clustering picks its number of groups by this silhouette; it must agree with
    scikit-learn's, which it replaced to spare the import (docs/PERFORMANCE.md)."""
    import numpy as np
    from sklearn.metrics import pairwise_distances, silhouette_score

    from hoering.summaries.meaning import cosine_distances, silhouette

    rng = np.random.default_rng(7)
    for n, k in [(40, 2), (300, 9), (12, 11)]:
        matrix = rng.normal(size=(n, 24))
        labels = np.concatenate([np.arange(k), rng.integers(0, k, n - k)])
        expected = pairwise_distances(matrix, metric="cosine")
        assert np.allclose(cosine_distances(matrix), expected, atol=1e-12)
        assert silhouette(cosine_distances(matrix), labels) == pytest.approx(
            silhouette_score(expected, labels, metric="precomputed"), abs=1e-9)
