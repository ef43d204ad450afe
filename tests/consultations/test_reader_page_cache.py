"""A plain citizen's consultation page from the cache of their reader class
(hoering/consultations/readercache.py): the same page as one rendered for them, with
their own supports, follow form, CSRF token and submission keys and nobody else's; the
readers it is not for (their own comment, report or waiting comment on the page, a ban,
a staff role, a flash message) get the page rendered for them."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from hoering import cache
from hoering.comments.models import Comment
from hoering.consultations import readercache
from hoering.extensions import db
from hoering.moderation.models import Ban, Report
from tests.conftest import Browser, captured_sql, csrf_token_from

CSRF = re.compile(r'(name="csrf_token"[^>]*value=")[^"]+')
SUBMISSION = re.compile(r'name="submission" value="([A-Za-z0-9_-]{32})"')
#: SQL of a page from the cache: one, the user with their ban, the content head and the
#: reader's own rows (hoering.consultations.readercache.load_reader).
CACHED_QUERIES = 1


def normalised(html: str) -> str:
    """``html`` with every CSRF token and submission key replaced by a fixed text."""
    return SUBMISSION.sub('name="submission" value="KEY"', CSRF.sub(r"\1CSRF", html))


def logged_in(app, user, language: str | None = None) -> Browser:
    """A browser on ``app`` with ``user`` logged in and the login's flash message read."""
    browser = Browser(app.test_client())
    browser.login(user)
    if language:
        browser.client.set_cookie("hoering_lang", language)
    browser.get("/")
    return browser


def support(browser, consultation, comment_id, stance: str | None = None):
    """Agree (the older form's field), or take ``stance`` ("agree", "disagree", "" for none)."""
    data = {"supported": "1"} if stance is None else {"stance": stance}
    response = browser.submit(f"/hoeringer/{consultation.slug}", f"/kommentarer/{comment_id}/stotte", data=data)
    assert response.status_code == 303


def follow(browser, consultation):
    response = browser.submit(f"/hoeringer/{consultation.slug}", f"/hoeringer/{consultation.slug}/folg",
                              data={"follow": "1"})
    assert response.status_code == 303


@pytest.fixture
def small_pages(app, monkeypatch):
    """Three threads a page, two replies shown per thread, on the test app."""
    monkeypatch.setitem(app.config, "THREADS_PER_PAGE", 3)
    monkeypatch.setitem(app.config, "THREAD_REPLIES_SHOWN", 2)


def discussion(make_consultation, make_comment, make_user, status="open", names="ABCD"):
    """A consultation with seven threads (two pages and a bit), replies (more than shown in
    one thread), a hidden comment kept as the placeholder of its reply, and supports."""
    consultation = make_consultation(status, questions=("Hva mener du om skoleveien?",))
    authors = [make_user(name=f"Forfatter {letter}") for letter in names]
    tops = [make_comment(consultation, authors[i % 4], f"Tråd nummer {i}", support_count=i % 3) for i in range(7)]
    first_reply = make_comment(consultation, authors[1], "Et svar", parent=tops[0])
    make_comment(consultation, authors[2], "Svar på svaret", parent=first_reply)
    make_comment(consultation, authors[3], "Et tredje svar", parent=tops[0])
    hidden = make_comment(consultation, authors[0], "Skjult innlegg", parent=tops[1], state="hidden")
    make_comment(consultation, authors[2], "Svar under det skjulte", parent=hidden)
    return consultation, tops, first_reply


