"""The moderators' analysis of comments, through HTTP: "read, no theme" marks, the progress,
the filtered lists, one comment at a time, bulk tagging from a filter or a search, and the
warning before publishing a summary while many comments are not analysed."""

from __future__ import annotations

import datetime as dt
import re

import sqlalchemy as sa

from hoering.extensions import db
from hoering.summaries.models import CommentTheme, ReadWithoutTheme, Theme
from hoering.timeutil import utcnow
from tests.conftest import csrf_token_from
from tests.summaries.test_themes_and_summary import create_theme, summary_data, tag, tagged, theme_id


def themes_url(consultation, **args) -> str:
    query = "&".join(f"{key}={value}" for key, value in args.items())
    return f"/moderering/hoeringer/{consultation.slug}/temaer" + (f"?{query}" if query else "")


def marked(app) -> set[int]:
    with app.app_context():
        return set(db.session.scalars(sa.select(ReadWithoutTheme.comment_id)))


def mark(moderator, consultation, ids, unmark=False):
    return moderator.submit(themes_url(consultation), f"/moderering/hoeringer/{consultation.slug}/lest-uten-tema",
                            data={"comment": [str(i) for i in ids], "unmark": "1" if unmark else "0",
                                  "back": themes_url(consultation)})


def comments(make_comment, consultation, author, n, start=None, **fields):
    """``n`` comments a minute apart, oldest first."""
    start = start or utcnow() - dt.timedelta(days=1)
    return [make_comment(consultation, author, f"Innspill nummer {i}", created_at=start + dt.timedelta(minutes=i),
                         **fields) for i in range(n)]


def progress_text(page: str) -> str:
    return re.search(r'<label for="analysis-progress-bar">([^<]*)</label>', page).group(1)


def test_marks_and_tags_make_the_progress(browser_for, make_consultation, make_user, make_comment, app):
    consultation = make_consultation()
    moderator = browser_for("moderator")
    author = make_user()
    first, second, third, fourth = comments(make_comment, consultation, author, 4)
    make_comment(consultation, author, "Venter", state="pending")
    create_theme(moderator, consultation, "Trafikk")
    trafikk = theme_id(app, "Trafikk")

    page = moderator.get(themes_url(consultation)).get_data(as_text=True)
    assert progress_text(page) == "0 av 4 publiserte kommentarer analysert"
    assert '<progress id="analysis-progress-bar" max="4" value="0">' in page

    assert mark(moderator, consultation, [first.id, second.id]).status_code == 303
    tag(moderator, trafikk, [third.id])
    assert marked(app) == {first.id, second.id}
    page = moderator.get(themes_url(consultation)).get_data(as_text=True)
    assert progress_text(page) == "3 av 4 publiserte kommentarer analysert"
    assert "Med tema: 1" in page and "Lest, uten tema: 2" in page and "Ikke analysert ennå: 1" in page

    # Tagging a comment read without a theme makes it simply tagged.
    tag(moderator, trafikk, [second.id])
    assert marked(app) == {first.id}
    page = moderator.get(themes_url(consultation)).get_data(as_text=True)
    assert "Med tema: 2" in page and "Lest, uten tema: 1" in page
    # Untagging it leaves it unanalysed (the mark is not restored).
    tag(moderator, trafikk, [second.id], remove=True)
    assert "Ikke analysert ennå: 2" in moderator.get(themes_url(consultation)).get_data(as_text=True)

    # Unmarking; a tagged comment is not marked.
    response = mark(moderator, consultation, [first.id], unmark=True)
    assert marked(app) == set()
    response = mark(moderator, consultation, [third.id])
    assert marked(app) == set()
    assert "har et tema" in moderator.get(response.headers["Location"]).get_data(as_text=True)


