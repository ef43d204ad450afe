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
from hoering.summaries.models import (
    CommentTheme,
    CommentVector,
    DeclinedProposal,
    ReadWithoutTheme,
    Theme,
    ThemeSeed,
)

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


def groups(html: str) -> list[tuple[int, list[tuple[int, int]]]]:
    """``[(theme id, [(comment id, confidence in per cent), …])]`` as the page lists them."""
    found = []
    for part in html.split('class="proposal-group"')[1:]:
        theme = int(re.search(r'name="group" value="(\d+)"', part).group(1))
        rows = re.findall(r'name="accept" value="(\d+)".*?<span class="confidence">(\d+) %</span>', part, re.S)
        found.append((theme, [(int(c), int(p)) for c, p in rows]))
    return found


def proposals(html: str) -> list[tuple[int, int, int]]:
    """``[(comment id, theme id, confidence in per cent)]`` in the page's order."""
    return [(c, t, p) for t, rows in groups(html) for c, p in rows]


def tags(app, consultation_id: int) -> dict[int, tuple[int, int | None]]:
    with app.app_context():
        return {c: (t, by) for c, t, by in db.session.execute(
            sa.select(CommentTheme.comment_id, CommentTheme.theme_id, CommentTheme.tagged_by_id)
            .join(Theme, Theme.id == CommentTheme.theme_id).where(Theme.consultation_id == consultation_id))}


def provenance(app, consultation_id: int) -> dict[int, tuple[int, str, float | None]]:
    with app.app_context():
        return {c: (t, source, confidence) for c, t, source, confidence in db.session.execute(
            sa.select(CommentTheme.comment_id, CommentTheme.theme_id, CommentTheme.source, CommentTheme.confidence)
            .join(Theme, Theme.id == CommentTheme.theme_id).where(Theme.consultation_id == consultation_id))}


def state(app, consultation_id: int):
    """Everything accepting proposals can change: tags, "read, no theme" marks, declines."""
    with app.app_context():
        return (tags(app, consultation_id), set(db.session.scalars(sa.select(ReadWithoutTheme.comment_id))),
                set(db.session.execute(sa.select(DeclinedProposal.comment_id, DeclinedProposal.theme_id)).all()))


def group_data(theme_id: int, rows: list[int], ticked: list[int] | None = None, **choices) -> dict:
    """A group's form as the page sends it (``theme_<comment id>=value`` in ``choices``)."""
    ticked = rows if ticked is None else ticked
    data = {"action": "group", "group": str(theme_id), "row": [str(c) for c in rows],
            "accept": [str(c) for c in ticked]}
    data.update({f"theme-{key.split('_')[1]}": str(value) for key, value in choices.items()})
    return data


def test_proposals_are_grouped_by_theme_largest_group_first_most_confident_first(hearing, browser_for, app):
    consultation, ids, themes, _ = hearing
    page = browser_for("moderator").get(f"/moderering/hoeringer/{consultation.slug}/foreslatte-temaer")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    found = groups(html)
    assert found and [len(rows) for _, rows in found] == sorted((len(rows) for _, rows in found), reverse=True)
    for _, rows in found:
        assert [p for _, p in rows] == sorted((p for _, p in rows), reverse=True)
        assert all(50 <= p <= 100 for _, p in rows)
    rows = proposals(html)
    expected = {ids[t]: themes["cycling"] for t in CYCLING[1:]} | {ids[t]: themes["library"] for t in LIBRARY[1:]}
    right = sum(expected[c] == t for c, t, _ in rows)
    assert right >= 0.75 * len(expected) and right >= len(rows) - 1
    assert ids[CYCLING[0]] not in {c for c, _, _ in rows}  # tagged comments get no proposal
    # Each row: its number linking to it, a ticked box, a theme select with "read, no theme".
    first = rows[0][0]
    assert re.search(rf'<a href="[^"]*{first}[^"]*">#{first}</a>', html)
    assert re.search(rf'name="accept" value="{first}" id="accept-{first}" class="proposal-tick" checked', html)
    select = html.split(f'name="theme-{first}"')[1].split("</select>")[0]
    assert f'value="{themes["library"]}"' in select and f'value="{themes["cycling"]}"' in select
    assert 'value="read"' in select and "Lest, uten tema" in select
    assert "Godta gruppen" in html


