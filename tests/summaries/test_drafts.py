"""Drafting help: a theme's draft holds only its comments' counts, quotes and contested
points, every sentence citing comment numbers; quotes are the most representative by
meaning, not the most supported; the moderator puts it into the summary."""

from __future__ import annotations

import re

import sqlalchemy as sa

from hoering.extensions import db
from hoering.summaries.models import Summary, SummaryQuote, SummarySection
from tests.summaries.test_themes_and_summary import create_theme, tag, theme_id


def _theme(app, browser_for, make_consultation, make_user, make_comment):
    consultation = make_consultation(title="Kollektivtilbud", status="closed")
    ann, bob, eva = make_user(name="Ann"), make_user(name="Bob"), make_user(name="Eva")
    comments = {
        # The most supported is the odd one out: a seed statement everyone voted on.
        "seed": make_comment(consultation, ann, "Kommunen bør bruke mer penger på kultur og idrett.",
                             support_count=900, disagree_count=20),
        "evening": make_comment(consultation, bob, "Bussen går altfor sjelden om kvelden.", support_count=4),
        "late": make_comment(consultation, eva, "Det må gå flere busser sent på kvelden.", support_count=2),
        "night": make_comment(consultation, ann, "Kveldsbussene er for få, særlig i helgene.", support_count=1),
        "split": make_comment(consultation, bob, "Bussene bør være gratis for alle.", support_count=300,
                              disagree_count=250),
    }
    moderator = browser_for("moderator")
    create_theme(moderator, consultation, "Kveldsbuss")
    theme = theme_id(app, "Kveldsbuss")
    tag(moderator, theme, [c.id for c in comments.values()])
    return consultation, theme, comments, moderator


def _draft_text(page: str) -> str:
    import html

    return html.unescape(re.search(r'<textarea[^>]*name="text"[^>]*>(.*?)</textarea>', page, re.S).group(1)).strip()


def test_the_draft_counts_quotes_by_meaning_and_names_the_contested(app, browser_for, make_consultation, make_user,
                                                                   make_comment):
    consultation, theme, comments, moderator = _theme(app, browser_for, make_consultation, make_user, make_comment)
    response = moderator.get(f"/moderering/temaer/{theme}/utkast")
    assert response.status_code == 200
    draft = _draft_text(response.get_data(as_text=True))
    ids = {name: comment.id for name, comment in comments.items()}

    assert draft.startswith("5 kommentarer fra 3 personer er merket med dette temaet")
    assert "Stemmer på dem: 1\xa0207 enig, 270 uenig" in draft.splitlines()[0]
    page = response.get_data(as_text=True)
    listed = page.split('id="representative-heading"')[1].split("</ol>")[0]
    quotes = [int(i) for i in re.findall(r">#(\d+)</a>", listed)]
    # The quotes are the evening-bus comments, the seed statement (900 supports) is not quoted first.
    assert quotes and quotes[0] != ids["seed"]
    assert {ids["evening"], ids["late"], ids["night"]} & set(quotes)
    # Quoted once, under the text (the summary's quotes), not again inside it.
    assert not [line for line in draft.splitlines() if line.startswith("> ")]
    assert "er sitert under denne teksten (" + ", ".join(f"#{i}" for i in quotes) + ")" in draft
    assert f"«Bussene bør være gratis for alle.» (#{ids['split']}): omstridt: 300 enig, 250 uenig" in draft
    # Every line that says something cites the comments it rests on.
    for line in filter(None, draft.splitlines()):
        assert re.search(r"#\d+", line), line
    # Nothing the citizens did not write: every quoted text is a comment, word for word.
    texts = {c.body_text for c in comments.values()}
    for quoted in re.findall(r"«(.*?)»", draft):
        assert quoted in texts