def test_marks_only_published_comments_of_the_consultation(browser_for, make_consultation, make_user, make_comment,
                                                           app):
    mine, other = make_consultation(), make_consultation()
    moderator = browser_for("moderator")
    author = make_user()
    foreign = make_comment(other, author, "Annen sak")
    pending = make_comment(mine, author, "Venter", state="pending")
    response = mark(moderator, mine, [foreign.id, pending.id, 999999])
    assert marked(app) == set()
    assert "3 kommentarer ble utelatt" in moderator.get(response.headers["Location"]).get_data(as_text=True)
    # Nothing chosen: a message, not an error page.
    response = mark(moderator, mine, [])
    assert response.status_code == 303
    assert "Velg minst én kommentar" in moderator.get(response.headers["Location"]).get_data(as_text=True)


def test_filters_page_through_the_lists(browser_for, make_consultation, make_user, make_comment, app):
    consultation = make_consultation()
    moderator = browser_for("moderator")
    author = make_user()
    made = comments(make_comment, consultation, author, 120)
    create_theme(moderator, consultation, "Sykkel")
    sykkel = theme_id(app, "Sykkel")
    tag(moderator, sykkel, [c.id for c in made[:10]])
    mark(moderator, consultation, [c.id for c in made[10:15]])

    def ids(page: str) -> list[int]:
        return [int(i) for i in re.findall(r'name="comment" value="(\d+)"', page)]

    first = moderator.get(themes_url(consultation)).get_data(as_text=True)
    assert ids(first) == [c.id for c in made[15:65]]  # oldest first, 50 a page
    assert "Side 1 av 3" in first
    last = moderator.get(themes_url(consultation, page=3)).get_data(as_text=True)
    assert ids(last) == [c.id for c in made[115:]]
    # A page past the end shows the last page.
    assert ids(moderator.get(themes_url(consultation, page=99)).get_data(as_text=True)) == [c.id for c in made[115:]]
    read = moderator.get(themes_url(consultation, filter="read")).get_data(as_text=True)
    assert ids(read) == [c.id for c in made[10:15]]
    by_theme = moderator.get(themes_url(consultation, filter="theme", filter_theme=sykkel)).get_data(as_text=True)
    assert ids(by_theme) == [c.id for c in made[:10]]
    everything = moderator.get(themes_url(consultation, filter="all", page=3)).get_data(as_text=True)
    assert ids(everything) == [c.id for c in made[100:]]
    # Unknown filters mean "no theme yet"; a theme of another consultation is not found.
    assert ids(moderator.get(themes_url(consultation, filter="nonsense")).get_data(as_text=True))[0] == made[15].id
    other = make_consultation()
    create_theme(moderator, other, "Fremmed")
    assert moderator.get(themes_url(consultation, filter="theme",
                                    filter_theme=theme_id(app, "Fremmed"))).status_code == 404


def test_the_list_reads_a_constant_number_of_queries(browser_for, make_consultation, make_user, make_comment,
                                                     count_queries):
    consultation = make_consultation()
    moderator = browser_for("moderator")
    author = make_user()
    comments(make_comment, consultation, author, 5)
    with count_queries() as few:
        moderator.get(themes_url(consultation, filter="all"))
    comments(make_comment, consultation, author, 60)
    with count_queries() as many:
        moderator.get(themes_url(consultation, filter="all"))
    assert many.count == few.count


def one(moderator, consultation, **args) -> str:
    query = "&".join(f"{key}={value}" for key, value in args.items())
    response = moderator.get(f"/moderering/hoeringer/{consultation.slug}/en-og-en" + (f"?{query}" if query else ""))
    assert response.status_code == 200
    return response.get_data(as_text=True)


def shown(page: str) -> int | None:
    match = re.search(r'<h2 id="comment-heading">Kommentar #(\d+)', page)
    return int(match.group(1)) if match else None


def theme_buttons(page: str) -> list[tuple[str | None, str]]:
    """``[(key or None, theme name)]`` of the theme buttons of the one-at-a-time view, in order."""
    buttons = re.findall(r'<button type="submit" class="button button-secondary theme-button[^"]*" name="theme" '
                         r'value="\d+"(?: data-key="(\w)")?[^>]*>(?:<kbd aria-hidden="true">\w</kbd> )?([^<]+)', page)
    return [(key or None, name.strip()) for key, name in buttons]


