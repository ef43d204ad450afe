"""A thread with hundreds of replies: every page that shows it stays small, its replies
are folded under "show all" and paginated on the thread's own page, and every reply can
still be reached by following the pages (and by its permalink)."""

from __future__ import annotations

import datetime as dt
import html
import json
import re

import pytest

from hoering.comments.models import Comment
from hoering.comments.services import place_in_thread
from hoering.extensions import db
from hoering.moderation.models import Report
from hoering.sanitize import comment_html
from hoering.summaries.models import Theme

REPLIES = 800
#: Generous ceilings: a page that shows every reply of the thread is several MB.
PAGE_BYTES = 300_000
API_BYTES = 150_000
NOW = dt.datetime.now(dt.UTC)


def ids_in_page(page: str) -> list[int]:
    return [int(n) for n in re.findall(r'<article class="comment[^"]*" id="kommentar-(\d+)"', page)]


def next_link(page: str) -> str | None:
    match = re.search(r'<a rel="next" href="([^"]+)"', page)
    return html.unescape(match.group(1)).split("#")[0] if match else None


@pytest.fixture
def long_thread(app, make_user, make_consultation):
    """A consultation with a short thread and a thread of 800 replies: most answer the
    top-level comment, every fourth the reply before it (chains deeper than the nesting
    limit), and one reply is hidden by a moderator but keeps its own reply."""
    consultation = make_consultation()
    authors = [make_user(name=f"Deltaker {n}") for n in range(5)]
    with app.app_context():
        def add(text, parent=None, state="published", minutes=0):
            comment = Comment(consultation_id=consultation.id, author_id=authors[minutes % 5].id,
                              parent_id=parent.id if parent else None, body_text=text, body_html=comment_html(text),
                              state=state, created_at=NOW - dt.timedelta(days=1) + dt.timedelta(minutes=minutes))
            db.session.add(comment)
            db.session.flush()
            place_in_thread(comment, parent, app.config["MAX_REPLY_DEPTH"])
            return comment

        short = add("En kort tråd", minutes=-10)
        add("Et svar i den korte tråden", parent=short, minutes=-5)
        root = add("Starten på en lang tråd")
        replies = []
        for n in range(REPLIES):
            parent = replies[-1] if n % 4 == 3 else root
            state = "hidden" if n == 10 else "published"
            replies.append(add(f"Svar nummer {n + 1}", parent=parent, state=state, minutes=n + 1))
        root_id, ids, hidden_id = root.id, [c.id for c in replies], replies[10].id
        db.session.commit()
    return consultation, root_id, ids, hidden_id


def published_reply_ids(ids, hidden_id):
    return [i for i in ids if i != hidden_id]


def test_the_consultation_page_shows_a_few_replies_and_a_link_to_all_of_them(client, long_thread, app):
    consultation, root_id, ids, hidden_id = long_thread
    response = client.get(f"/hoeringer/{consultation.slug}")
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and len(response.data) < PAGE_BYTES
    shown = app.config["THREAD_REPLIES_SHOWN"]
    in_long_thread = [i for i in ids_in_page(page) if i == root_id or i in ids]
    assert in_long_thread == [root_id, *ids[:shown]]
    link = re.search(r'<a class="more-replies" href="([^"]+)">([^<]+)</a>', page)
    assert link and f"Vis alle {REPLIES} svar" in link.group(2)
    assert html.unescape(link.group(1)).startswith(f"/hoeringer/{consultation.slug}/traad/{root_id}")


