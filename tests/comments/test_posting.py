"""Posting, replying, editing, removing and supporting comments through the web pages."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import event as sa_event

from hoering.comments.models import Comment
from hoering.extensions import db


def page_of(consultation) -> str:
    return f"/hoeringer/{consultation.slug}"


def post(browser, consultation, text: str, **extra):
    return browser.submit(page_of(consultation), f"{page_of(consultation)}/kommentarer", data={"text": text, **extra})


def stored_comments(app, consultation_id: int) -> list[Comment]:
    with app.app_context():
        rows = db.session.scalars(db.select(Comment).where(Comment.consultation_id == consultation_id)
                                  .order_by(Comment.id)).all()
        for row in rows:
            db.session.expunge(row)
        return rows


def test_citizen_posts_a_comment_and_sees_it_on_the_page(browser, make_user, make_consultation, app):
    user = make_user(name="Kari Nordmann")
    consultation = make_consultation()
    browser.login(user)

    response = post(browser, consultation, "Vi trenger flere benker langs stien.\n\nOg søppelkasser.")

    assert response.status_code == 303
    [comment] = stored_comments(app, consultation.id)
    assert response.headers["Location"].endswith(f"/kommentarer/{comment.id}")
    page = browser.get(page_of(consultation)).get_data(as_text=True)
    assert "<p>Vi trenger flere benker langs stien.</p><p>Og søppelkasser.</p>" in page
    assert "Kari Nordmann" in page
    assert "Takk! Kommentaren din er publisert." in page
    assert comment.body_text == "Vi trenger flere benker langs stien.\n\nOg søppelkasser."


def test_urls_in_comments_become_nofollow_links(browser, make_user, make_consultation, app):
    browser.login(make_user())
    consultation = make_consultation()
    post(browser, consultation, "Se https://example.org/plan?id=1&x=2 for detaljer")
    page = browser.get(page_of(consultation)).get_data(as_text=True)
    assert '<a href="https://example.org/plan?id=1&amp;x=2" rel="nofollow ugc noopener">' in page


def test_comment_can_answer_a_guiding_question(browser, make_user, make_consultation, app):
    browser.login(make_user())
    consultation = make_consultation(questions=("Hva mener du om traseen?",))
    page = browser.get(page_of(consultation)).get_data(as_text=True)
    question_id = re.search(r'<option value="(\d+)"', page).group(1)

    post(browser, consultation, "Traseen er fin.", question_id=question_id)

    [comment] = stored_comments(app, consultation.id)
    assert comment.question_id == int(question_id)
    assert "Svarer på: Hva mener du om traseen?" in browser.get(page_of(consultation)).get_data(as_text=True)


def test_anonymous_user_cannot_post_and_keeps_the_text(client, make_consultation, app, browser):
    consultation = make_consultation()
    page = browser.get(page_of(consultation)).get_data(as_text=True)
    assert 'id="comment-text"' not in page
    assert "Du må være logget inn for å kommentere." in page

    response = post(browser, consultation, "Anonym tekst")

    assert response.status_code == 403
    assert "Anonym tekst" in response.get_data(as_text=True)
    assert stored_comments(app, consultation.id) == []


@pytest.mark.parametrize("status, message", [
    ("closed", "Høringen er avsluttet. Det tas ikke lenger imot kommentarer."),
    ("upcoming", "Høringen har ikke åpnet ennå."),
])
def test_closed_or_upcoming_consultation_refuses_comments_and_keeps_the_text(browser, make_user, make_consultation,
                                                                            app, status, message):
    browser.login(make_user())
    consultation = make_consultation(status=status)
    page = browser.get(page_of(consultation)).get_data(as_text=True)
    assert 'id="comment-text"' not in page

    response = post(browser, consultation, "Sent innspill som ikke må gå tapt")

    body = response.get_data(as_text=True)
    assert response.status_code == 403
    assert message in body
    assert "Sent innspill som ikke må gå tapt" in body
    assert stored_comments(app, consultation.id) == []


def test_closed_consultation_shows_its_thread_read_only(browser, make_user, make_consultation, make_comment):
    author = make_user()
    consultation = make_consultation(status="closed")
    make_comment(consultation, author, "Gammelt innspill")
    browser.login(make_user())

    page = browser.get(page_of(consultation)).get_data(as_text=True)

    assert "Gammelt innspill" in page
    assert "Kommentarene vises bare for lesing" in page
    assert "Send svar" not in page and 'name="supported"' not in page


def test_empty_comment_comes_back_with_a_message(browser, make_user, make_consultation, app):
    browser.login(make_user())
    consultation = make_consultation()

    response = post(browser, consultation, "   \n  ")

    assert response.status_code == 422
    assert "Skriv noe før du sender." in response.get_data(as_text=True)
    assert stored_comments(app, consultation.id) == []


def test_too_long_comment_comes_back_in_the_form_with_the_text_intact(browser, make_user, make_consultation, app):
    browser.login(make_user())
    consultation = make_consultation()
    text = "Lang tekst æøå " * 300  # 4,500 characters

    response = post(browser, consultation, text)

    body = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "grensen er 4000" in body
    textarea = re.search(r'<textarea id="comment-text"[^>]*>(.*?)</textarea>', body, re.S).group(1)
    assert textarea == text  # exactly as typed
    assert stored_comments(app, consultation.id) == []


def test_comment_length_limit_is_configurable(browser, make_user, make_consultation, app, monkeypatch):
    monkeypatch.setitem(app.config, "COMMENT_MAX_LENGTH", 10)
    browser.login(make_user())
    consultation = make_consultation()
    assert post(browser, consultation, "0123456789").status_code == 303
    assert post(browser, consultation, "0123456789A").status_code == 422


def test_expired_csrf_token_keeps_the_comment_text(browser, make_user, make_consultation, app, client):
    browser.login(make_user())
    consultation = make_consultation()

    response = client.post(f"{page_of(consultation)}/kommentarer",
                           data={"text": "Tekst skrevet før pausen", "csrf_token": "expired-token"})

    body = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Skjemaet var utløpt" in body
    assert re.search(r'<textarea id="comment-text"[^>]*>Tekst skrevet før pausen</textarea>', body)
    assert stored_comments(app, consultation.id) == []


def test_failed_reply_reopens_the_reply_form_with_its_text(browser, make_user, make_consultation, make_comment, app,
                                                          monkeypatch):
    monkeypatch.setitem(app.config, "COMMENT_MAX_LENGTH", 5)
    browser.login(make_user())
    consultation = make_consultation()
    parent = make_comment(consultation, make_user(), "Hei")

    response = post(browser, consultation, "For langt svar", parent_id=str(parent.id))

    body = response.get_data(as_text=True)
    assert response.status_code == 422
    assert re.search(rf'<details class="reply" open>.*?id="reply-text-{parent.id}"[^>]*>For langt svar</textarea>',
                     body, re.S)


def test_reply_to_a_comment_of_another_consultation_is_refused(browser, make_user, make_consultation, make_comment,
                                                               app):
    browser.login(make_user())
    consultation, other = make_consultation(), make_consultation()
    foreign = make_comment(other, make_user(), "Annen høring")

    response = post(browser, consultation, "Svar", parent_id=str(foreign.id))

    assert response.status_code == 422
    assert "Kommentaren du svarer på, er ikke lenger tilgjengelig." in response.get_data(as_text=True)
    assert stored_comments(app, consultation.id) == []


def test_author_edits_within_the_window_and_the_comment_is_marked_edited(browser, make_user, make_consultation, app):
    user = make_user()
    browser.login(user)
    consultation = make_consultation()
    post(browser, consultation, "Førsteutkast")
    [comment] = stored_comments(app, consultation.id)

    edit_url = f"/kommentarer/{comment.id}/rediger"
    assert "Førsteutkast" in browser.get(edit_url).get_data(as_text=True)
    response = browser.submit(edit_url, data={"text": "Rettet tekst"})

    assert response.status_code == 303
    [comment] = stored_comments(app, consultation.id)
    assert comment.body_text == "Rettet tekst" and comment.edited_at is not None
    page = browser.get(page_of(consultation)).get_data(as_text=True)
    assert "Rettet tekst" in page and "(redigert)" in page


def test_author_cannot_edit_after_fifteen_minutes(browser, make_user, make_consultation, make_comment):
    user = make_user()
    consultation = make_consultation()
    comment = make_comment(consultation, user, "Gammel", created_at=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=16))
    browser.login(user)

    assert browser.get(f"/kommentarer/{comment.id}/rediger").status_code == 403
    assert "/rediger" not in browser.get(page_of(consultation)).get_data(as_text=True)


def test_citizen_cannot_edit_or_remove_another_citizens_comment(browser, make_user, make_consultation, make_comment,
                                                                 app):
    consultation = make_consultation()
    comment = make_comment(consultation, make_user(), "Ikke din")
    browser.login(make_user())

    assert browser.get(f"/kommentarer/{comment.id}/rediger").status_code == 403
    assert browser.get(f"/kommentarer/{comment.id}/fjern").status_code == 403
    token_page = browser.get(page_of(consultation)).get_data(as_text=True)
    from tests.conftest import csrf_token_from

    response = browser.client.post(f"/kommentarer/{comment.id}/rediger",
                                   data={"text": "Kapret", "csrf_token": csrf_token_from(token_page)})
    assert response.status_code == 403
    [stored] = stored_comments(app, consultation.id)
    assert stored.body_text == "Ikke din"


def test_removed_comment_leaves_a_placeholder_and_keeps_replies(browser, make_user, make_consultation, make_comment,
                                                                app):
    author = make_user()
    consultation = make_consultation()
    comment = make_comment(consultation, author, "Skal fjernes")
    make_comment(consultation, make_user(), "Et svar som blir stående", parent=comment)
    browser.login(author)

    response = browser.submit(f"/kommentarer/{comment.id}/fjern")

    assert response.status_code == 303
    page = browser.get(page_of(consultation)).get_data(as_text=True)
    assert "Skal fjernes" not in page
    assert "Denne kommentaren er fjernet av forfatteren." in page
    assert "Et svar som blir stående" in page
    stored = stored_comments(app, consultation.id)[0]
    assert stored.state == "removed" and stored.body_text == "" and stored.body_html == ""


def test_removed_comment_without_replies_disappears(browser, make_user, make_consultation, make_comment):
    author = make_user()
    consultation = make_consultation()
    comment = make_comment(consultation, author, "Alene")
    browser.login(author)
    browser.submit(f"/kommentarer/{comment.id}/fjern")
    page = browser.get(page_of(consultation)).get_data(as_text=True)
    assert "fjernet av forfatteren" not in page and "Ingen kommentarer ennå." in page


def test_citizen_supports_once_and_can_take_it_back(browser, make_user, make_consultation, make_comment, app):
    consultation = make_consultation()
    comment = make_comment(consultation, make_user(), "Støtt meg")
    browser.login(make_user())
    url = f"/kommentarer/{comment.id}/stotte"

    for _ in range(2):  # supporting twice counts once
        assert browser.submit(page_of(consultation), url, data={"supported": "1"}).status_code == 303
    assert stored_comments(app, consultation.id)[0].support_count == 1
    page = browser.get(page_of(consultation)).get_data(as_text=True)
    assert 'aria-pressed="true"' in page

    browser.submit(page_of(consultation), url, data={"supported": "0"})
    assert stored_comments(app, consultation.id)[0].support_count == 0


def test_author_cannot_support_own_comment(browser, make_user, make_consultation, make_comment, app):
    author = make_user()
    consultation = make_consultation()
    comment = make_comment(consultation, author, "Min egen")
    browser.login(author)
    response = browser.submit(page_of(consultation), f"/kommentarer/{comment.id}/stotte", data={"supported": "1"})
    assert response.status_code == 403
    assert stored_comments(app, consultation.id)[0].support_count == 0


def test_anonymous_support_redirects_to_login(client, make_user, make_consultation, make_comment, browser):
    consultation = make_consultation()
    comment = make_comment(consultation, make_user(), "x")
    response = browser.submit(page_of(consultation), f"/kommentarer/{comment.id}/stotte", data={"supported": "1"})
    assert response.status_code == 302 and "/logg-inn" in response.headers["Location"]


def test_pre_moderated_comment_is_pending_and_visible_only_to_its_author(browser, make_user, make_consultation, app,
                                                                         client):
    author = make_user()
    consultation = make_consultation(moderation_mode="pre")
    browser.login(author)
    post(browser, consultation, "Venter på moderator")

    assert stored_comments(app, consultation.id)[0].state == "pending"
    own_view = browser.get(page_of(consultation)).get_data(as_text=True)
    assert "Venter på moderator" in own_view and "Venter på godkjenning" in own_view
    browser.logout()
    assert "Venter på moderator" not in browser.get(page_of(consultation)).get_data(as_text=True)


def test_posting_reads_the_comment_table_once(browser, make_user, make_consultation, app):
    """In the posting transaction the form key and an identical recent comment are looked
    for in one query (a reply reads its parent too), and the new comment is not read back
    for its search entry; after the commits the answer's address reads nothing again."""
    user = make_user()
    consultation = make_consultation()
    browser.login(user)
    parent_id = browser.comment(consultation.slug, "Først et innspill om benker.")
    page = browser.client.get(page_of(consultation))
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.get_data(as_text=True)).group(1)
    keys = iter(re.findall(r'name="submission"[^>]*value="([^"]+)"', page.get_data(as_text=True)))
    events = []

    def note(_conn, _cursor, statement, *_args):
        events.append(" ".join(statement.split()))

    def committed(_conn):
        events.append("COMMIT")

    with app.app_context():
        engine = db.engine
    sa_event.listen(engine, "before_cursor_execute", note)
    sa_event.listen(engine, "commit", committed)
    try:
        for data in ({"text": "Et nytt innspill om lys."}, {"text": "Et svar om lys.", "parent_id": str(parent_id)}):
            events.clear()
            response = browser.client.post(f"{page_of(consultation)}/kommentarer", data={"csrf_token": token, "submission": next(keys), **data})
            assert response.status_code == 303

            def reads(part):
                return [s for s in part if s.startswith("SELECT") and re.search(r"\bFROM comment\b", s)]

            posting = events[:events.index("COMMIT")]
            after = events[len(events) - events[::-1].index("COMMIT"):]
            assert [s for s in posting if s.startswith("INSERT INTO comment ")], posting
            assert len(reads(posting)) == (1 if "parent_id" not in data else 2), reads(posting)
            assert reads(after) == []
    finally:
        sa_event.remove(engine, "before_cursor_execute", note)
        sa_event.remove(engine, "commit", committed)
    texts = [c.body_text for c in stored_comments(app, consultation.id)]
    assert texts == ["Først et innspill om benker.", "Et nytt innspill om lys.", "Et svar om lys."]
