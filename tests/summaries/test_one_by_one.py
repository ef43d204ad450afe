"""The one-at-a-time view as the fast path of the analysis, through HTTP: a key for every
theme (largest first), the theme proposed for the comment and accepting it (recorded as an
accepted proposal with its confidence), the order that groups comments by proposed theme
(with skips kept in the address), and the page when proposals cannot be computed in time."""

from __future__ import annotations

import datetime as dt
import re
from urllib.parse import parse_qs, urlsplit

import pytest
import sqlalchemy as sa

from hoering import isolation
from hoering.extensions import db
from hoering.summaries import suggestions
from hoering.summaries.models import CommentTheme, Theme
from tests.summaries.test_coding import act, comments, one, shown, theme_buttons
from tests.summaries.test_themes_by_meaning import CYCLING, LIBRARY, hearing  # noqa: F401 (a fixture)


def make_themes(app, consultation, names: list[str]) -> dict[str, int]:
    with app.app_context():
        themes = [Theme(consultation_id=consultation.id, name=name) for name in names]
        db.session.add_all(themes)
        db.session.commit()
        return {theme.name: theme.id for theme in themes}


def tag_directly(app, theme_id: int, comment_ids) -> None:
    with app.app_context():
        db.session.add_all([CommentTheme(comment_id=c, theme_id=theme_id) for c in comment_ids])
        db.session.commit()


def tag_rows(app, comment_id: int) -> list[tuple[int, str, float | None]]:
    with app.app_context():
        return list(db.session.execute(sa.select(CommentTheme.theme_id, CommentTheme.source, CommentTheme.confidence)
                                       .where(CommentTheme.comment_id == comment_id)).all())


def query(location: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(location).query)


def test_every_one_of_fifteen_themes_has_a_key_largest_first(browser_for, make_consultation, make_user, make_comment,
                                                             app):
    consultation = make_consultation()
    moderator = browser_for("moderator")
    made = comments(make_comment, consultation, make_user(), 30)
    names = [f"Tema {chr(ord('A') + i)}" for i in range(15)]
    themes = make_themes(app, consultation, names)
    # Tema O (the last by name) is the largest, Tema N next; the others tie (by name).
    tag_directly(app, themes["Tema O"], [c.id for c in made[:5]])
    tag_directly(app, themes["Tema N"], [c.id for c in made[5:8]])
    tag_directly(app, themes["Tema B"], [made[8].id])
    tag_directly(app, themes["Tema C"], [made[9].id])

    page = one(moderator, consultation)
    buttons = theme_buttons(page)
    assert [name for _, name in buttons] == ["Tema O", "Tema N", "Tema B", "Tema C", "Tema A", *names[3:13]]
    assert [key for key, _ in buttons] == [*"123456789", *"abcdef"]
    assert not {"j", "l", "n", "s"} & {key for key, _ in buttons}  # the page's other keys stay theirs
    assert 'aria-keyshortcuts="f"' in page and '<span class="visually-hidden">, hurtigtast f</span>' in page
    assert "1–9, a–f: merk med temaet som har tasten på knappen sin" in page