def test_the_draft_goes_into_the_summary_and_replaces_a_text_only_when_asked(
        app, browser_for, make_consultation, make_user, make_comment):
    consultation, theme, comments, moderator = _theme(app, browser_for, make_consultation, make_user, make_comment)
    url = f"/moderering/temaer/{theme}/utkast"
    page = moderator.get(url).get_data(as_text=True)
    version = re.search(r'name="version" value="([^"]*)"', page).group(1)
    edited = _draft_text(page) + "\n\nRedigert av moderator."
    quote = comments["evening"].id
    response = moderator.submit(url, data={"text": edited, "quotes": f"#{quote}", "version": version})
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/moderering/hoeringer/{consultation.slug}/oppsummering#theme-{theme}")
    with app.app_context():
        section = db.session.scalar(sa.select(SummarySection).where(SummarySection.theme_id == theme))
        assert section.text_markdown.endswith("Redigert av moderator.")
        assert [q.comment_id for q in db.session.scalars(sa.select(SummaryQuote))] == [quote]
        assert db.session.scalar(sa.select(Summary.published_at)) is None  # still a draft

    # A second draft does not overwrite the text unless "replace" is ticked; nothing typed is lost.
    page = moderator.get(url).get_data(as_text=True)
    version = re.search(r'name="version" value="([^"]*)"', page).group(1)
    refused = moderator.submit(url, data={"text": "Ny tekst", "quotes": "", "version": version})
    assert refused.status_code == 422
    body = refused.get_data(as_text=True)
    assert "Kryss av for «Erstatt»" in body and "Ny tekst" in body
    assert moderator.submit(url, data={"text": "Ny tekst", "quotes": "", "replace": "y",
                                       "version": version}).status_code == 303
    with app.app_context():
        assert db.session.scalar(sa.select(SummarySection.text_markdown)) == "Ny tekst"

    # Quotes must be published comments of the consultation.
    bad = moderator.submit(url, data={"text": "X", "quotes": "999999", "replace": "y", "version": version})
    assert bad.status_code in (409, 422)
    assert moderator.submit(url, data={"text": "X", "quotes": "abc", "replace": "y",
                                       "version": version}).status_code == 422


def test_quote_candidates_in_the_summary_form_come_most_representative_first(
        app, browser_for, make_consultation, make_user, make_comment):
    consultation, theme, comments, moderator = _theme(app, browser_for, make_consultation, make_user, make_comment)
    page = moderator.get(f"/moderering/hoeringer/{consultation.slug}/oppsummering").get_data(as_text=True)
    order = [int(i) for i in re.findall(rf'id="quote-{theme}-(\d+)"', page)]
    assert sorted(order) == sorted(c.id for c in comments.values())
    assert order[0] != comments["seed"].id and order[-1] in (comments["seed"].id, comments["split"].id)
    assert f'href="/moderering/temaer/{theme}/utkast"' in page


def test_a_draft_without_the_ranking_yet_still_counts_and_cites(app, browser_for, make_consultation, make_user,
                                                              make_comment, monkeypatch):
    """On a large consultation whose vectors are not made yet, ranking runs out of time: the
    pages still answer, the draft cites the oldest comments and says why it has no quotes."""
    from hoering import isolation

    consultation, theme, comments, moderator = _theme(app, browser_for, make_consultation, make_user, make_comment)

    def overran(*args, **kwargs):
        raise isolation.Overran(25)

    monkeypatch.setattr(isolation, "run", overran)
    page = moderator.get(f"/moderering/temaer/{theme}/utkast").get_data(as_text=True)
    assert "Kommentarvektorene lages fortsatt" in page
    draft = _draft_text(page)
    assert draft.startswith("5 kommentarer fra 3 personer")
    assert "> " not in draft and f"#{min(c.id for c in comments.values())}" in draft
    assert moderator.get(f"/moderering/hoeringer/{consultation.slug}/oppsummering").status_code == 200


