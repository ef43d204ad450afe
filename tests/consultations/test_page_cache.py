"""The cached consultation page and API answers (hoering/consultations/pagecache.py,
hoering/consultations/versions.py, hoering/cache.py): never stale after a change, never
one reader's data for another, a constant number of queries without counts over all
comments once cached."""

from __future__ import annotations

import re
import time

import sqlalchemy as sa

from hoering.consultations.models import Consultation
from hoering.extensions import db
from tests.conftest import captured_sql, csrf_token_from
from tests.moderation.helpers import act

COUNT = re.compile(r'id="comments-heading">[^<]*<span class="count">\((\d+)\)')
CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')


def comment_count(html: str) -> int:
    return int(COUNT.search(html).group(1))


def post_comment(browser, consultation, text, **extra):
    response = browser.submit(f"/hoeringer/{consultation.slug}", f"/hoeringer/{consultation.slug}/kommentarer",
                              data={"text": text, **extra})
    assert response.status_code == 303, response.get_data(as_text=True)[:300]
    return int(response.headers["Location"].rsplit("/", 1)[1])


def test_posting_moderating_and_removing_show_at_once_on_the_cached_page(
        client, browser_for, make_consultation, make_comment, make_user):
    consultation = make_consultation()
    make_comment(consultation, make_user(), "Den første kommentaren")
    url = f"/hoeringer/{consultation.slug}"
    first = client.get(url).get_data(as_text=True)
    again = client.get(url).get_data(as_text=True)
    # Cached as it was (the CSRF token, filled in per request, carries the second it was made in).
    assert comment_count(first) == 1 and CSRF_FIELD.sub("", again) == CSRF_FIELD.sub("", first)

    author = browser_for()
    comment_id = post_comment(author, consultation, "Et nytt innspill om skoleveien")
    page = client.get(url).get_data(as_text=True)
    assert "Et nytt innspill om skoleveien" in page and comment_count(page) == 2

    assert act(browser_for("moderator"), comment_id, "hide", reason="personopplysninger").status_code == 303
    page = client.get(url).get_data(as_text=True)
    assert "Et nytt innspill om skoleveien" not in page and comment_count(page) == 1

    assert act(browser_for("moderator"), comment_id, "restore").status_code == 303
    assert comment_count(client.get(url).get_data(as_text=True)) == 2
    removed = author.submit(f"/kommentarer/{comment_id}/fjern")
    assert removed.status_code == 303
    page = client.get(url).get_data(as_text=True)
    assert "Et nytt innspill om skoleveien" not in page and comment_count(page) == 1


def test_a_thread_locked_without_an_event_shows_at_once(client, browser_for, make_consultation, make_comment,
                                                        make_user):
    consultation = make_consultation()
    comment = make_comment(consultation, make_user(), "Lås meg")
    url = f"/hoeringer/{consultation.slug}"
    before = client.get(url).get_data(as_text=True)
    assert act(browser_for("moderator"), comment.id, "lock").status_code == 303
    after = client.get(url).get_data(as_text=True)
    assert CSRF_FIELD.sub("", after) != CSRF_FIELD.sub("", before) and 'class="notice"' in after


def test_supports_and_a_new_display_name_show_at_once(client, browser_for, make_consultation, make_comment, make_user):
    consultation = make_consultation()
    author = browser_for(name="Kari Skribent")
    comment = make_comment(consultation, author.user, "Støtt meg")
    url = f"/hoeringer/{consultation.slug}"
    assert "enig" not in client.get(url).get_data(as_text=True)  # no zero counts
    supporter = browser_for()
    supporter.submit(url, f"/kommentarer/{comment.id}/stotte", data={"supported": "1"})
    page = client.get(url).get_data(as_text=True)
    assert "1 enig, 0 uenig" in page, page[page.find("Støtt meg"):][:600]

    assert author.submit("/min-side", data={"display_name": "Kari Nytt-Navn"}).status_code == 303
    page = client.get(url).get_data(as_text=True)
    assert "Kari Nytt-Navn" in page and "Kari Skribent" not in page