def test_the_proposed_theme_is_shown_and_accepting_it_records_its_source_and_confidence(
        hearing, browser_for, app):  # noqa: F811
    consultation, ids, themes, _ = hearing
    moderator = browser_for("moderator")
    proposals = suggestions_for(app, consultation)
    comment_id, (theme_id, confidence) = max(proposals.items(), key=lambda item: item[1][1])
    name = "Sykkel" if theme_id == themes["cycling"] else "Biblioteket"

    page = one(moderator, consultation, kommentar=comment_id)
    percent = int(confidence * 100)
    assert re.search(rf'Forslag:</span> <strong>{name}</strong> <span class="confidence">\({percent} %\)', page)
    assert 'data-key="j" aria-keyshortcuts="Enter j"' in page and "Godta forslaget" in page
    proposed = re.findall(r'class="button button-secondary theme-button is-proposed" name="theme" value="(\d+)"', page)
    assert proposed == [str(theme_id)] and "(foreslått)" in page  # marked in words, not by colour alone

    response = act(moderator, consultation, comment_id, action="accept", theme=str(theme_id))
    assert response.status_code == 303
    assert "kommentar" not in query(response.headers["Location"])  # on to the next comment
    assert tag_rows(app, comment_id) == [(theme_id, "proposal", pytest.approx(confidence))]
    page = moderator.get(response.headers["Location"]).get_data(as_text=True)
    assert f"Kommentar #{comment_id} er merket med «{name}»." in page and shown(page) != comment_id

    # Another theme than the proposal: tagged by hand, no confidence.
    other_id, (proposed_theme, _) = next(item for item in suggestions_for(app, consultation).items())
    chosen = next(t for t in (themes["cycling"], themes["library"]) if t != proposed_theme)
    act(moderator, consultation, other_id, action="tag", theme=str(chosen))
    assert tag_rows(app, other_id) == [(chosen, "manual", None)]


def suggestions_for(app, consultation) -> dict[int, tuple[int, float]]:
    with app.test_request_context():
        return suggestions.proposed_themes(db.session.merge(consultation))


def test_accepting_refuses_a_theme_of_another_consultation(hearing, browser_for, app):  # noqa: F811
    consultation, ids, themes, _ = hearing
    moderator = browser_for("moderator")
    comment_id = ids[CYCLING[1]]
    response = act(moderator, consultation, comment_id, action="accept", theme=str(themes["foreign"]))
    assert response.status_code == 303
    assert "Velg et tema" in moderator.get(response.headers["Location"]).get_data(as_text=True)
    assert tag_rows(app, comment_id) == []


@pytest.fixture
def grouped(make_consultation, make_user, make_comment, app, monkeypatch):
    """Seven comments a minute apart (``c[0]`` tagged with B) and fixed proposals: A is
    proposed for c5 (90 %), c6 (70 %) and c2 (60 %), B for c3 (95 %); c1 and c4 have none.
    Sizes: A 0 + 3, B 1 + 1."""
    consultation = make_consultation()
    c = comments(make_comment, consultation, make_user(), 7)
    themes = make_themes(app, consultation, ["A", "B"])
    tag_directly(app, themes["B"], [c[0].id])
    fixed = {c[5].id: (themes["A"], 0.9), c[6].id: (themes["A"], 0.7), c[2].id: (themes["A"], 0.6),
             c[3].id: (themes["B"], 0.95)}
    calls = []

    def proposed_themes(consultation):
        calls.append(consultation.id)
        return dict(fixed)

    monkeypatch.setattr(suggestions, "proposed_themes", proposed_themes)
    return consultation, [comment.id for comment in c], themes, calls