def test_a_group_tags_changes_marks_and_declines_as_each_row_says(hearing, browser_for, app):
    consultation, ids, themes, _ = hearing
    moderator = browser_for("moderator")
    url = f"/moderering/hoeringer/{consultation.slug}/foreslatte-temaer"
    theme_id, rows = groups(moderator.get(url).get_data(as_text=True))[0]
    assert len(rows) >= 4
    (kept, confidence), (changed, _), (read, _), (unticked, _) = rows[:4]
    other = themes["library"] if theme_id == themes["cycling"] else themes["cycling"]
    response = moderator.submit(url, data=group_data(
        theme_id, [c for c, _ in rows], [c for c, _ in rows if c != unticked],
        **{f"theme_{changed}": other, f"theme_{read}": "read"}))
    assert response.status_code == 303
    found = provenance(app, consultation.id)
    assert found[kept] == (theme_id, "proposal", pytest.approx(confidence / 100, abs=0.01))
    assert found[changed] == (other, "manual", None)
    assert read not in found and unticked not in found
    tagged, marked, declined = state(app, consultation.id)
    assert marked == {read}
    assert (unticked, theme_id) in declined and (kept, theme_id) not in declined
    assert tagged[kept][1] == moderator.user.id  # who tagged is recorded as with any tagging
    after = {c: t for c, t, _ in proposals(moderator.get(url).get_data(as_text=True))}
    assert after.get(unticked) != theme_id  # the declined theme is never proposed for it again
    assert read not in after  # read, no theme: analysed, no proposal


def test_a_declined_proposal_gives_way_to_the_next_best_theme(hearing, browser_for, app):
    consultation, ids, themes, _ = hearing
    moderator = browser_for("moderator")
    url = f"/moderering/hoeringer/{consultation.slug}/foreslatte-temaer"
    rows = proposals(moderator.get(url).get_data(as_text=True))
    unticked, theme_id, confidence = min(rows, key=lambda row: row[2])
    assert confidence <= 95  # the other theme had a share of at least 5 %
    response = moderator.submit(url, data=group_data(theme_id, [unticked], []))
    assert response.status_code == 303
    after = {c: t for c, t, _ in proposals(moderator.get(url).get_data(as_text=True))}
    # Two themes: with one declined, the other is the next best (its share renormalised).
    other = themes["library"] if theme_id == themes["cycling"] else themes["cycling"]
    assert after[unticked] == other
    sure = next(c for c, t, p in rows if p >= 99 and c != unticked)  # the other theme had under 5 %
    declined = moderator.submit(url, data=group_data(dict((c, t) for c, t, _ in rows)[sure], [sure], []))
    assert declined.status_code == 303
    assert sure not in {c for c, _, _ in proposals(moderator.get(url).get_data(as_text=True))}
    assert unticked not in tags(app, consultation.id)
    again = moderator.submit(url, data=group_data(other, [unticked], []))
    assert again.status_code == 303
    assert unticked not in {c for c, _, _ in proposals(moderator.get(url).get_data(as_text=True))}


def test_comments_read_without_a_theme_get_no_proposal(hearing, browser_for, app):
    consultation, ids, themes, _ = hearing
    moderator = browser_for("moderator")
    url = f"/moderering/hoeringer/{consultation.slug}/foreslatte-temaer"
    comment_id = proposals(moderator.get(url).get_data(as_text=True))[0][0]
    marked = moderator.submit(f"/moderering/hoeringer/{consultation.slug}/temaer",
                              f"/moderering/hoeringer/{consultation.slug}/lest-uten-tema",
                              data={"comment": str(comment_id)})
    assert marked.status_code == 303
    assert comment_id not in {c for c, _, _ in proposals(moderator.get(url).get_data(as_text=True))}