def test_every_stance_change_raises_the_version_and_shows_at_once(client, app, browser_for, make_consultation,
                                                                 make_comment, make_user):
    """Agreeing, switching to disagree and taking it back: each raises the content version
    and the anonymous page (cached on it) shows the counts at once; a comment split down
    the middle is marked contested there too."""
    consultation = make_consultation()
    comment = make_comment(consultation, make_user(), "Del meg", support_count=6, disagree_count=4)
    url = f"/hoeringer/{consultation.slug}"

    def version():
        with app.app_context():
            return db.session.get(Consultation, consultation.id).content_version

    page = client.get(url).get_data(as_text=True)
    assert '<span class="stance-counts contested">Omstridt: 6 enig, 4 uenig</span>' in page
    voter = browser_for()
    seen = [version()]
    for stance, shown in (("agree", "Omstridt: 7 enig, 4 uenig"), ("disagree", "Omstridt: 6 enig, 5 uenig"),
                          ("", "Omstridt: 6 enig, 4 uenig")):
        assert voter.submit(url, f"/kommentarer/{comment.id}/stotte", data={"stance": stance}).status_code == 303
        seen.append(version())
        assert shown in client.get(url).get_data(as_text=True), stance
    assert seen == sorted(set(seen)) and len(seen) == 4  # every change raised it
    # Asking for the stance one holds already changes nothing, and raises nothing.
    voter.submit(url, f"/kommentarer/{comment.id}/stotte", data={"stance": "agree"})
    before = version()
    voter.submit(url, f"/kommentarer/{comment.id}/stotte", data={"stance": "agree"})
    assert version() == before


def test_a_cached_page_carries_no_other_readers_data_and_each_visitor_its_own_csrf_token(
        app, browser_for, make_consultation, make_comment, make_user):
    consultation = make_consultation()
    make_comment(consultation, make_user(), "Et innlegg")
    url = f"/hoeringer/{consultation.slug}"
    reader = browser_for(name="Ola Innlogget")
    own = reader.get(url).get_data(as_text=True)
    assert "/logg-ut" in own and 'class="stance-button' in own

    first, second = app.test_client(), app.test_client()
    first_page = first.get(url).get_data(as_text=True)
    second_page = second.get(url)
    second_html = second_page.get_data(as_text=True)
    for page in (first_page, second_html):
        assert "/logg-ut" not in page and "Ola Innlogget" not in page and 'class="stance-button' not in page
        assert csrf_token_from(own) not in page
    first_token, second_token = csrf_token_from(first_page), csrf_token_from(second_html)
    assert first_token != second_token  # each visitor's own session
    # The token in the cached page works for its visitor: the language switch takes it.
    switched = second.post("/sprak", data={"csrf_token": second_token, "lang": "en", "next": url})
    assert switched.status_code in (302, 303), switched.status_code
    english = second.get(url).get_data(as_text=True)
    assert '<html lang="en"' in english and english != second_html  # the language is part of the key
    # Security headers stay on the cached answer.
    assert "default-src 'self'" in second_page.headers["Content-Security-Policy"]
    assert second_page.headers["X-Frame-Options"] == "DENY"
    # The logged-in reader, after all that, still has their own controls.
    again = reader.get(url).get_data(as_text=True)
    assert "/logg-ut" in again and 'class="stance-button' in again


def test_a_flash_message_is_never_cached_for_others(client, browser_for, make_consultation, make_comment, make_user):
    consultation = make_consultation()
    make_comment(consultation, make_user(), "Et innlegg")
    url = f"/hoeringer/{consultation.slug}"
    with client.session_transaction() as session:
        session["_flashes"] = [("info", "Bare til deg")]
    assert "Bare til deg" in client.get(url).get_data(as_text=True)
    assert "Bare til deg" not in client.get(url).get_data(as_text=True)


def test_views_cost_a_constant_number_of_queries_and_none_counts_all_comments(
        app, client, browser_for, make_consultation, make_comment, make_user):
    small, large = make_consultation(), make_consultation()
    user = make_user()
    make_comment(small, user, "eneste")
    for i in range(40):
        top = make_comment(large, user, f"tråd {i}")
        make_comment(large, make_user(), "svar", parent=top)
    reader = browser_for()
    reader.get("/")  # shows the login's flash message
    counts = {}
    for consultation in (small, large):
        url = f"/hoeringer/{consultation.slug}"
        with captured_sql(app) as cold:
            assert client.get(url).status_code == 200
        with captured_sql(app) as warm:
            assert client.get(url).status_code == 200
        with captured_sql(app) as reader_cold:
            assert reader.get(url).status_code == 200
        with captured_sql(app) as logged_in:
            assert reader.get(url).status_code == 200
        counts[consultation.slug] = (len(cold), len(warm), len(reader_cold), len(logged_in))
        # The cold view read the content head; the warm one reuses it (CONTENT_HEAD_MEMO_SECONDS).
        assert warm == []
        # A plain citizen's page from the cache: the user with their ban, the content head
        # and their own supports, reports, waiting comment and subscription, in one query.
        assert len(logged_in) == 1 and not any("count(" in statement.lower() for statement in logged_in)
        # Counts the page for a reader class still makes when it is rendered: the stand-in
        # reader's waiting threads, and the size of the threads on the page (a window over
        # those threads' comments); nothing that counts the consultation's comments.
        for statement in reader_cold:
            lowered = statement.lower()
            if "count(" in lowered:
                assert "author_id =" in lowered or ") over (" in lowered, statement
    assert counts[small.slug] == counts[large.slug]