def test_the_page_from_the_cache_is_the_page_rendered_for_the_reader(
        app, make_app, small_pages, count_queries, make_consultation, make_comment, make_user):
    uncached = make_app(PAGE_CACHE_SECONDS=0, THREADS_PER_PAGE=3, THREAD_REPLIES_SHOWN=2)
    consultation, tops, first_reply = discussion(make_consultation, make_comment, make_user)
    closed, closed_tops, _reply = discussion(make_consultation, make_comment, make_user, status="closed",
                                          names="EFGH")
    consented, unconsented = make_user(), make_user(consented=False)
    other_consented = make_user()
    setup = logged_in(app, consented)
    support(setup, consultation, tops[6].id)  # on the first page, newest first
    support(setup, consultation, first_reply.id)  # a reply
    support(setup, consultation, tops[1].id)  # on page 2
    support(setup, consultation, tops[4].id, "disagree")  # on the first page
    support(setup, consultation, tops[3].id, "agree")  # on page 2: agreed, then switched
    support(setup, consultation, tops[3].id, "disagree")
    support(setup, consultation, tops[2].id, "disagree")  # taken back
    support(setup, consultation, tops[2].id, "")
    follow(setup, consultation)
    follow(setup, closed)
    other = logged_in(app, unconsented)
    support(other, consultation, tops[5].id)
    support(other, consultation, tops[6].id, "disagree")  # where the first one agrees

    checked = 0
    for user in (consented, unconsented, other_consented):
        for language in (None, "en", "nn"):
            cached_reader, plain_reader = logged_in(app, user, language), logged_in(uncached, user, language)
            for slug in (consultation.slug, closed.slug):
                for query in ("", "?sort=oldest", "?sort=supported", "?page=2", "?sort=oldest&page=3"):
                    url = f"/hoeringer/{slug}{query}"
                    assert cached_reader.get(url).status_code == 200
                    with count_queries() as counter:
                        cached = cached_reader.get(url)
                    assert counter.count == CACHED_QUERIES, url  # it came from the cache
                    plain = plain_reader.get(url)
                    assert cached.status_code == plain.status_code == 200
                    html = cached.get_data(as_text=True)
                    assert normalised(html) == normalised(plain.get_data(as_text=True)), (user.email, language, url)
                    assert cached.headers["Cache-Control"] == plain.headers["Cache-Control"] == "no-store"
                    assert cached.headers["Content-Security-Policy"] == plain.headers["Content-Security-Policy"]
                    assert "<@r" not in html
                    checked += 1
    assert checked == 90
    # What the pages showed is what the reader has: the supporter's pressed buttons (a
    # thread and a reply on the last page, newest first) and their follow form.
    supporter = logged_in(app, consented)
    page = supporter.get(f"/hoeringer/{consultation.slug}").get_data(as_text=True)
    assert page.count('aria-pressed="true"') == 2 and 'name="follow" value="0"' in page
    assert _held(page, tops[6].id) == "agree" and _held(page, tops[4].id) == "disagree"
    assert _held(page, tops[5].id) is None  # the other reader's stance is theirs
    last = supporter.get(f"/hoeringer/{consultation.slug}?page=3").get_data(as_text=True)
    assert last.count('aria-pressed="true"') == 1 and _pressed(last, first_reply.id) == "true"
    second = supporter.get(f"/hoeringer/{consultation.slug}?page=2").get_data(as_text=True)
    assert _held(second, tops[3].id) == "disagree" and _held(second, tops[2].id) is None
    assert _held(second, tops[1].id) == "agree"
    others = logged_in(app, unconsented).get(f"/hoeringer/{consultation.slug}").get_data(as_text=True)
    assert _held(others, tops[6].id) == "disagree" and _held(others, tops[5].id) == "agree"
    assert _held(others, tops[4].id) is None


def empty_cache(app):
    with app.app_context():
        cache.clear()


def _pressed(html: str, comment_id: int) -> str:
    block = html[html.index(f'id="kommentar-{comment_id}"'):]
    return re.search(r'aria-pressed="(true|false)"', block).group(1)


def _held(html: str, comment_id: int) -> str | None:
    """The stance whose button is pressed on ``comment_id`` (None for none), checked
    against what each button sends: "" (take it back) when pressed, its stance when not."""
    block = html[html.index(f'id="kommentar-{comment_id}"'):]
    block = block[:block.index("</form>")]
    buttons = re.findall(r'data-stance="(agree|disagree)"\s+value="([a-z]*)"\s+aria-pressed="(true|false)"', block)
    assert [stance for stance, _v, _p in buttons] == ["agree", "disagree"]
    for stance, value, pressed in buttons:
        assert value == ("" if pressed == "true" else stance)
    held = [stance for stance, _v, pressed in buttons if pressed == "true"]
    assert len(held) <= 1
    return held[0] if held else None