def test_accept_all_above_asks_first_and_leaves_out_the_unticked(hearing, browser_for, app):
    consultation, ids, themes, _ = hearing
    moderator = browser_for("moderator")
    url = f"/moderering/hoeringer/{consultation.slug}/foreslatte-temaer"
    rows = proposals(moderator.get(url).get_data(as_text=True))
    excluded = rows[0][0]
    before = state(app, consultation.id)
    ask = moderator.submit(url, data={"action": "above", "above": "0", "exclude": [str(excluded)]})
    assert ask.status_code == 200
    html = ask.get_data(as_text=True)
    assert f"{len(rows) - 1} kommentarer får temaet sitt" in html
    assert f'name="exclude" value="{excluded}"' in html and 'name="confirm" value="1"' in html
    assert state(app, consultation.id) == before  # nothing yet
    done = moderator.submit(url, data={"action": "above", "above": "0", "exclude": [str(excluded)],
                                       "confirm": "1"})
    assert done.status_code == 303
    found = provenance(app, consultation.id)
    assert excluded not in found
    assert all(found[c][:2] == (t, "proposals_above") for c, t, _ in rows if c != excluded)


def test_accept_all_above_a_confidence_tags_only_those(hearing, browser_for, app):
    consultation, ids, themes, _ = hearing
    moderator = browser_for("moderator")
    url = f"/moderering/hoeringer/{consultation.slug}/foreslatte-temaer"
    rows = proposals(moderator.get(url).get_data(as_text=True))
    cutoff = sorted(p for _, _, p in rows)[len(rows) // 2]
    above = moderator.submit(url, data={"action": "above", "above": str(cutoff), "confirm": "1"})
    assert above.status_code == 303
    found = tags(app, consultation.id)
    assert all((c in found) == (p >= cutoff) for c, _, p in rows)


def test_groups_are_paged(hearing, browser_for, app, monkeypatch):
    from hoering.summaries import proposals as proposals_service

    monkeypatch.setattr(proposals_service, "PROPOSALS_PER_PAGE", 3)
    consultation, *_ = hearing
    moderator = browser_for("moderator")
    url = f"/moderering/hoeringer/{consultation.slug}/foreslatte-temaer"
    first = proposals(moderator.get(url).get_data(as_text=True))
    second = proposals(moderator.get(url + "?side=2").get_data(as_text=True))
    assert len(first) == 3 and second and not {c for c, _, _ in first} & {c for c, _, _ in second}
    assert "Side 1 av" in moderator.get(url).get_data(as_text=True)


@pytest.mark.parametrize("data, message", [
    ({"action": "above", "above": "150"}, "fra 0 til 100 prosent"),
    ({"action": "above", "above": "-1"}, "fra 0 til 100 prosent"),
    ({"action": "above", "above": "mye"}, "fra 0 til 100 prosent"),
    ({"action": "above", "above": "0", "exclude": ["tre"]}, "ble ikke forstått"),
    ({"action": "group", "group": "{foreign_theme}", "row": ["{comment}"], "accept": ["{comment}"]},
     "ikke noe tema med nummer"),
    ({"action": "group", "group": "{theme}", "row": ["{comment}"], "accept": ["{comment}"],
      "theme-{comment}": "{foreign_theme}"}, "ikke noe tema med nummer"),
    ({"action": "group", "group": "{theme}", "row": ["{comment}"], "accept": ["{comment}"],
      "theme-{comment}": "kanskje"}, "ble ikke forstått"),
    ({"action": "group", "group": "{theme}", "row": ["{comment}", "{foreign}"], "accept": ["{comment}"]},
     "Ikke publiserte kommentarer i denne høringen: #{foreign}"),
    ({"action": "group", "group": "{theme}", "row": ["{comment}"], "accept": ["{comment}", "{other}"]},
     "ble ikke forstått"),
    ({"action": "group", "group": "{theme}", "row": ["{comment}", "12-tre"], "accept": ["{comment}"]},
     "ble ikke forstått"),
    ({"action": "group", "group": "{theme}"}, "ble ikke forstått"),
])
def test_bad_input_is_refused_and_nothing_is_applied(hearing, browser_for, app, data, message):
    consultation, ids, themes, foreign = hearing
    values = {"comment": ids[CYCLING[2]], "other": ids[CYCLING[3]], "theme": themes["cycling"],
              "foreign_theme": themes["foreign"], "foreign": foreign}

    def fill(value):
        return [fill(v) for v in value] if isinstance(value, list) else value.format(**values)

    before = state(app, consultation.id)
    url = f"/moderering/hoeringer/{consultation.slug}/foreslatte-temaer"
    response = browser_for("moderator").submit(url, data={fill(k): fill(v) for k, v in data.items()})
    assert response.status_code == 422
    assert message.format(**values) in response.get_data(as_text=True)
    assert state(app, consultation.id) == before


def test_a_confidence_above_every_proposal_says_so(hearing, browser_for, app):
    consultation, *_ = hearing
    url = f"/moderering/hoeringer/{consultation.slug}/foreslatte-temaer"
    response = browser_for("moderator").submit(url, data={"action": "above", "above": "100"})
    html = response.get_data(as_text=True)
    assert response.status_code in (200, 422)
    if response.status_code == 422:
        assert "Ingen forslag har en sikkerhet på 100 % eller mer." in html


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
    assert re.search(rf"Merk også (alle (de )?)?{len(members)} kommentar", page)
    before = tags(app, consultation.id)
    response = moderator.submit(url, data={
        f"proposal-{number}-accept": "1", f"proposal-{number}-name": "Byliv",
        f"proposal-{number}-description": "Sykler og bøker i sentrum.", f"proposal-{number}-comment": members})
    assert response.status_code == 303
    with app.app_context():
        theme = db.session.scalar(sa.select(Theme).where(Theme.name == "Byliv"))
        assert theme.description == "Sykler og bøker i sentrum."
        theme_id = theme.id
    assert tags(app, consultation.id) == before  # no member tagged blindly
    # The members get proposals like any untagged comment (the new theme among them).
    proposed = moderator.get(f"/moderering/hoeringer/{consultation.slug}/foreslatte-temaer").get_data(as_text=True)
    assert {int(c) for c in members} & {c for c, _, _ in proposals(proposed)}
    assert f'<option value="{theme_id}"' in proposed


def test_a_kept_group_s_comments_are_its_theme_s_first_examples(hearing, browser_for, app):
    """Kept without tagging, the group's ticked comments are the new theme's seeds: its
    prototype reflects the group, not only a name that may say little."""
    from hoering.consultations import versions

    consultation, ids, themes, _ = hearing
    with app.app_context():  # only the cycling theme: the library comments are a group of their own
        db.session.execute(sa.delete(CommentTheme).where(CommentTheme.theme_id == themes["library"]))
        db.session.execute(sa.delete(Theme).where(Theme.id == themes["library"]))
        versions.bump(consultation_ids=[consultation.id])
        db.session.commit()
    moderator = browser_for("moderator")
    url = f"/moderering/hoeringer/{consultation.slug}/temaforslag"
    page = moderator.get(url).get_data(as_text=True)
    found = re.findall(r'name="proposal-(\d+)-comment" value="(\d+)"', page)
    library = {ids[t] for t in LIBRARY}
    number = next(n for n, c in found if int(c) in library)
    members = [c for n, c in found if n == number]
    response = moderator.submit(url, data={
        f"proposal-{number}-accept": "1", f"proposal-{number}-name": "Gruppe A",
        f"proposal-{number}-comment": members})
    assert response.status_code == 303
    with app.app_context():
        theme_id = db.session.scalar(sa.select(Theme.id).where(Theme.name == "Gruppe A"))
        assert set(db.session.scalars(sa.select(ThemeSeed.comment_id).where(ThemeSeed.theme_id == theme_id))) == {
            int(c) for c in members}

    def confidence_of_the_group():
        rows = proposals(moderator.get(f"/moderering/hoeringer/{consultation.slug}/foreslatte-temaer")
                         .get_data(as_text=True))
        return sum(p for c, t, p in rows if t == theme_id and str(c) in members)

    seeded = confidence_of_the_group()
    with app.app_context():  # the same theme without its seeds: the name alone
        db.session.execute(sa.delete(ThemeSeed))
        versions.bump(consultation_ids=[consultation.id])
        db.session.commit()
    assert seeded > confidence_of_the_group()


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
    assert re.search(r'<h2 id="group-\d+">Skatt ', page) and not re.search(r'<h2 id="group-\d+">Biblioteket ', page)
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


def without_proposal(html: str) -> list[tuple[int, str]]:
    """``[(comment id, the value chosen in its row)]`` of the group "Uten forslag"."""
    if 'class="proposal-group proposal-group-without"' not in html:
        return []
    part = html.split('class="proposal-group proposal-group-without"')[1].split("</form>")[0]
    return [(int(c), re.search(r'<option value="([^"]+)"[^>]* selected>', rest).group(1))
            for c, rest in re.findall(r'name="accept" value="(\d+)"(.*?)</select>', part, re.S)]


def test_comments_without_a_proposal_are_read_in_a_group_of_their_own(hearing, browser_for, app, make_user,
                                                                     make_comment, monkeypatch):
    """The comments no theme is close enough to come last, each set to "read, no theme":
    accepting marks them read, a theme chosen in a row tags the comment as the moderator's
    own choice, an unticked one waits; nothing is declined."""
    consultation, ids, themes, foreign = hearing
    citizen = make_user()
    far = [make_comment(consultation, citizen, text).id for text in (
        "Kommunen bør kjøpe en ny brannbil.", "Gatelysene i Storgata er for svake.", "Søppeltømmingen er for sjelden.")]
    from hoering.summaries import suggestions
    real = suggestions.proposed_themes
    monkeypatch.setattr(suggestions, "proposed_themes",
                        lambda consultation: {c: p for c, p in real(consultation).items() if c not in far})
    moderator = browser_for("moderator")
    url = f"/moderering/hoeringer/{consultation.slug}/foreslatte-temaer"
    html = moderator.get(url).get_data(as_text=True)
    assert "Uten forslag" in html
    assert without_proposal(html) == [(c, "read") for c in far]
    assert html.index('class="proposal-group proposal-group-without"') > html.rindex('class="proposal-group"')

    refused = moderator.submit(url, data={"action": "group", "group": "ingen", "row": [str(far[0]), str(foreign)],
                                          "accept": [str(far[0]), str(foreign)]})
    assert refused.status_code == 422 and far[0] not in state(app, consultation.id)[1]

    response = moderator.submit(url, data={
        "action": "group", "group": "ingen", "row": [str(c) for c in far], "accept": [str(far[0]), str(far[1])],
        f"theme-{far[0]}": "read", f"theme-{far[1]}": str(themes["cycling"])})
    assert response.status_code == 303
    found = provenance(app, consultation.id)
    assert found[far[1]] == (themes["cycling"], "manual", None)
    tagged, marked, declined = state(app, consultation.id)
    assert far[0] in marked and far[0] not in tagged and far[2] not in tagged and far[2] not in marked
    assert not any(c in far for c, _ in declined)
    assert [c for c, _ in without_proposal(moderator.get(url).get_data(as_text=True))] == [far[2]]