def test_api_answers_come_from_the_cache_and_revalidate_with_304(app, client, make_consultation, make_comment,
                                                                make_user):
    consultation = make_consultation()
    user = make_user()
    make_comment(consultation, user, "Først")
    url = f"/api/v1/consultations/{consultation.slug}/comments"
    first = client.get(url)
    with captured_sql(app) as statements:
        second = client.get(url)
    assert second.get_data() == first.get_data() and statements == []  # the head read by the first is reused
    assert second.headers["ETag"] == first.headers["ETag"]
    assert second.headers["Last-Modified"] == first.headers["Last-Modified"]
    revalidated = client.get(url, headers={"If-None-Match": first.headers["ETag"]})
    assert revalidated.status_code == 304 and revalidated.get_data() == b""

    make_comment(consultation, user, "Så en til")
    changed = client.get(url, headers={"If-None-Match": first.headers["ETag"]})
    assert changed.status_code == 200 and changed.get_json()["total"] == 2


def test_a_change_by_another_process_shows_once_the_memo_expires_and_one_by_this_process_at_once(
        app, client, browser_for, make_consultation, make_comment, make_user, monkeypatch):
    """The content head is reused for ``CONTENT_HEAD_MEMO_SECONDS``: a change that another
    worker committed (here: an UPDATE on a connection of its own, which this process's
    session never sees) shows when that time is up; a change made through this process
    empties the memo at its commit and shows at once."""
    monkeypatch.setitem(app.config, "CONTENT_HEAD_MEMO_SECONDS", 3600)
    consultation = make_consultation(title="Den gamle tittelen")
    url = f"/hoeringer/{consultation.slug}"
    assert "Den gamle tittelen" in client.get(url).get_data(as_text=True)
    with app.app_context(), db.engine.begin() as other_worker:
        other_worker.execute(sa.text("UPDATE consultation SET title = 'Den nye tittelen', "
                                     "content_version = content_version + 1 WHERE id = :id"), {"id": consultation.id})

    assert "Den gamle tittelen" in client.get(url).get_data(as_text=True)  # within the hour, from the memo
    monkeypatch.setitem(app.config, "CONTENT_HEAD_MEMO_SECONDS", 0.05)
    time.sleep(0.1)  # the memo's time is up
    assert "Den nye tittelen" in client.get(url).get_data(as_text=True)

    # A comment posted through this process is on the anonymous page at once.
    citizen = browser_for()
    citizen.comment(consultation.slug, "Et ferskt innspill fra denne prosessen")
    assert "Et ferskt innspill fra denne prosessen" in client.get(url).get_data(as_text=True)


def test_a_house_rule_renamed_shows_at_once_in_the_placeholders_of_comments_it_hid(
        app, client, browser_for, make_consultation, make_comment, make_user):
    from hoering.moderation.models import HouseRule

    consultation = make_consultation()
    comment = make_comment(consultation, make_user(), "Et innlegg med et telefonnummer")
    make_comment(consultation, make_user(), "Et svar, som holder plassen åpen", parent=comment)
    assert act(browser_for("moderator"), comment.id, "hide", reason="personopplysninger").status_code == 303
    url = f"/hoeringer/{consultation.slug}"
    with app.app_context():
        rule = db.session.scalars(sa.select(HouseRule).where(HouseRule.code == "personopplysninger")).one()
        rule_id, description = rule.id, rule.description
    assert "Nytt navn på regelen" not in client.get(url).get_data(as_text=True)  # cached now

    admin = browser_for("admin")
    answer = admin.submit(f"/admin/ordensregler/{rule_id}", data={
        "title": "Nytt navn på regelen", "description": description, "position": "1", "is_active": "y"})

    assert answer.status_code == 303
    assert "Nytt navn på regelen" in client.get(url).get_data(as_text=True)