def test_the_thread_page_reaches_every_reply_page_by_page_without_javascript(client, long_thread, app):
    consultation, root_id, ids, hidden_id = long_thread
    front = client.get(f"/hoeringer/{consultation.slug}").get_data(as_text=True)
    url = html.unescape(re.search(r'<a class="more-replies" href="([^"]+)"', front).group(1))
    seen, pages = [], 0
    while url:
        response = client.get(url)
        assert response.status_code == 200 and len(response.data) < PAGE_BYTES
        page = response.get_data(as_text=True)
        on_page = ids_in_page(page)
        assert on_page[0] == root_id  # the top-level comment heads every page
        assert len(on_page) <= app.config["REPLIES_PER_PAGE"] + 1
        seen += on_page[1:]
        pages += 1
        url = next_link(page)
    assert seen == ids  # every reply, in reading order, once; the hidden one as a placeholder
    assert pages == -(-REPLIES // app.config["REPLIES_PER_PAGE"])
    first = client.get(f"/hoeringer/{consultation.slug}/traad/{root_id}").get_data(as_text=True)
    assert f'href="/hoeringer/{consultation.slug}/traad/{root_id}?page={pages}"' in first  # numbered pages


def test_a_permalink_to_a_late_reply_lands_on_the_thread_page_that_shows_it(client, long_thread):
    consultation, root_id, ids, hidden_id = long_thread
    reply_700 = ids[699]
    response = client.get(f"/kommentarer/{reply_700}")
    assert response.status_code == 303
    location = response.headers["Location"]
    assert location.startswith(f"/hoeringer/{consultation.slug}/traad/{root_id}") \
        and location.endswith(f"#kommentar-{reply_700}")
    assert reply_700 in ids_in_page(client.get(location).get_data(as_text=True))
    early = client.get(f"/kommentarer/{ids[0]}").headers["Location"]  # folded in on the consultation page
    assert early == f"/hoeringer/{consultation.slug}#kommentar-{ids[0]}"


def test_a_reply_on_a_later_page_still_names_whom_it_answers(client, long_thread, app):
    consultation, root_id, ids, hidden_id = long_thread
    per_page = app.config["REPLIES_PER_PAGE"]
    first_on_page_2 = ids[per_page]  # a reply to the reply before it, which is on page 1
    page = client.get(f"/hoeringer/{consultation.slug}/traad/{root_id}?page=2").get_data(as_text=True)
    article = page[page.index(f'id="kommentar-{first_on_page_2}"'):]
    article = article[:article.index("</article>")]
    assert "Svar til Deltaker" in article


def test_a_reply_from_the_thread_page_that_fails_comes_back_there_with_its_text(browser_for, long_thread):
    consultation, root_id, ids, hidden_id = long_thread
    citizen = browser_for()
    url = f"/hoeringer/{consultation.slug}/traad/{root_id}?page=3"
    page = citizen.get(url).get_data(as_text=True)
    target = ids_in_page(page)[5]
    action = html.unescape(re.search(
        rf'<form method="post" action="([^"]+)" novalidate>\s*<input type="hidden" name="csrf_token" value="[^"]+">'
        rf'\s*<input type="hidden" name="parent_id" value="{target}">', page).group(1))
    too_long = "ø" * (10_000)
    from tests.conftest import csrf_token_from

    response = citizen.client.post(action, data={"csrf_token": csrf_token_from(page), "parent_id": str(target),
                                                 "text": too_long})
    body = response.get_data(as_text=True)
    assert response.status_code == 422
    assert f"/traad/{root_id}" in body and too_long in body
    assert target in ids_in_page(body)


def test_unknown_threads_and_replies_are_not_thread_pages(client, long_thread, make_consultation):
    consultation, root_id, ids, hidden_id = long_thread
    other = make_consultation()
    assert client.get(f"/hoeringer/{consultation.slug}/traad/{ids[0]}").status_code == 404  # a reply
    assert client.get(f"/hoeringer/{other.slug}/traad/{root_id}").status_code == 404  # another consultation
    assert client.get(f"/hoeringer/{consultation.slug}/traad/999999").status_code == 404
    last = client.get(f"/hoeringer/{consultation.slug}/traad/{root_id}?page=9999")
    assert last.status_code == 200 and ids[-1] in ids_in_page(last.get_data(as_text=True))


@pytest.fixture
def themes(app, long_thread):
    consultation = long_thread[0]
    with app.app_context():
        db.session.add_all([Theme(consultation_id=consultation.id, name=f"Tema {n:02d}") for n in range(40)])
        db.session.commit()
    return 40


def test_moderator_theme_controls_cost_the_same_whatever_the_size_of_the_thread(browser_for, long_thread, themes,
                                                                                 app):
    consultation, root_id, ids, hidden_id = long_thread
    moderator = browser_for("moderator")
    for url in (f"/hoeringer/{consultation.slug}", f"/hoeringer/{consultation.slug}/traad/{root_id}?page=2"):
        response = moderator.get(url)
        page = response.get_data(as_text=True)
        assert response.status_code == 200 and len(response.data) < PAGE_BYTES
        assert page.count("<option") <= themes + 10  # one theme list for the whole page
        assert page.count("<select") <= 3


def test_moderator_tags_comments_of_a_thread_page_with_one_shared_form(browser_for, long_thread, themes, app):
    consultation, root_id, ids, hidden_id = long_thread
    moderator = browser_for("moderator")
    url = f"/hoeringer/{consultation.slug}/traad/{root_id}?page=2"
    page = moderator.get(url).get_data(as_text=True)
    form = re.search(r'<form id="([^"]+)" [^>]*action="([^"]+)"', page)
    chosen = ids_in_page(page)[1:3]
    for comment_id in chosen:  # each comment's box belongs to the shared form
        assert re.search(rf'<input type="checkbox" form="{form.group(1)}" name="comment" value="{comment_id}"', page)
    theme_id = re.search(r'<option value="(\d+)">Tema 07</option>', page).group(1)
    back = html.unescape(re.search(rf'<form id="{form.group(1)}".*?name="back" value="([^"]+)"', page, re.S).group(1))
    from tests.conftest import csrf_token_from

    response = moderator.client.post(form.group(2), data={
        "csrf_token": csrf_token_from(page), "back": back, "theme": theme_id, "remove": "0",
        "comment": [str(i) for i in chosen]})
    assert response.status_code == 303 and response.headers["Location"].startswith(url.split("?")[0])
    again = moderator.get(url).get_data(as_text=True)
    for comment_id in chosen:
        article = again[again.index(f'id="kommentar-{comment_id}"'):]
        assert "Tema 07" in article[:article.index("</article>")]


def test_the_moderators_comment_page_and_queue_stay_small(browser_for, long_thread, app, make_user):
    consultation, root_id, ids, hidden_id = long_thread
    with app.app_context():  # the top-level comment is reported: it is in the queue with its replies
        db.session.add(Report(comment_id=root_id, reporter_id=make_user().id, reason="spam", text=""))
        db.session.commit()
    moderator = browser_for("moderator")
    for url in (f"/moderering/kommentarer/{root_id}", "/moderering"):
        response = moderator.get(url)
        page = response.get_data(as_text=True)
        assert response.status_code == 200 and len(response.data) < PAGE_BYTES
        assert page.count('class="mod-comment') <= app.config["REPLIES_PER_PAGE"] + 2
        assert f"/hoeringer/{consultation.slug}/traad/{root_id}" in page  # the way to the rest
    # the moderator's comment page pages through the direct replies too
    direct = [i for n, i in enumerate(ids) if n % 4 != 3]
    seen, url = [], f"/moderering/kommentarer/{root_id}"
    while url:
        page = moderator.get(url).get_data(as_text=True)
        seen += [int(i) for i in re.findall(r'<div class="mod-comment [^"]*" id="svar-(\d+)"', page)]
        url = next_link(page)
    assert seen == direct


def test_the_api_gives_a_few_replies_per_thread_and_pages_through_the_rest(client, long_thread, app):
    consultation, root_id, ids, hidden_id = long_thread
    response = client.get(f"/api/v1/consultations/{consultation.slug}/comments")
    assert response.status_code == 200 and len(response.data) < API_BYTES
    thread = next(t for t in response.get_json()["threads"] if t["id"] == root_id)
    assert thread["reply_count"] == REPLIES

    def flatten(node):
        for reply in node["replies"]:
            yield reply["id"]
            yield from flatten(reply)

    assert list(flatten(thread)) == ids[:app.config["THREAD_REPLIES_SHOWN"]]
    url, seen = thread["replies_url"], []
    while url:
        answer = client.get(url)
        assert answer.status_code == 200 and len(answer.data) < API_BYTES
        data = answer.get_json()
        assert data["thread"]["id"] == root_id and data["total_replies"] == REPLIES
        seen += [reply["id"] for reply in data["replies"]]
        url = data["links"]["next"]
    assert seen == ids
    placeholder = client.get(thread["replies_url"]).get_json()["replies"][10]
    assert placeholder["id"] == hidden_id and placeholder["text"] is None and placeholder["state"] == "hidden"


def test_the_api_thread_refuses_bad_input_as_json(client, long_thread):
    consultation, root_id, ids, hidden_id = long_thread
    base = f"/api/v1/consultations/{consultation.slug}/threads"
    for url, status in ((f"{base}/{root_id}?page=x", 400), (f"{base}/{root_id}?per_page=1000", 400),
                        (f"{base}/{ids[0]}", 404), (f"{base}/99999999", 404)):
        response = client.get(url)
        assert response.status_code == status and "error" in json.loads(response.data)
