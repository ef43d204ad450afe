"""Thread layout (DESIGN §3): ordering, depth cap, pagination by thread, query count."""

from __future__ import annotations

import datetime as dt
import html
import re

import pytest

from tests.conftest import csrf_token_from

NOW = dt.datetime.now(dt.UTC)


def ids_in_page(html: str) -> list[int]:
    return [int(n) for n in re.findall(r'<article class="comment[^"]*" id="kommentar-(\d+)"', html)]


def depths_in_page(html: str) -> dict[int, int]:
    return {int(i): int(d) for d, i in re.findall(r'<article class="comment depth-(\d) [^"]*" id="kommentar-(\d+)"', html)}


@pytest.fixture
def thread_scene(make_user, make_consultation, make_comment):
    """Three threads at known times and supports; the middle one has a reply chain."""
    consultation = make_consultation()
    user = make_user()
    old = make_comment(consultation, user, "gammel", created_at=NOW - dt.timedelta(hours=3), support_count=1)
    mid = make_comment(consultation, user, "midt", created_at=NOW - dt.timedelta(hours=2), support_count=9)
    new = make_comment(consultation, user, "ny", created_at=NOW - dt.timedelta(hours=1), support_count=4)
    reply = make_comment(consultation, user, "svar", parent=mid, created_at=NOW - dt.timedelta(minutes=30))
    return consultation, old, mid, new, reply


@pytest.mark.parametrize("sort, expected", [
    ("newest", ["new", "mid", "reply", "old"]),
    ("oldest", ["old", "mid", "reply", "new"]),
    ("supported", ["mid", "reply", "new", "old"]),
])
def test_threads_are_ordered_by_the_chosen_sort_with_replies_under_their_thread(client, thread_scene, sort, expected):
    consultation, old, mid, new, reply = thread_scene
    names = {"old": old.id, "mid": mid.id, "new": new.id, "reply": reply.id}
    html = client.get(f"/hoeringer/{consultation.slug}?sort={sort}").get_data(as_text=True)
    assert ids_in_page(html) == [names[n] for n in expected]


def test_unknown_sort_falls_back_to_newest(client, thread_scene):
    consultation, old, mid, new, reply = thread_scene
    html = client.get(f"/hoeringer/{consultation.slug}?sort=<script>").get_data(as_text=True)
    assert ids_in_page(html) == [new.id, mid.id, reply.id, old.id]


def test_replies_nest_to_depth_three_and_deeper_replies_name_whom_they_answer(
        browser, make_user, make_consultation, make_comment):
    consultation = make_consultation()
    chain = [make_comment(consultation, make_user(name="Nivå 0"), "nivå 0")]
    browser.login(make_user())
    for level in range(1, 6):  # reply through the web form, five levels deep
        page = browser.get(f"/hoeringer/{consultation.slug}").get_data(as_text=True)
        parent_id = chain[-1] if isinstance(chain[-1], int) else chain[-1].id
        response = browser.client.post(f"/hoeringer/{consultation.slug}/kommentarer", data={
            "csrf_token": csrf_token_from(page), "text": f"nivå {level}", "parent_id": str(parent_id)})
        assert response.status_code == 303
        chain.append(int(response.headers["Location"].rsplit("/", 1)[1]))

    html = browser.get(f"/hoeringer/{consultation.slug}").get_data(as_text=True)
    depths = depths_in_page(html)
    assert [depths[c if isinstance(c, int) else c.id] for c in chain] == [0, 1, 2, 3, 3, 3]
    assert ids_in_page(html) == [chain[0].id, *chain[1:]]
    level5 = html[html.index(f'id="kommentar-{chain[5]}"'):]
    assert "Svar til" in level5[:1500]