def test_a_new_role_shows_at_once_in_the_badge_beside_the_authors_comments(
        app, client, browser_for, make_consultation, make_comment, make_user):
    """The staff badge comes from the author's role; an administrator's change of role is
    a bulk UPDATE without an event, and raises the versions of the pages it shows on."""
    from hoering.accounts.models import User
    from hoering.admin.services import change_role

    consultation = make_consultation()
    moderator = make_user("moderator")
    make_comment(consultation, moderator, "Et innlegg fra en moderator")
    url = f"/hoeringer/{consultation.slug}"
    reader = browser_for()
    for browser in (client, reader.client):
        assert 'class="badge badge-staff"' in browser.get(url).get_data(as_text=True)  # cached now
    admin = make_user("admin")
    with app.app_context():
        change_role(db.session.get(User, moderator.id), db.session.get(User, admin.id), "citizen")

    for browser in (client, reader.client):
        assert 'class="badge badge-staff"' not in browser.get(url).get_data(as_text=True)


def test_text_that_looks_like_a_marker_stays_as_typed_in_the_cached_page(client, browser_for, make_consultation):
    consultation = make_consultation()
    typed = "Se https://example.org/?t=__hoering_csrf_token__ og <@hoering csrf@> her"
    browser_for().comment(consultation.slug, typed)
    url = f"/hoeringer/{consultation.slug}"
    first, cached = client.get(url).get_data(as_text=True), client.get(url).get_data(as_text=True)
    assert "?t=__hoering_csrf_token__" in first and "?t=__hoering_csrf_token__" in cached
    assert "&lt;@hoering csrf@&gt;" in cached


def test_made_up_sorts_and_page_one_share_the_key_of_the_plain_page(app, client, make_consultation):
    from hoering import cache

    url = f"/hoeringer/{make_consultation().slug}"
    kept = []
    real_put = cache.put

    def spy(key, value):
        kept.append(key)
        real_put(key, value)

    cache.put = spy
    try:
        for query in ("", "?sort=aaaa", "?sort=aaab", "?sort=newest", "?page=1", "?sort=zzz&page=1"):
            assert client.get(url + query).status_code == 200
    finally:
        cache.put = real_put
    assert len([key for key in kept if key.startswith("consultation:")]) == 1


def test_tags_added_one_by_one_or_in_bulk_show_at_once_in_the_published_summary(
        client, browser_for, make_consultation, make_comment, make_user, app):
    """A tag is added by an INSERT, which flushes no object: the summaries raise the
    version themselves. The published summary counts each theme's comments."""
    from hoering.summaries.models import Theme
    from tests.summaries.test_themes_and_summary import create_theme, summary_data, tag

    consultation = make_consultation(status="closed")
    moderator = browser_for("moderator")
    author = make_user()
    first, second, third = (make_comment(consultation, author, f"Innspill om bussen {i}") for i in range(3))
    create_theme(moderator, consultation, "Buss")
    with app.app_context():
        buss = db.session.scalar(sa.select(Theme.id).where(Theme.name == "Buss"))
    tag(moderator, buss, [first.id])
    assert summary_data(moderator, consultation, overview="", overview_quotes="", action="publish",
                        **{f"theme-{buss}-text": "Mange vil ha flere busser."}).status_code == 303
    url = f"/hoeringer/{consultation.slug}"

    def theme_count() -> str:
        page = client.get(url).get_data(as_text=True)
        return re.search(r'id="heard-theme-\d+">Buss</h3>\s*<p class="meta"[^>]*>([^·<]*)', page).group(1).strip()

    assert theme_count() == "1 kommentar"
    assert theme_count() == "1 kommentar"  # from the cache
    one_by_one = f"/moderering/hoeringer/{consultation.slug}/en-og-en"
    moderator.submit(one_by_one, f"{one_by_one}/{second.id}", data={"action": "tag", "theme": str(buss)})
    assert theme_count() == "2 kommentarer"
    page = moderator.submit(f"/moderering/hoeringer/{consultation.slug}/temaer",
                            f"/moderering/hoeringer/{consultation.slug}/merk-alle",
                            data={"action": "tag", "theme": str(buss)}).get_data(as_text=True)
    moderator.client.post(f"/moderering/hoeringer/{consultation.slug}/merk-alle",
                          data={"csrf_token": csrf_token_from(page), "action": "tag", "theme": str(buss),
                                "confirm": "1"})
    assert theme_count() == "3 kommentarer"
    # A "read, no theme" mark is not shown to readers and keeps the cached page.
    with app.app_context():
        from hoering.consultations.models import Consultation
        version = db.session.get(Consultation, consultation.id).content_version
    moderator.submit(f"/moderering/hoeringer/{consultation.slug}/temaer",
                     f"/moderering/hoeringer/{consultation.slug}/lest-uten-tema", data={"comment": str(third.id)})
    with app.app_context():
        assert db.session.get(Consultation, consultation.id).content_version == version