def act(moderator, consultation, comment_id, **data):
    url = f"/moderering/hoeringer/{consultation.slug}/en-og-en"
    return moderator.submit(url, f"{url}/{comment_id}", data=data)


def test_one_at_a_time_goes_through_the_unanalysed_oldest_first(browser_for, make_consultation, make_user,
                                                                 make_comment, app):
    consultation = make_consultation()
    moderator = browser_for("moderator")
    author = make_user(name="Kari")
    first, second, third = comments(make_comment, consultation, author, 3)
    reply = make_comment(consultation, make_user(name="Ola"), "Enig med deg", parent=first,
                         created_at=third.created_at + dt.timedelta(minutes=1))
    create_theme(moderator, consultation, "Trafikk")
    create_theme(moderator, consultation, "Skole")
    trafikk = theme_id(app, "Trafikk")

    page = one(moderator, consultation)
    assert shown(page) == first.id
    assert "0 av 4 publiserte kommentarer analysert" in page
    assert "Hurtigtaster" in page and theme_buttons(page) == [("1", "Skole"), ("2", "Trafikk")]

    # Tag: on to the next one.
    response = act(moderator, consultation, first.id, action="tag", theme=str(trafikk))
    assert response.status_code == 303
    assert tagged(app, trafikk) == {first.id}
    page = moderator.get(response.headers["Location"]).get_data(as_text=True)
    assert shown(page) == second.id
    assert f"Kommentar #{first.id} er merket med «Trafikk»." in page
    assert theme_buttons(page) == [("1", "Trafikk"), ("2", "Skole")]  # the largest theme first

    # Skip: the link goes past it; it stays unanalysed.
    page = one(moderator, consultation, etter=second.id)
    assert shown(page) == third.id

    # Read, no theme: on to the reply, shown with its parent.
    response = act(moderator, consultation, third.id, action="read")
    assert marked(app) == {third.id}
    page = moderator.get(response.headers["Location"]).get_data(as_text=True)
    assert shown(page) == reply.id
    assert f"Et svar til #{first.id} fra Kari" in page and "Innspill nummer 0" in page

    # A new theme, staying on the comment to add another.
    response = act(moderator, consultation, reply.id, action="new_theme", new_theme="Enighet", stay="1")
    assert tagged(app, theme_id(app, "Enighet")) == {reply.id}
    page = moderator.get(response.headers["Location"]).get_data(as_text=True)
    assert shown(page) == reply.id and "Tema: Enighet" not in page and "Enighet" in page

    # Past the last one: the skipped comment remains.
    page = one(moderator, consultation, etter=reply.id)
    assert shown(page) is None
    assert "1 hoppet over" in page
    assert shown(one(moderator, consultation)) == second.id
    act(moderator, consultation, second.id, action="read")
    page = one(moderator, consultation)
    assert "Ferdig: alle publiserte kommentarer er analysert." in page
    assert "4 av 4 publiserte kommentarer analysert" in page


def test_one_at_a_time_refuses_what_does_not_belong(browser_for, make_consultation, make_user, make_comment, app):
    mine, other = make_consultation(), make_consultation()
    moderator = browser_for("moderator")
    author = make_user()
    comment = make_comment(mine, author, "Mitt")
    foreign = make_comment(other, author, "Annet")
    pending = make_comment(mine, author, "Venter", state="pending")
    create_theme(moderator, other, "Fremmed")
    url = f"/moderering/hoeringer/{mine.slug}/en-og-en"
    assert moderator.get(f"{url}?kommentar={foreign.id}").status_code == 404
    assert moderator.get(f"{url}?etter={pending.id}").status_code == 404
    assert act(moderator, mine, foreign.id, action="read").status_code == 404
    assert act(moderator, mine, pending.id, action="read").status_code == 404
    # Another consultation's theme, an empty new theme, no action: a message, nothing saved.
    for data, message in (({"action": "tag", "theme": str(theme_id(app, "Fremmed"))}, "Velg et tema"),
                          ({"action": "new_theme", "new_theme": "  "}, "Gi temaet et navn"),
                          ({}, "Velg hva du vil gjøre med kommentaren")):
        response = act(moderator, mine, comment.id, **data)
        assert response.status_code == 303
        assert message in moderator.get(response.headers["Location"]).get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(CommentTheme)) == 0
    assert marked(app) == set()