def test_threads_are_paginated_twenty_to_a_page_with_replies_kept_together(client, make_user, make_consultation,
                                                                            make_comment):
    consultation = make_consultation()
    user = make_user()
    tops = [make_comment(consultation, user, f"tråd {i}", created_at=NOW - dt.timedelta(minutes=100 - i))
            for i in range(25)]
    reply = make_comment(consultation, user, "svar på den eldste", parent=tops[0])

    first = client.get(f"/hoeringer/{consultation.slug}").get_data(as_text=True)
    second = client.get(f"/hoeringer/{consultation.slug}?page=2").get_data(as_text=True)

    assert ids_in_page(first) == [t.id for t in reversed(tops[5:])]
    assert ids_in_page(second) == [t.id for t in reversed(tops[1:5])] + [tops[0].id, reply.id]
    assert re.search(r'<a href="[^"]*"[^>]* aria-current="page"><span class="visually-hidden">Side </span>1</a>', first)
    assert re.search(r'<a href="[^"]*"[^>]* aria-current="page"><span class="visually-hidden">Side </span>2</a>', second)
    assert ids_in_page(client.get(f"/hoeringer/{consultation.slug}?page=99").get_data(as_text=True)) == \
        ids_in_page(second)


def test_permalink_leads_to_the_page_and_anchor_of_the_comment(client, make_user, make_consultation, make_comment):
    consultation = make_consultation()
    user = make_user()
    tops = [make_comment(consultation, user, f"tråd {i}", created_at=NOW - dt.timedelta(minutes=100 - i))
            for i in range(21)]
    reply = make_comment(consultation, user, "svar", parent=tops[0])
    response = client.get(f"/kommentarer/{reply.id}")
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/hoeringer/{consultation.slug}?page=2#kommentar-{reply.id}")


def test_a_link_to_a_hidden_comment_says_it_is_no_longer_shown(client, make_user, make_consultation, make_comment):
    consultation = make_consultation()
    hidden = make_comment(consultation, make_user(), "Et skjult innlegg", state="hidden")
    shown = make_comment(consultation, make_user(), "Et synlig innlegg")
    page = client.get(f"/kommentarer/{hidden.id}", follow_redirects=True).get_data(as_text=True)
    assert "Kommentaren vises ikke lenger" in page and "Et skjult innlegg" not in page
    assert "Kommentaren vises ikke lenger" not in client.get(f"/kommentarer/{shown.id}",
                                                             follow_redirects=True).get_data(as_text=True)


def test_a_page_of_threads_costs_the_same_number_of_queries_however_many_comments(
        client, make_user, make_consultation, make_comment, count_queries):
    small, large = make_consultation(), make_consultation()
    user = make_user()
    make_comment(small, user, "eneste")
    for i in range(60):
        top = make_comment(large, user, f"tråd {i}")
        make_comment(large, user, "svar", parent=top)
    client.get("/")  # the schedule of urgent notices, read once for the whole site, is in the cache

    with count_queries() as small_count:
        assert client.get(f"/hoeringer/{small.slug}").status_code == 200
    with count_queries() as large_count:
        assert client.get(f"/hoeringer/{large.slug}").status_code == 200

    assert large_count.count == small_count.count
    # Nothing cached yet: the key of the cached page (the content head), the consultation,
    # its questions, its sections of the draft text, the page of threads, the counts, the
    # summary, the notices of deadline changes, the documents, the agenda item that decides
    # it, its formal responses' counts, and one spare: never more, however many comments.
    # Once cached, one (tests/consultations/test_page_cache.py).
    assert large_count.count <= 12


def reply_totals(page: str) -> dict[int, str]:
    return {int(i): text for i, text in re.findall(r'<p class="reply-total" id="svar-(\d+)">([^<]+)</p>', page)}