def test_a_draft_applied_while_another_moderator_saves_the_summary_loses_neither_text(
        app, browser_for, make_consultation, make_user, make_comment):
    from tests.concurrency import answers, at_once
    from tests.conftest import csrf_token_from
    from tests.summaries.test_themes_and_summary import summary_data

    consultation, theme, comments, drafter = _theme(app, browser_for, make_consultation, make_user, make_comment)
    writer = browser_for("moderator")
    assert summary_data(writer, consultation, overview="Start", action="save").status_code == 303
    draft_url, summary_url = f"/moderering/temaer/{theme}/utkast", f"/moderering/hoeringer/{consultation.slug}/oppsummering"
    for round_ in range(3):  # from the same saved version, at the same moment: one is saved, the other told
        forms = []
        for browser, url in ((drafter, draft_url), (writer, summary_url)):
            page = browser.get(url).get_data(as_text=True)
            forms.append((browser, url, csrf_token_from(page), re.search(r'name="version" value="([^"]*)"', page)
                          .group(1)))
        texts = [f"Utkast {round_}", f"Oversikt {round_}"]
        data = [{"text": texts[0], "quotes": "", "replace": "y"}, {"overview": texts[1], "action": "save"}]
        calls = [lambda b=b, u=u, t=t, v=v, d=d: b.client.post(u, data={"csrf_token": t, "version": v, **d})
                 for (b, u, t, v), d in zip(forms, data, strict=True)]
        responses = at_once(calls)
        assert sorted(answers(responses)) == [303, 409]
        saved = 0 if responses[0].status_code == 303 else 1
        refused = responses[1 - saved]
        assert texts[1 - saved] in refused.get_data(as_text=True)  # kept in the form
        with app.app_context():
            stored = (db.session.scalar(sa.select(SummarySection.text_markdown)
                                        .where(SummarySection.theme_id == theme)),
                      db.session.scalar(sa.select(Summary.overview_markdown)))
        assert texts[saved] in stored and texts[1 - saved] not in stored


def test_every_theme_without_a_text_gets_its_draft_at_once(app, browser_for, make_consultation, make_user,
                                                          make_comment):
    """"Bruk utkastene for alle temaer uten tekst" on the summary page: each theme with
    comments and no text gets its draft and its representative quotes; a text the
    moderator wrote stays; a theme without comments gets nothing."""
    consultation, theme, comments, moderator = _theme(app, browser_for, make_consultation, make_user, make_comment)
    create_theme(moderator, consultation, "Sykkel")
    cycling = theme_id(app, "Sykkel")
    written = make_comment(consultation, make_user(), "Flere sykkelveier, takk.")
    tag(moderator, cycling, [written.id])
    create_theme(moderator, consultation, "Tomt tema")
    empty = theme_id(app, "Tomt tema")
    summary_url = f"/moderering/hoeringer/{consultation.slug}/oppsummering"
    page = moderator.get(summary_url).get_data(as_text=True)
    draft_text = _draft_text(moderator.get(f"/moderering/temaer/{theme}/utkast").get_data(as_text=True))
    version = re.search(r'name="version" value="([^"]*)"', page).group(1)
    data = {"overview": "", "overview_quotes": "", f"theme-{cycling}-text": "Vi skrev dette selv.",
            "version": version, "action": "save"}
    assert moderator.submit(summary_url, data=data).status_code == 303

    page = moderator.get(summary_url).get_data(as_text=True)
    assert "Bruk utkastene for alle temaer uten tekst" in page
    version = re.search(r'name="version" value="([^"]*)"', page).group(1)
    response = moderator.submit(summary_url, f"{summary_url}/utkast", data={"version": version})
    assert response.status_code == 303
    assert "Utkastet står i oppsummeringen for 1 tema" in moderator.get(summary_url).get_data(as_text=True)
    with app.app_context():
        texts = dict(db.session.execute(sa.select(SummarySection.theme_id, SummarySection.text_markdown)).all())
        quoted = set(db.session.scalars(sa.select(SummaryQuote.comment_id).where(SummaryQuote.theme_id == theme)))
    assert texts[theme] == draft_text and texts[cycling] == "Vi skrev dette selv."
    assert not texts.get(empty)
    assert quoted and quoted <= {c.id for c in comments.values()}

    # Again: nothing left to fill; a stale version is refused and nothing changes.
    again = moderator.submit(summary_url, f"{summary_url}/utkast", data={"version": version})
    assert again.status_code == 303
    follow = moderator.get(again.headers["Location"]).get_data(as_text=True)
    assert "Alle temaer med kommentarer har allerede en tekst: ingenting ble endret." in follow
    citizen = browser_for()
    refused = citizen.submit(f"/hoeringer/{consultation.slug}", f"{summary_url}/utkast", data={"version": version})
    assert refused.status_code == 403
