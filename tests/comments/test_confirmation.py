"""After posting, the new comment is where the reader lands: the redirect goes to its
anchor on the page that shows it, the confirmation is next to it (not at the top of the
page), and the comment takes the focus, described by the confirmation."""

from __future__ import annotations

import datetime as dt
import re

NOW = dt.datetime.now(dt.UTC)


def article_of(page: str, comment_id: int) -> str:
    start = page.index(f'id="kommentar-{comment_id}"')
    start = page.rindex("<article", 0, start)
    return page[start:page.index("</article>", start)]


def top_messages(page: str) -> str:
    match = re.search(r'<div class="messages">(.*?)</div>', page, re.DOTALL)
    return match.group(1) if match else ""


def test_a_new_comment_is_shown_with_its_confirmation_and_the_focus(browser, make_user, make_consultation):
    consultation = make_consultation()
    browser.login(make_user(name="Kari Nordmann"))

    response = browser.submit(f"/hoeringer/{consultation.slug}", f"/hoeringer/{consultation.slug}/kommentarer",
                              data={"text": "Flere benker, takk."})
    comment_id = int(response.headers["Location"].rsplit("/", 1)[1])
    landing = browser.get(response.headers["Location"])
    assert landing.headers["Location"] == f"/hoeringer/{consultation.slug}#kommentar-{comment_id}"
    page = browser.get(landing.headers["Location"]).get_data(as_text=True)

    article = article_of(page, comment_id)
    assert 'class="message message-success comment-confirmation"' in article
    assert "Takk! Kommentaren din er publisert." in article and 'role="status"' in article
    assert f'aria-describedby="kommentar-{comment_id}-bekreftelse" tabindex="-1" autofocus' in article
    assert "Takk!" not in top_messages(page)
    again = browser.get(f"/hoeringer/{consultation.slug}").get_data(as_text=True)
    assert "Takk!" not in again and "autofocus" not in article_of(again, comment_id)  # said once


def test_a_reply_on_a_later_page_of_threads_lands_there_with_its_confirmation(
        browser, make_user, make_consultation, make_comment):
    consultation = make_consultation()
    author = make_user()
    old = make_comment(consultation, author, "den eldste tråden", created_at=NOW - dt.timedelta(days=1))
    for n in range(25):  # the oldest thread is on page 2
        make_comment(consultation, author, f"tråd {n}", created_at=NOW - dt.timedelta(hours=20 - n / 2))
    browser.login(make_user())

    response = browser.submit(f"/hoeringer/{consultation.slug}?page=2",
                              f"/hoeringer/{consultation.slug}/kommentarer?page=2",
                              data={"text": "Et svar på den eldste", "parent_id": str(old.id)})
    reply_id = int(response.headers["Location"].rsplit("/", 1)[1])
    location = browser.get(response.headers["Location"]).headers["Location"]
    assert location == f"/hoeringer/{consultation.slug}?page=2#kommentar-{reply_id}"
    page = browser.get(location).get_data(as_text=True)
    assert "Takk! Svaret ditt er publisert." in article_of(page, reply_id)
    assert "Takk!" not in top_messages(page)


def test_a_comment_awaiting_approval_has_its_confirmation_next_to_it(browser, make_user, make_consultation):
    consultation = make_consultation(moderation_mode="pre")
    browser.login(make_user())
    response = browser.submit(f"/hoeringer/{consultation.slug}", f"/hoeringer/{consultation.slug}/kommentarer",
                              data={"text": "Venter på godkjenning"})
    comment_id = int(response.headers["Location"].rsplit("/", 1)[1])
    page = browser.get(response.headers["Location"], follow_redirects=True).get_data(as_text=True)
    assert "publiseres når en moderator har godkjent den" in article_of(page, comment_id)


def test_a_confirmation_whose_comment_is_not_on_the_page_stays_at_the_top(browser, make_user, make_consultation):
    consultation = make_consultation()
    browser.login(make_user())
    response = browser.submit(f"/hoeringer/{consultation.slug}", f"/hoeringer/{consultation.slug}/kommentarer",
                              data={"text": "Her er jeg"})
    assert response.status_code == 303
    page = browser.get("/").get_data(as_text=True)  # another page: the message is still said
    assert "Takk! Kommentaren din er publisert." in top_messages(page)
