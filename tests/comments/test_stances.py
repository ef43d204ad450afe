"""Agree ("Enig") and disagree ("Uenig") on a comment, through the page's forms and its
script's JSON requests: one stance per reader and comment, switched or taken back, the
counts always equal to the rows, refused where supporting was refused (own comment,
closed consultation, a ban), rate-limited with nothing lost."""

from __future__ import annotations

import re

import sqlalchemy as sa

from hoering.comments.models import Comment, Support
from hoering.consultations import readercache
from hoering.extensions import db
from tests.conftest import csrf_token_from

JSON = {"Accept": "application/json"}


def page_of(consultation) -> str:
    return f"/hoeringer/{consultation.slug}"


def take(browser, consultation, comment, stance: str, **kwargs):
    """Press the button of ``stance`` ("agree", "disagree", "" to take it back)."""
    return browser.submit(page_of(consultation), f"/kommentarer/{comment.id}/stotte", data={"stance": stance},
                          **kwargs)


def stored(app, comment) -> tuple[int, int, dict[int, str]]:
    """The comment's agree and disagree counts, and its rows ``{user id: stance}``."""
    with app.app_context():
        row = db.session.get(Comment, comment.id)
        rows = dict(db.session.execute(sa.select(Support.user_id, Support.stance)
                                       .where(Support.comment_id == comment.id)).all())
        return row.support_count, row.disagree_count, rows


def buttons(html: str, comment) -> dict[str, tuple[str, str, str]]:
    """``{stance: (value sent, aria-pressed, count shown)}`` of the comment's two buttons
    (the count ``""`` where none is shown: a count of nothing is not)."""
    block = html[html.index(f'id="kommentar-{comment.id}"'):]
    block = block[:block.index("</form>")]
    found = re.findall(r'data-stance="(agree|disagree)"\s+value="([a-z]*)"\s+aria-pressed="(true|false)">\s*'
                       r'[^<]+<span class="stance-count">(?:\((\d+)\))?</span>', block)
    return {stance: (value, pressed, count) for stance, value, pressed, count in found}


def test_a_reader_agrees_switches_sides_and_takes_it_back(browser_for, make_consultation, make_comment,
                                                          make_user, app):
    consultation = make_consultation()
    comment = make_comment(consultation, make_user(name="Kari Forfatter"), "Vi trenger en fartsdemper")
    reader = browser_for()
    page = reader.get(page_of(consultation)).get_data(as_text=True)
    assert buttons(page, comment) == {"agree": ("agree", "false", ""), "disagree": ("disagree", "false", "")}
    # Each button names the comment for a screen reader; the counts are announced in a status region.
    assert "Enig <span" in page and "Uenig <span" in page and "kommentaren fra Kari Forfatter" in page
    assert 'class="visually-hidden stance-status" role="status"' in page

    for _ in range(2):  # pressing agree twice counts once
        assert take(reader, consultation, comment, "agree").status_code == 303
    assert stored(app, comment) == (1, 0, {reader.user.id: "agree"})
    page = reader.get(page_of(consultation)).get_data(as_text=True)
    assert buttons(page, comment) == {"agree": ("", "true", "1"), "disagree": ("disagree", "false", "")}

    assert take(reader, consultation, comment, "disagree").status_code == 303  # switch sides
    assert stored(app, comment) == (0, 1, {reader.user.id: "disagree"})
    page = reader.get(page_of(consultation)).get_data(as_text=True)
    assert buttons(page, comment) == {"agree": ("agree", "false", ""), "disagree": ("", "true", "1")}

    assert take(reader, consultation, comment, "").status_code == 303  # the pressed button takes it back
    assert stored(app, comment) == (0, 0, {})
    assert take(reader, consultation, comment, "").status_code == 303  # nothing to take back: nothing changes
    assert stored(app, comment) == (0, 0, {})


