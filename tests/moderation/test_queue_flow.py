"""The moderator's way through the queue: a comment judged in its thread, and after each
decision the next comment of the queue (its order and filters), until it is empty."""

from __future__ import annotations

import datetime as dt
import re

from tests.conftest import csrf_token_from
from tests.moderation.helpers import comment_row

NOW = dt.datetime.now(dt.UTC)


def decide(moderator, page_url: str, action: str, reason: str = ""):
    """Open ``page_url`` (a comment's moderation page, with the queue's filters) and post
    ``action`` from its form, as the moderator does."""
    page = moderator.get(page_url).get_data(as_text=True)
    form = page[page.index(f'name="action" value="{action}"') - 600:]
    return moderator.client.post(re.search(r'<form method="post" action="([^"]+)"', page).group(1), data={
        "csrf_token": csrf_token_from(page), "action": action, "reason": reason,
        "version": re.search(r'name="version" value="(\d+)"', form).group(1),
        "queue": re.search(r'name="queue" value="([^"]*)"', form).group(1).replace("&amp;", "&")})


def test_a_reply_is_judged_in_its_thread_with_the_states_of_the_others(browser_for, make_consultation,
                                                                       make_comment, make_user):
    consultation = make_consultation()
    author = make_user(name="Siri Svar")
    root = make_comment(consultation, make_user(name="Ola Start"), "Trådens første innlegg om bussen")
    middle = make_comment(consultation, make_user(name="Kari Mellom"), "Et skjult mellomledd", parent=root,
                          state="hidden")
    parent = make_comment(consultation, make_user(name="Per Forelder"), "Svaret som besvares", parent=middle)
    reply = make_comment(consultation, author, "Ventende svar til Per", parent=parent, state="pending")
    make_comment(consultation, make_user(name="Lise Under"), "Et avvist svar under", parent=reply, state="rejected")
    moderator = browser_for("moderator")
    for url in ("/moderering", f"/moderering/kommentarer/{reply.id}"):
        html = moderator.get(url).get_data(as_text=True)
        chain = html[html.index('<ol class="ancestors">'):]
        chain = chain[:chain.index("</ol>")]
        assert chain.index("Ola Start") < chain.index("Kari Mellom")
        assert "Trådens første innlegg om bussen" in chain and "Et skjult mellomledd" in chain
        assert "Skjult" in chain and "Publisert" in chain  # each with its state
        assert "Svaret som besvares" in html and "Svaret som besvares" not in chain  # the parent in full
        assert "Et avvist svar under" in html and "Avvist" in html  # its replies, with their states


def test_a_decision_leads_to_the_next_comment_in_the_filtered_queue_until_it_is_empty(
        browser_for, make_consultation, make_comment, make_user):
    school, harbour = make_consultation(title="Skole"), make_consultation(title="Havn")
    author = make_user()
    first = make_comment(school, author, "eldst", state="pending", created_at=NOW - dt.timedelta(hours=5))
    other = make_comment(harbour, author, "havn", state="pending", created_at=NOW - dt.timedelta(hours=4))
    second = make_comment(school, author, "nest eldst", state="pending", created_at=NOW - dt.timedelta(hours=3))
    moderator = browser_for("moderator")
    queue = moderator.get(f"/moderering?consultation={school.id}&state=pending").get_data(as_text=True)
    link = f"/moderering/kommentarer/{first.id}?consultation={school.id}&amp;state=pending"
    assert f'href="{link}"' in queue

    done = decide(moderator, link.replace("&amp;", "&"), "approve")
    assert done.status_code == 303
    assert done.headers["Location"] == f"/moderering/kommentarer/{second.id}?consultation={school.id}&state=pending"
    next_page = moderator.get(done.headers["Location"]).get_data(as_text=True)
    assert "Utført: Godkjent." in next_page and "nest eldst" in next_page
    assert comment_row(moderator.client.application, first.id).state == "published"

    last = decide(moderator, done.headers["Location"], "reject", reason="reklame")
    assert last.headers["Location"] == f"/moderering?consultation={school.id}&state=pending"
    end = moderator.get(last.headers["Location"]).get_data(as_text=True)
    assert "Utført: Avvist." in end and "Ingen flere kommentarer i køen passer med filteret." in end

    # Without a filter the whole queue is followed, and its end is told.
    assert decide(moderator, f"/moderering/kommentarer/{other.id}", "approve").headers["Location"] == "/moderering"
    assert "Køen er tom." in moderator.get("/moderering").get_data(as_text=True)


def test_the_next_comment_is_never_one_the_moderator_must_leave_to_another(browser_for, make_consultation,
                                                                           make_comment, make_user):
    consultation = make_consultation()
    moderator = browser_for("moderator")
    first = make_comment(consultation, make_user(), "først", state="pending", created_at=NOW - dt.timedelta(hours=3))
    make_comment(consultation, moderator.user, "min egen", state="pending", created_at=NOW - dt.timedelta(hours=2))
    third = make_comment(consultation, make_user(), "tredje", state="pending", created_at=NOW - dt.timedelta(hours=1))
    done = decide(moderator, f"/moderering/kommentarer/{first.id}", "approve")
    assert done.headers["Location"] == f"/moderering/kommentarer/{third.id}"


def test_locking_a_thread_stays_on_the_comment(browser_for, make_consultation, make_comment, make_user):
    consultation = make_consultation()
    top = make_comment(consultation, make_user(), "en tråd")
    make_comment(consultation, make_user(), "venter", state="pending")
    moderator = browser_for("moderator")
    assert decide(moderator, f"/moderering/kommentarer/{top.id}", "lock").headers["Location"] == \
        f"/moderering/kommentarer/{top.id}"


def test_odd_queue_filters_carried_by_the_form_are_ignored_cleanly(browser_for, make_consultation, make_comment,
                                                                  make_user):
    consultation = make_consultation()
    first = make_comment(consultation, make_user(), "først", state="pending", created_at=NOW - dt.timedelta(hours=2))
    second = make_comment(consultation, make_user(), "så", state="pending", created_at=NOW - dt.timedelta(hours=1))
    moderator = browser_for("moderator")
    page = moderator.get(f"/moderering/kommentarer/{first.id}?consultation=99999999999999999999&state=%00&q=%ff")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    response = moderator.client.post(f"/moderering/kommentarer/{first.id}/handling", data={
        "csrf_token": csrf_token_from(html), "action": "approve",
        "version": re.search(r'name="version" value="(\d+)"', html).group(1),
        "queue": "consultation=-1&state=x&reason=%00&junk=" + "ø" * 5000})
    assert response.status_code == 303 and response.headers["Location"] == f"/moderering/kommentarer/{second.id}"