def test_like_comments_come_together_by_proposed_theme(grouped, browser_for, app):
    consultation, c, themes, calls = grouped
    moderator = browser_for("moderator")
    # The default order is still oldest first.
    assert shown(one(moderator, consultation)) == c[1]

    page = one(moderator, consultation, rekkefolge="forslag")
    assert shown(page) == c[5]
    assert len(calls) == 2  # the proposals are read once a request
    assert '<input type="hidden" name="rekkefolge" value="forslag">' in page
    skip = re.search(r'<a class="button button-secondary" href="([^"]+)" data-key="s"', page).group(1)
    assert query(skip.replace("&amp;", "&")) == {"rekkefolge": ["forslag"], "hoppet": [str(c[5])]}

    # Skip c5: the next of the same theme, then accepting goes on and keeps the skip.
    page = moderator.get(skip.replace("&amp;", "&")).get_data(as_text=True)
    assert shown(page) == c[6]
    response = act(moderator, consultation, c[6], action="accept", theme=str(themes["A"]), rekkefolge="forslag",
                   hoppet=str(c[5]))
    assert query(response.headers["Location"]) == {"rekkefolge": ["forslag"], "hoppet": [str(c[5])]}
    assert tag_rows(app, c[6]) == [(themes["A"], "proposal", pytest.approx(0.7))]
    assert shown(moderator.get(response.headers["Location"]).get_data(as_text=True)) == c[2]
    # Read, no theme; then the smaller group, then those without a proposal, oldest first.
    response = act(moderator, consultation, c[2], action="read", rekkefolge="forslag", hoppet=str(c[5]))
    location = response.headers["Location"]
    assert shown(moderator.get(location).get_data(as_text=True)) == c[3]
    act(moderator, consultation, c[3], action="tag", theme=str(themes["B"]), rekkefolge="forslag")
    assert shown(one(moderator, consultation, rekkefolge="forslag", hoppet=c[5])) == c[1]
    assert shown(one(moderator, consultation, rekkefolge="forslag", hoppet=f"{c[5]},{c[1]}")) == c[4]
    # Everything left skipped: says so, and starts again from the first of the order.
    page = one(moderator, consultation, rekkefolge="forslag", hoppet=f"{c[5]},{c[1]},{c[4]}")
    assert shown(page) is None and "3 hoppet over" in page
    assert f'href="/moderering/hoeringer/{consultation.slug}/en-og-en?rekkefolge=forslag" data-key="n"' in page
    assert shown(one(moderator, consultation, rekkefolge="forslag")) == c[5]
    # Unreadable skips are left out, not an error.
    assert shown(one(moderator, consultation, rekkefolge="forslag", hoppet="x,,-3")) == c[5]


@pytest.mark.parametrize("error", [isolation.Overran(25), isolation.ChildFailed("the child died", "")])
def test_without_proposals_in_time_the_page_says_so_and_works(grouped, browser_for, app, monkeypatch, error):
    consultation, c, themes, _ = grouped

    def overran(consultation):
        raise error

    monkeypatch.setattr(suggestions, "proposed_themes", overran)
    moderator = browser_for("moderator")
    for args in ({}, {"rekkefolge": "forslag"}):
        page = one(moderator, consultation, **args)
        assert "Foreslåtte temaer kunne ikke beregnes i tide" in page
        assert "Forslag:" not in page and 'data-key="j"' not in page
        assert shown(page) == c[1]  # oldest first
    # Accepting still tags (by hand: no confidence can be read).
    response = act(moderator, consultation, c[1], action="accept", theme=str(themes["A"]))
    assert response.status_code == 303
    assert tag_rows(app, c[1]) == [(themes["A"], "manual", None)]


def test_the_order_by_proposal_reads_a_constant_number_of_queries(grouped, browser_for, make_comment, make_user,
                                                                  count_queries):
    consultation, c, themes, _ = grouped
    moderator = browser_for("moderator")
    with count_queries() as few:
        one(moderator, consultation, rekkefolge="forslag")
    comments(make_comment, consultation, make_user(), 40, start=dt.datetime(2020, 1, 1, tzinfo=dt.UTC))
    with count_queries() as many:
        one(moderator, consultation, rekkefolge="forslag")
    assert many.count == few.count


def test_after_a_tag_the_proposals_are_computed_again_without_embedding_the_themes(
        hearing, browser_for, app, monkeypatch):  # noqa: F811
    from hoering.summaries import vectors

    consultation, ids, themes, _ = hearing
    moderator = browser_for("moderator")
    assert "Forslag:" in one(moderator, consultation)  # the themes' vectors are made once
    act(moderator, consultation, ids[CYCLING[1]], action="tag", theme=str(themes["cycling"]))
    with app.app_context():
        real = vectors.current_embedder()

    class Refusing:
        name, dimensions = real.name, real.dimensions

        def embed(self, texts):
            raise AssertionError(f"embedded again: {texts}")

    # The child is forked from this process, so it sees the refusing embedder too.
    monkeypatch.setattr(vectors, "current_embedder", Refusing)
    page = one(moderator, consultation, kommentar=ids[LIBRARY[1]])
    assert "Forslag:" in page