def test_many_readers_are_counted_on_both_sides_and_a_split_is_contested(
        browser_for, client, make_consultation, make_comment, make_user, app):
    consultation = make_consultation()
    comment = make_comment(consultation, make_user(), "Et omstridt forslag", support_count=4, disagree_count=3)
    readers = [browser_for() for _ in range(3)]
    for reader, stance in zip(readers, ("agree", "disagree", "disagree"), strict=True):
        assert take(reader, consultation, comment, stance).status_code == 303
    agree, disagree, rows = stored(app, comment)
    assert (agree, disagree) == (5, 5) and sorted(rows.values()) == ["agree", "disagree", "disagree"]
    anonymous = client.get(page_of(consultation)).get_data(as_text=True)
    assert '<span class="stance-counts contested">Omstridt: 5 enig, 5 uenig</span>' in anonymous
    page = readers[0].get(page_of(consultation)).get_data(as_text=True)  # by the buttons, a badge
    assert 'class="badge badge-contested">Omstridt<' in page


def test_the_script_gets_the_counts_as_json(browser_for, make_consultation, make_comment, make_user, app):
    consultation = make_consultation()
    comment = make_comment(consultation, make_user(), "Svar meg i JSON", support_count=7, disagree_count=2)
    reader = browser_for()
    answer = take(reader, consultation, comment, "disagree", headers=JSON)
    assert answer.status_code == 200 and answer.is_json
    assert answer.get_json() == {"stance": "disagree", "agree_count": 7, "disagree_count": 3, "contested": False,
                                 "message": "Du er uenig. 7 enig, 3 uenig"}
    answer = take(reader, consultation, comment, "", headers=JSON)
    assert answer.get_json()["stance"] is None and answer.get_json()["message"].startswith("Du har ikke tatt")
    nynorsk = browser_for()
    nynorsk.client.set_cookie("hoering_lang", "nn")
    answer = take(nynorsk, consultation, comment, "disagree", headers=JSON)
    assert answer.get_json()["message"] == "Du er ueinig. 7 einig, 3 ueinig"


def test_refused_where_supporting_is_refused_and_nothing_changes(browser_for, make_consultation, make_comment,
                                                                 make_user, app):
    author = browser_for()
    consultation = make_consultation()
    own = make_comment(consultation, author.user, "Min egen")
    for stance in ("agree", "disagree"):
        page = take(author, consultation, own, stance)
        assert page.status_code == 403 and "din egen kommentar" in page.get_data(as_text=True)
        refused = take(author, consultation, own, stance, headers=JSON)
        assert refused.status_code == 403 and refused.get_json()["error"]["code"] == "forbidden"
    assert stored(app, own) == (0, 0, {})
    page = author.get(page_of(consultation)).get_data(as_text=True)
    assert "stance-button" not in page and "stance-counts" not in page  # no buttons, and no counts of nothing

    closed = make_consultation("closed")
    old = make_comment(closed, make_user(), "For sent", support_count=2, disagree_count=1)
    reader = browser_for()
    late = take(reader, closed, old, "disagree")
    assert late.status_code == 403 and "Høringen er ikke åpen" in late.get_data(as_text=True)
    assert stored(app, old) == (2, 1, {})
    assert "stance-button" not in reader.get(page_of(closed)).get_data(as_text=True)

    banned = browser_for()
    other = make_comment(consultation, make_user(), "Andres innlegg")
    moderator = browser_for("moderator")
    assert moderator.submit(f"/moderering/brukere/{banned.user.id}/utesteng",
                            data={"duration": "7", "reason": "Personangrep"}).status_code == 303
    assert take(banned, consultation, other, "disagree").status_code == 403
    assert stored(app, other) == (0, 0, {})


def test_wrong_method_missing_token_and_made_up_values_change_nothing(browser_for, make_consultation, make_comment,
                                                                      make_user, app):
    consultation = make_consultation()
    comment = make_comment(consultation, make_user(), "Prøv meg")
    reader = browser_for()
    url = f"/kommentarer/{comment.id}/stotte"
    assert reader.get(url).status_code == 405
    assert reader.client.post(url, data={"stance": "disagree"}).status_code == 400  # no CSRF token
    assert reader.client.post(url, data={"stance": "disagree", "csrf_token": "feil"}).status_code == 400
    for value in ("maybe", "AGREE", "1"):
        assert take(reader, consultation, comment, value).status_code == 400
    assert reader.submit(page_of(consultation), url, data={}).status_code == 400  # neither field
    assert stored(app, comment) == (0, 0, {})
    take(reader, consultation, comment, "agree")
    assert take(reader, consultation, comment, "maybe").status_code == 400
    assert stored(app, comment) == (1, 0, {reader.user.id: "agree"})  # a made-up value takes nothing back