def test_each_thread_says_how_many_replies_it_has_and_a_thread_without_replies_says_nothing(
        client, make_user, make_consultation, make_comment):
    consultation = make_consultation()
    user = make_user()
    alone = make_comment(consultation, user, "ingen svar her")
    one = make_comment(consultation, user, "ett svar")
    make_comment(consultation, user, "svaret", parent=one)
    many = make_comment(consultation, user, "mange svar")
    for n in range(7):
        make_comment(consultation, user, f"svar {n}", parent=many)

    page = client.get(f"/hoeringer/{consultation.slug}").get_data(as_text=True)

    assert reply_totals(page) == {one.id: "1 svar", many.id: "7 svar"}
    assert alone.id not in reply_totals(page) and "0 svar" not in page
    client.set_cookie("hoering_lang", "en")
    english = client.get(f"/hoeringer/{consultation.slug}").get_data(as_text=True)
    assert reply_totals(english) == {one.id: "1 reply", many.id: "7 replies"}


def test_a_long_thread_is_folded_behind_a_link_to_its_own_page_that_shows_every_reply(
        client, app, make_user, make_consultation, make_comment):
    consultation = make_consultation()
    user = make_user()
    root = make_comment(consultation, user, "en lang tråd", created_at=NOW - dt.timedelta(hours=2))
    replies = [make_comment(consultation, user, f"svar {n}", parent=root,
                            created_at=NOW - dt.timedelta(hours=1) + dt.timedelta(minutes=n)) for n in range(14)]

    page = client.get(f"/hoeringer/{consultation.slug}").get_data(as_text=True)

    shown = app.config["THREAD_REPLIES_SHOWN"]
    assert ids_in_page(page) == [root.id, *(r.id for r in replies[:shown])]
    link = re.search(r'<a class="more-replies" href="([^"]+)" data-inline="1">([^<]+)</a>', page)
    assert link and link.group(2) == "Vis alle 14 svar"
    thread_page = client.get(link.group(1)).get_data(as_text=True)
    assert ids_in_page(thread_page) == [root.id, *(r.id for r in replies)]


def test_a_long_comment_keeps_its_whole_text_in_the_page_with_the_labels_for_folding_it(
        client, make_user, make_consultation, make_comment):
    consultation = make_consultation()
    long_text = "\n\n".join(f"Avsnitt {n} om sykkelveien langs fjorden." for n in range(30))
    make_comment(consultation, make_user(), long_text)

    page = client.get(f"/hoeringer/{consultation.slug}").get_data(as_text=True)

    assert "Avsnitt 0 om" in page and "Avsnitt 29 om" in page  # nothing cut on the server
    assert 'data-show-more="Vis mer" data-show-less="Vis mindre"' in page
    assert '<script src="/static/js/threads.js" defer></script>' in page


def test_threads_are_paginated_with_page_numbers_and_the_current_page_marked(
        client, make_user, make_consultation, make_comment):
    consultation = make_consultation()
    user = make_user()
    for i in range(130):  # seven pages of twenty
        make_comment(consultation, user, f"tråd {i}", created_at=NOW - dt.timedelta(minutes=200 - i))

    page = client.get(f"/hoeringer/{consultation.slug}?page=4&sort=oldest").get_data(as_text=True)

    nav = page[page.index('<nav class="pagination numbered"'):]
    nav = nav[:nav.index("</nav>")]
    numbers = re.findall(r'<a href="([^"]+)"( aria-current="page")?><span class="visually-hidden">Side </span>(\d+)</a>',
                         nav)
    assert [int(n) for _href, _current, n in numbers] == [1, 2, 3, 4, 5, 6, 7]
    assert [int(n) for _href, current, n in numbers if current] == [4]
    hrefs = {int(n): html.unescape(href) for href, _current, n in numbers}
    assert hrefs[1] == f"/hoeringer/{consultation.slug}?sort=oldest#comments-heading"
    assert hrefs[7] == f"/hoeringer/{consultation.slug}?sort=oldest&page=7#comments-heading"
    assert 'rel="prev"' in nav and 'rel="next"' in nav
    first = client.get(f"/hoeringer/{consultation.slug}").get_data(as_text=True)
    assert '<li class="gap" aria-hidden="true">…</li>' in first  # 1 2 3 … 7