def test_a_cached_page_carries_nothing_of_the_reader_who_filled_it(
        app, monkeypatch, make_consultation, make_comment, make_user):
    consultation = make_consultation()
    author = make_user(name="Kari Forfatter")
    first = make_comment(consultation, author, "Første tråd")
    make_comment(consultation, author, "Et svar", parent=first)
    second = make_comment(consultation, author, "Andre tråd")
    url = f"/hoeringer/{consultation.slug}"
    kept = []
    real_keep = readercache.keep
    monkeypatch.setattr(readercache, "keep", lambda key, page: (kept.append((key, page)), real_keep(key, page)))

    a_user = make_user(name="Anne Leser", consented=False)
    b_user = make_user(name="Bjørn Leser", consented=False)
    a = logged_in(app, a_user)
    support(a, consultation, first.id)
    follow(a, consultation)
    a.get("/")  # the flash message that says so
    empty_cache(app)
    kept.clear()
    a_page = a.get(url).get_data(as_text=True)
    assert _pressed(a_page, first.id) == "true" and 'name="follow" value="0"' in a_page
    assert len(kept) == 1  # A filled the cache

    b = logged_in(app, b_user)
    b_response = b.get(url)
    b_page = b_response.get_data(as_text=True)
    assert len(kept) == 1  # B got A's class's page from the cache
    assert _pressed(b_page, first.id) == "false" and _pressed(b_page, second.id) == "false"
    assert 'name="follow" value="1"' in b_page and 'name="follow" value="0"' not in b_page
    assert csrf_token_from(a_page) not in b_page and "Anne Leser" not in b_page and a_user.email not in b_page
    assert 'id="comment-consent"' in b_page  # the class: no consent given yet

    # Every form has a key of its own, new on every view.
    keys = SUBMISSION.findall(b_page)
    assert len(keys) == 4 and len(set(keys)) == 4 and not set(keys) & set(SUBMISSION.findall(a_page))

    # The same class's page is the same whoever filled it.
    empty_cache(app)
    b.get(url)
    assert len(kept) == 2 and kept[0] == kept[1]
    assert "Bjørn" not in kept[1][1].html and b_user.email not in kept[1][1].html

    # B's CSRF token and a form's key work: the reply is stored once, however often sent.
    b_page = b.get(url).get_data(as_text=True)
    key = re.search(rf'name="parent_id" value="{second.id}">\s*<input type="hidden" name="submission" '
                    r'value="([^"]+)"', b_page).group(1)
    data = {"csrf_token": csrf_token_from(b_page), "text": "Mitt svar", "parent_id": str(second.id),
            "submission": key, "consent": "1"}
    for _time in range(2):
        assert b.client.post(f"/hoeringer/{consultation.slug}/kommentarer", data=data).status_code == 303
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).where(Comment.body_text == "Mitt svar")) == 1


def test_readers_the_cached_page_is_not_for_get_their_own(
        app, count_queries, browser_for, make_consultation, make_comment, make_user):
    consultation = make_consultation(moderation_mode="pre")
    url = f"/hoeringer/{consultation.slug}"
    writer = make_user()
    own = make_comment(consultation, writer, "Mitt eget innlegg")
    other = make_comment(consultation, make_user(), "Noen andres innlegg")
    assert logged_in(app, make_user()).get(url).status_code == 200  # fills the cache

    # Their own comment on the page: Edit and Remove, no support button for it.
    page = logged_in(app, writer).get(url).get_data(as_text=True)
    assert f"/kommentarer/{own.id}/rediger" in page and f"/kommentarer/{own.id}/fjern" in page
    assert f"/kommentarer/{other.id}/rediger" not in page

    # A comment they reported.
    reporter = make_user()
    with app.app_context():
        db.session.add(Report(comment_id=other.id, reporter_id=reporter.id, reason="spam"))
        db.session.commit()
    page = logged_in(app, reporter).get(url).get_data(as_text=True)
    assert "Du har rapportert denne kommentaren" in page or "You have reported this comment" in page

    # A comment of theirs waiting for a moderator, which only they see.
    waiting = make_user()
    make_comment(consultation, waiting, "Venter på godkjenning", state="pending")
    assert "Venter på godkjenning" in logged_in(app, waiting).get(url).get_data(as_text=True)
    assert "Venter på godkjenning" not in logged_in(app, make_user()).get(url).get_data(as_text=True)

    # A banned citizen: the ban notice, no comment form.
    banned_user = make_user()
    moderator = make_user("moderator")
    with app.app_context():
        db.session.add(Ban(user_id=banned_user.id, moderator_id=moderator.id, reason="Gjentatte brudd"))
        db.session.commit()
    banned = logged_in(app, banned_user)
    with count_queries() as counter:
        page = banned.get(url).get_data(as_text=True)
    assert counter.count > CACHED_QUERIES
    assert 'class="comment-form"' not in page and "Gjentatte brudd" in page

    # Staff: their tools.
    assert f"/moderering/kommentarer/{other.id}" in logged_in(app, moderator).get(url).get_data(as_text=True)
    officer = logged_in(app, make_user("case_officer"))
    assert f"/hoeringer/{consultation.slug}/rediger" in officer.get(url).get_data(as_text=True)

    # A flash message waiting is shown (and the page after it is the cached one again).
    reader = logged_in(app, make_user())
    with reader.client.session_transaction() as session:
        session["_flashes"] = [("info", "Bare til deg")]
    assert "Bare til deg" in reader.get(url).get_data(as_text=True)
    with count_queries() as counter:
        assert "Bare til deg" not in reader.get(url).get_data(as_text=True)
    assert counter.count == CACHED_QUERIES