def bulk(moderator, consultation, **data):
    return moderator.submit(themes_url(consultation), f"/moderering/hoeringer/{consultation.slug}/merk-alle",
                            data=data)


def test_bulk_tagging_a_filter_confirms_then_tags_every_page(browser_for, make_consultation, make_user,
                                                             make_comment, app):
    consultation = make_consultation()
    moderator = browser_for("moderator")
    author = make_user()
    made = comments(make_comment, consultation, author, 70)
    create_theme(moderator, consultation, "Sykkel")
    sykkel = theme_id(app, "Sykkel")
    tag(moderator, sykkel, [made[0].id])
    mark(moderator, consultation, [made[1].id])

    confirm = bulk(moderator, consultation, filter="all", action="tag", theme=str(sykkel))
    assert confirm.status_code == 200
    page = confirm.get_data(as_text=True)
    assert "70 kommentarer passer." in page and "69 av dem blir merket med «Sykkel»" in page
    assert tagged(app, sykkel) == {made[0].id}  # nothing before the confirmation

    done = moderator.client.post(f"/moderering/hoeringer/{consultation.slug}/merk-alle",
                                 data={"csrf_token": csrf_token_from(page), "filter": "all", "action": "tag",
                                       "theme": str(sykkel), "confirm": "1"})
    assert done.status_code == 303
    assert tagged(app, sykkel) == {c.id for c in made}
    assert marked(app) == set()  # tagged now, so no longer "read, no theme"
    with app.app_context():
        assert set(db.session.scalars(sa.select(CommentTheme.tagged_by_id))) == {moderator.user.id}
    # Idempotent: again, nothing changes.
    again = moderator.client.post(f"/moderering/hoeringer/{consultation.slug}/merk-alle",
                                  data={"csrf_token": csrf_token_from(page), "filter": "all", "action": "tag",
                                        "theme": str(sykkel), "confirm": "1"})
    assert "0 kommentarer merket med «Sykkel»" in moderator.get(again.headers["Location"]).get_data(as_text=True)


def test_bulk_marking_read_without_theme(browser_for, make_consultation, make_user, make_comment, app):
    consultation = make_consultation()
    moderator = browser_for("moderator")
    author = make_user()
    made = comments(make_comment, consultation, author, 5)
    create_theme(moderator, consultation, "Sykkel")
    tag(moderator, theme_id(app, "Sykkel"), [made[0].id])
    page = bulk(moderator, consultation, action="read").get_data(as_text=True)
    assert "4 kommentarer passer." in page
    moderator.client.post(f"/moderering/hoeringer/{consultation.slug}/merk-alle",
                          data={"csrf_token": csrf_token_from(page), "action": "read", "confirm": "1"})
    assert marked(app) == {c.id for c in made[1:]}
    # No theme chosen for tagging: back to the list with a message.
    response = bulk(moderator, consultation, action="tag", theme="")
    assert response.status_code == 303
    assert "Velg et tema" in moderator.get(response.headers["Location"]).get_data(as_text=True)


def test_bulk_tagging_every_search_result(browser_for, make_consultation, make_user, make_comment, app,
                                          search_inline):
    consultation, other = make_consultation(), make_consultation()
    moderator = browser_for("moderator")
    author = make_user()
    buses = [make_comment(consultation, author, f"Bussen går for sjelden, innspill {i}") for i in range(25)]
    make_comment(consultation, author, "Sykkelveien er bra")
    make_comment(other, author, "Bussen i en annen sak")
    create_theme(moderator, consultation, "Kollektiv")
    kollektiv = theme_id(app, "Kollektiv")

    search = moderator.get("/sok?q=bussen").get_data(as_text=True)
    assert 'action="/moderering/sok/merk-alle"' in search
    data = {"q": "bussen", "theme": str(kollektiv)}
    confirm = moderator.client.post("/moderering/sok/merk-alle", data={"csrf_token": csrf_token_from(search), **data})
    assert confirm.status_code == 200
    page = confirm.get_data(as_text=True)
    assert "25 kommentarer passer." in page and "1 treff fra andre høringer" in page
    moderator.client.post("/moderering/sok/merk-alle",
                          data={"csrf_token": csrf_token_from(page), **data, "confirm": "1"})
    assert tagged(app, kollektiv) == {c.id for c in buses}  # every page of results, not only the first