def test_rate_limited_with_the_stance_kept_and_nothing_lost(browser_for, make_consultation, make_comment, make_user,
                                                            app, monkeypatch):
    monkeypatch.setitem(app.config, "RATELIMIT_SUPPORTS", "3 per minute")
    consultation = make_consultation()
    comment = make_comment(consultation, make_user(), "Ikke så fort")
    reader = browser_for()
    page = reader.get(page_of(consultation)).get_data(as_text=True)
    token = csrf_token_from(page)
    url = f"/kommentarer/{comment.id}/stotte"
    answers = [reader.client.post(url, data={"csrf_token": token, "stance": stance}).status_code
               for stance in ("agree", "disagree", "agree")]
    assert answers == [303, 303, 303]
    limited = reader.client.post(url, data={"csrf_token": token, "stance": "disagree"})
    assert limited.status_code == 429 and int(limited.headers["Retry-After"]) > 0
    body = limited.get_data(as_text=True)
    assert "Du har endret standpunktet ditt mange ganger på kort tid" in body and "Ikke så fort" in body
    assert buttons(body, comment)["agree"][:2] == ("", "true")  # the page as it stands: still agreeing
    scripted = reader.client.post(url, data={"csrf_token": token, "stance": "disagree"}, headers=JSON)
    assert scripted.status_code == 429 and scripted.get_json()["error"]["code"] == "rate_limited"
    assert "Prøv igjen" in scripted.get_json()["error"]["message"]
    assert stored(app, comment) == (1, 0, {reader.user.id: "agree"})


def test_both_ways_of_reading_a_readers_stances_agree(browser_for, make_consultation, make_comment, make_user, app):
    """The consultation page reads the reader's stances with the user (one query) or, when
    the user was loaded before, on their own: both give the same agreed and disagreed ids."""
    consultation = make_consultation()
    agreed, disagreed, neither = (make_comment(consultation, make_user(), text) for text in ("A", "B", "C"))
    reader = browser_for()
    take(reader, consultation, agreed, "agree")
    take(reader, consultation, disagreed, "disagree")
    with app.test_request_context(page_of(consultation)):
        _head, state = readercache.head_and_state(consultation.slug, reader.user.id)
        assert readercache.load_reader(reader.user.id) is not None
        _slug, _same_head, with_user = readercache.g.pop(readercache._READ_WITH_USER)
    for found in (state, with_user):
        assert found.supported == {agreed.id} and found.disagreed == {disagreed.id}
        assert neither.id not in found.supported | found.disagreed


def test_zero_counts_are_hidden_and_counts_are_shown_when_there_are_some(browser_for, make_consultation,
                                                                        make_comment, make_user, client):
    consultation = make_consultation()
    quiet = make_comment(consultation, make_user(), "Ingen har sagt noe")
    agreed = make_comment(consultation, make_user(), "Noen er enige", support_count=3)
    url = page_of(consultation)

    def article(page, comment):
        start = page.index(f'id="kommentar-{comment.id}"')
        return page[start:page.index("</article>", start)]

    reader = browser_for().get(url).get_data(as_text=True)  # may take a stance: the buttons are kept
    assert re.search(r'Enig <span class="stance-count"></span>', article(reader, quiet))
    assert re.search(r'Uenig <span class="stance-count"></span>', article(reader, quiet))
    assert "(0)" not in reader
    assert 'Enig <span class="stance-count">(3)</span>' in article(reader, agreed)
    anonymous = client.get(url).get_data(as_text=True)  # the counts in words, no buttons
    assert "enig" not in article(anonymous, quiet).lower()
    assert "3 enig, 0 uenig" in article(anonymous, agreed)
    assert "0 svar" not in anonymous and "(0)" not in anonymous


def test_a_consultation_without_comments_shows_no_count_of_nothing(client, make_consultation):
    page = client.get(page_of(make_consultation())).get_data(as_text=True)
    assert '<h2 id="comments-heading">Kommentarer</h2>' in page and "Ingen kommentarer ennå." in page