def test_the_cached_page_costs_the_same_queries_for_one_comment_and_many(
        app, count_queries, make_consultation, make_comment, make_user):
    empty, small, large = make_consultation(), make_consultation(), make_consultation()
    author = make_user()
    make_comment(small, author, "eneste")
    for i in range(40):
        make_comment(large, make_user(), "svar", parent=make_comment(large, author, f"tråd {i}"))
    reader = logged_in(app, make_user())
    statements = {}
    for consultation in (empty, small, large):
        url = f"/hoeringer/{consultation.slug}"
        reader.get(url)
        with captured_sql(app) as captured:
            assert reader.get(url).status_code == 200
        statements[consultation.slug] = [statement.lower() for statement in captured]
    assert {len(found) for found in statements.values()} == {CACHED_QUERIES}
    for statement in statements[large.slug]:
        assert "count(" not in statement and "max(" not in statement


def test_a_citizen_sees_bulk_tags_at_once_in_the_published_summary(app, browser_for, make_consultation,
                                                                    make_comment, make_user):
    """Bulk tagging (one INSERT … SELECT) raises the version the reader's cached page is
    keyed on: the published summary's count per theme is current."""
    from hoering.summaries.models import Theme
    from tests.summaries.test_themes_and_summary import create_theme, summary_data, tag

    consultation = make_consultation(status="closed")
    moderator = browser_for("moderator")
    author = make_user()
    comments = [make_comment(consultation, author, f"Innspill om parken {i}") for i in range(4)]
    create_theme(moderator, consultation, "Park")
    with app.app_context():
        park = db.session.scalar(sa.select(Theme.id).where(Theme.name == "Park"))
    tag(moderator, park, [comments[0].id])
    summary_data(moderator, consultation, overview="", overview_quotes="", action="publish",
                 **{f"theme-{park}-text": "Parken er viktig."})
    reader = logged_in(app, make_user())
    url = f"/hoeringer/{consultation.slug}"
    count = re.compile(r'id="heard-theme-\d+">Park</h3>\s*<p class="meta"[^>]*>([^·<]*)')
    assert count.search(reader.get(url).get_data(as_text=True)).group(1).strip() == "1 kommentar"
    assert count.search(reader.get(url).get_data(as_text=True)).group(1).strip() == "1 kommentar"
    page = moderator.submit(f"/moderering/hoeringer/{consultation.slug}/temaer",
                            f"/moderering/hoeringer/{consultation.slug}/merk-alle",
                            data={"action": "tag", "theme": str(park)}).get_data(as_text=True)
    moderator.client.post(f"/moderering/hoeringer/{consultation.slug}/merk-alle",
                          data={"csrf_token": csrf_token_from(page), "action": "tag", "theme": str(park),
                                "confirm": "1"})
    assert count.search(reader.get(url).get_data(as_text=True)).group(1).strip() == "4 kommentarer"