def test_publishing_warns_while_many_comments_are_unanalysed(browser_for, make_consultation, make_user,
                                                             make_comment, app):
    consultation = make_consultation(status="closed")
    moderator = browser_for("moderator")
    author = make_user()
    made = comments(make_comment, consultation, author, 40)
    mark(moderator, consultation, [c.id for c in made[:30]])
    response = summary_data(moderator, consultation, overview="Dette hørte vi.", overview_quotes="",
                            action="publish", confirm_unanalysed="")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "10 av 40 publiserte kommentarer er ikke analysert ennå." in page
    assert "Dette hørte vi." in page  # the text is kept
    with app.app_context():
        from hoering.consultations.models import Consultation
        assert db.session.get(Consultation, consultation.id).summarized_at is None
    # The second POST confirms.
    response = summary_data(moderator, consultation, overview="Dette hørte vi.", overview_quotes="",
                            action="publish", confirm_unanalysed="1")
    assert response.status_code == 303
    with app.app_context():
        from hoering.consultations.models import Consultation
        assert db.session.get(Consultation, consultation.id).summarized_at is not None


def test_no_warning_below_the_threshold(browser_for, make_consultation, make_user, make_comment, app):
    consultation = make_consultation(status="closed")
    moderator = browser_for("moderator")
    author = make_user()
    made = comments(make_comment, consultation, author, 40)
    mark(moderator, consultation, [c.id for c in made[:38]])  # 2 of 40 = 5 %: not over the threshold
    response = summary_data(moderator, consultation, overview="Dette hørte vi.", overview_quotes="",
                            action="publish", confirm_unanalysed="")
    assert response.status_code == 303
    page = moderator.get(f"/moderering/hoeringer/{consultation.slug}/oppsummering").get_data(as_text=True)
    assert "38 av 40 publiserte kommentarer analysert" in page


def test_tagging_raises_the_content_version(browser_for, make_consultation, make_user, make_comment, app):
    """A tag added (an INSERT, which flushes no object) raises the version of the cached
    pages: a quote under a theme shows while its comment has the theme."""
    from hoering.consultations.models import Consultation

    consultation = make_consultation()
    moderator = browser_for("moderator")
    comment = make_comment(consultation, make_user(), "Et innspill")
    create_theme(moderator, consultation, "Trafikk")

    def version() -> int:
        with app.app_context():
            return db.session.get(Consultation, consultation.id).content_version

    before = version()
    tag(moderator, theme_id(app, "Trafikk"), [comment.id])
    assert version() > before
    before = version()
    mark(moderator, consultation, [comment.id])  # nothing readers see
    assert version() == before
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Theme)) == 1


def test_a_themes_page_lists_its_comments_a_page_at_a_time(browser_for, make_consultation, make_user, make_comment,
                                                           app):
    consultation = make_consultation()
    moderator = browser_for("moderator")
    author = make_user()
    made = comments(make_comment, consultation, author, 55)
    hidden = make_comment(consultation, author, "Skjult", state="hidden", created_at=utcnow())
    create_theme(moderator, consultation, "Alt")
    alt = theme_id(app, "Alt")
    tag(moderator, alt, [c.id for c in made] + [hidden.id])
    first = moderator.get(f"/moderering/temaer/{alt}").get_data(as_text=True)
    assert "(56, 55 publiserte)" in first and "Side 1 av 2" in first
    assert re.findall(r'name="comment" value="(\d+)"', first) == [str(c.id) for c in made[:50]]
    second = moderator.get(f"/moderering/temaer/{alt}?page=2").get_data(as_text=True)
    assert re.findall(r'name="comment" value="(\d+)"', second) == [str(c.id) for c in made[50:]] + [str(hidden.id)]
