"""Bans, automatic holds, the honeypot and rate limits."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import sqlalchemy as sa

from hoering.comments.models import Support
from hoering.extensions import db
from hoering.moderation.models import Ban
from tests.conftest import csrf_token_from
from tests.moderation.helpers import comment_row, log_of


def post_comment(browser, consultation, text, **extra):
    return browser.submit(f"/hoeringer/{consultation.slug}", f"/hoeringer/{consultation.slug}/kommentarer",
                          data={"text": text, **extra})


def ban(moderator, user, duration="7", reason="Gjentatte personangrep"):
    return moderator.submit(f"/moderering/brukere/{user.id}/utesteng", data={"duration": duration, "reason": reason})


def test_banned_user_can_read_but_not_post_support_or_report(browser_for, make_consultation, make_comment,
                                                             make_user, app):
    consultation = make_consultation()
    other = make_comment(consultation, make_user(), "Andres innlegg")
    citizen, moderator = browser_for(), browser_for("moderator")

    assert ban(moderator, citizen.user).status_code == 303

    page = citizen.get(f"/hoeringer/{consultation.slug}")
    assert page.status_code == 200 and "Andres innlegg" in page.get_data(as_text=True)
    assert "Du er utestengt" in page.get_data(as_text=True)
    assert "Du må være logget inn" not in page.get_data(as_text=True)
    refused = post_comment(citizen, consultation, "Jeg prøver likevel")
    assert refused.status_code == 403 and "Jeg prøver likevel" in refused.get_data(as_text=True)
    support = citizen.submit(f"/hoeringer/{consultation.slug}", f"/kommentarer/{other.id}/stotte",
                             data={"supported": "1"})
    assert support.status_code == 403
    assert citizen.get(f"/kommentarer/{other.id}/rapporter").status_code == 403
    assert "Gjentatte personangrep" in citizen.get("/min-side").get_data(as_text=True)
    assert comment_row(app, other.id).support_count == 0


def test_ban_can_be_lifted_and_expires(browser_for, make_consultation, app):
    consultation = make_consultation()
    citizen, moderator = browser_for(), browser_for("moderator")
    ban(moderator, citizen.user, duration="1")
    with app.app_context():
        ban_id = db.session.scalar(sa.select(Ban.id))
    assert moderator.submit(f"/moderering/brukere/{citizen.user.id}/utesteng",
                            f"/moderering/utestengninger/{ban_id}/opphev").status_code == 303
    assert post_comment(citizen, consultation, "Tilbake").status_code == 303

    ban(moderator, citizen.user, duration="1")
    with app.app_context():  # a day later the ban has run out
        db.session.execute(sa.update(Ban).values(expires_at=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)))
        db.session.commit()
    assert post_comment(citizen, consultation, "Igjen").status_code == 303


def test_permanent_ban_and_staff_cannot_be_banned(browser_for, app):
    citizen, moderator, officer = browser_for(), browser_for("moderator"), browser_for("case_officer")
    assert ban(moderator, citizen.user, duration="permanent").status_code == 303
    with app.app_context():
        assert db.session.scalar(sa.select(Ban.expires_at)) is None
    assert ban(moderator, officer.user).status_code in (200, 403)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Ban.id)).where(Ban.user_id == officer.user.id)) == 0


def test_ban_needs_a_reason(browser_for, app):
    citizen, moderator = browser_for(), browser_for("moderator")
    assert ban(moderator, citizen.user, reason="").status_code == 422
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Ban.id))) == 0


@pytest.mark.parametrize("setting, text, rule", [
    ({"MODERATION_HOLD_WORDS": ["idiot", "svindel"]}, "Dette er SVINDEL!", "word_list"),
    ({"MODERATION_MAX_LINKS": 1}, "Se https://a.example og https://b.example", "too_many_links"),
    ({"MODERATION_HOLD_FIRST_COMMENT": True}, "Mitt første innspill", "first_comment"),
])
def test_automatic_holds_send_comments_to_the_queue(browser_for, make_consultation, app, monkeypatch,
                                                    setting, text, rule):
    for key, value in setting.items():
        monkeypatch.setitem(app.config, key, value)
    consultation = make_consultation()
    citizen = browser_for()

    assert post_comment(citizen, consultation, text).status_code == 303

    comment_id = int(re.search(r"kommentar-(\d+)", citizen.get(f"/hoeringer/{consultation.slug}")
                               .get_data(as_text=True)).group(1))
    assert comment_row(app, comment_id).state == "pending"
    assert log_of(app, comment_id) == [("auto_hold", None, rule, None, "pending", True)]


def test_word_list_matches_whole_words_only(browser_for, make_consultation, app, monkeypatch):
    monkeypatch.setitem(app.config, "MODERATION_HOLD_WORDS", ["rev"])
    consultation = make_consultation()
    citizen = browser_for()
    post_comment(citizen, consultation, "Revisjon av planen er bra")
    comment_id = int(re.search(r"kommentar-(\d+)", citizen.get(f"/hoeringer/{consultation.slug}")
                               .get_data(as_text=True)).group(1))
    assert comment_row(app, comment_id).state == "published"


def test_an_edit_that_adds_a_held_word_goes_back_to_the_queue(browser_for, make_consultation, app, monkeypatch):
    monkeypatch.setitem(app.config, "MODERATION_HOLD_WORDS", ["svindel"])
    consultation = make_consultation()
    citizen = browser_for()
    post_comment(citizen, consultation, "Helt greit innlegg")
    comment_id = int(re.search(r"kommentar-(\d+)", citizen.get(f"/hoeringer/{consultation.slug}")
                               .get_data(as_text=True)).group(1))
    citizen.submit(f"/kommentarer/{comment_id}/rediger", data={"text": "Dette er svindel"})
    assert comment_row(app, comment_id).state == "pending"
    assert log_of(app, comment_id)[-1][:5] == ("auto_hold", None, "word_list", "published", "pending")


def test_honeypot_refuses_robots_and_keeps_the_text(browser_for, make_consultation, app):
    consultation = make_consultation()
    citizen = browser_for()
    response = post_comment(citizen, consultation, "Kjøp billig nå", website="https://spam.example")
    body = response.get_data(as_text=True)
    assert response.status_code == 400 and "Kjøp billig nå" in body and "Ikke fyll ut" in body
    with app.app_context():
        from hoering.comments.models import Comment

        assert db.session.scalar(sa.select(sa.func.count(Comment.id))) == 0


def test_registration_honeypot(browser):
    response = browser.submit("/registrer", data={"display_name": "Bot", "email": "bot@example.org",
                                                  "password": "langt-passord-1", "password_again": "langt-passord-1",
                                                  "website": "x"})
    assert response.status_code == 422


def test_comment_rate_limit_answers_429_keeping_the_text(browser_for, make_consultation, app, monkeypatch):
    monkeypatch.setitem(app.config, "RATELIMIT_COMMENTS", "2 per minute")
    consultation = make_consultation()
    citizen = browser_for()
    token = csrf_token_from(citizen.get(f"/hoeringer/{consultation.slug}").get_data(as_text=True))
    url = f"/hoeringer/{consultation.slug}/kommentarer"
    statuses = [citizen.client.post(url, data={"csrf_token": token, "text": f"innlegg {i}"}).status_code
                for i in range(2)]
    limited = citizen.client.post(url, data={"csrf_token": token, "text": "Dette må ikke forsvinne"})

    body = limited.get_data(as_text=True)
    assert statuses == [303, 303] and limited.status_code == 429
    assert int(limited.headers["Retry-After"]) > 0
    assert re.search(r'<textarea id="comment-text"[^>]*>Dette må ikke forsvinne</textarea>', body)
    assert "Prøv igjen om" in body


@pytest.mark.parametrize("url, data, key", [
    ("/logg-inn", {"email": "a@example.org", "password": "feil-passord"}, "RATELIMIT_LOGIN"),
    # Registration counts accounts made and answers that an address has one, not typing mistakes.
    ("/registrer", {"display_name": "Navn Som Blir", "email": "finnes@example.org", "password": "langt-passord-1",
                    "password_again": "langt-passord-1"}, "RATELIMIT_REGISTRATION"),
])
def test_login_and_registration_are_rate_limited(browser, app, make_user, monkeypatch, url, data, key):
    make_user(email="finnes@example.org")
    monkeypatch.setitem(app.config, key, "2 per minute")
    token = csrf_token_from(browser.get(url).get_data(as_text=True))
    for _ in range(2):
        browser.client.post(url, data={"csrf_token": token, **data})
    limited = browser.client.post(url, data={"csrf_token": token, **data})
    assert limited.status_code == 429 and "Retry-After" in limited.headers
    body = limited.get_data(as_text=True)
    assert data["email"] in body
    assert "Skjemaet ble ikke sendt" in body and "Rett opp dette" not in body  # nothing to correct, only to wait
    assert browser.get(url).status_code == 200  # reading the form is not limited


def test_field_errors_ask_for_corrections(browser):
    body = browser.submit("/registrer", data={"display_name": "Navn", "email": "ikke-en-adresse",
                                              "password": "kort", "password_again": "kort"}).get_data(as_text=True)
    assert "Rett opp dette" in body and "Skjemaet ble ikke sendt" not in body


def test_reports_are_rate_limited(browser_for, make_consultation, make_comment, make_user, app, monkeypatch):
    monkeypatch.setitem(app.config, "RATELIMIT_REPORTS", "1 per minute")
    consultation = make_consultation()
    first, second = make_comment(consultation, make_user(), "a"), make_comment(consultation, make_user(), "b")
    citizen = browser_for()
    assert citizen.submit(f"/kommentarer/{first.id}/rapporter", data={"reason": "spam"}).status_code == 303
    limited = citizen.submit(f"/kommentarer/{second.id}/rapporter", data={"reason": "other", "text": "Min forklaring"})
    assert limited.status_code == 429 and "Min forklaring" in limited.get_data(as_text=True)


def test_supports_are_rate_limited_where_the_visitor_is_and_the_count_stays_right(
        browser_for, make_consultation, make_comment, make_user, app, monkeypatch):
    monkeypatch.setitem(app.config, "RATELIMIT_SUPPORTS", "3 per minute")
    monkeypatch.setitem(app.config, "THREADS_PER_PAGE", 1)
    consultation = make_consultation()
    target = make_comment(consultation, make_user(), "Støtt meg", created_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
    make_comment(consultation, make_user(), "Nyere innspill på side 1")
    citizen = browser_for()
    page = citizen.get(f"/hoeringer/{consultation.slug}?page=2").get_data(as_text=True)
    token = csrf_token_from(page)
    action = re.search(rf'action="(/kommentarer/{target.id}/stotte[^"]*)"', page).group(1).replace("&amp;", "&")

    statuses = [citizen.client.post(action, data={"csrf_token": token, "supported": flag}).status_code
                for flag in ("1", "0", "1")]
    limited = citizen.client.post(action, data={"csrf_token": token, "supported": "0"})

    assert statuses == [303, 303, 303] and limited.status_code == 429
    assert int(limited.headers["Retry-After"]) > 0
    body = limited.get_data(as_text=True)
    assert "Du har endret standpunktet ditt mange ganger på kort tid. Prøv igjen om" in body
    assert "Støtt meg" in body and "Nyere innspill på side 1" not in body  # still on page 2, by the comment
    assert re.search(r'data-stance="agree"\s+value=""\s+aria-pressed="true"', body)  # the refused take-back changed nothing
    stored = comment_row(app, target.id)
    with app.app_context():
        rows = db.session.scalar(sa.select(sa.func.count(Support.id)).where(Support.comment_id == target.id))
    assert stored.support_count == rows == 1


def test_a_rate_limited_support_reveals_nothing_about_a_comment_the_visitor_cannot_see(
        browser_for, make_consultation, make_comment, make_user, app, monkeypatch):
    monkeypatch.setitem(app.config, "RATELIMIT_SUPPORTS", "1 per minute")
    consultation = make_consultation()
    public = make_comment(consultation, make_user(), "offentlig")
    secret = make_comment(consultation, make_user(), "hemmelig ventende tekst", state="pending")
    citizen = browser_for()
    token = csrf_token_from(citizen.get(f"/hoeringer/{consultation.slug}").get_data(as_text=True))
    assert citizen.client.post(f"/kommentarer/{public.id}/stotte",
                               data={"csrf_token": token, "supported": "1"}).status_code == 303
    response = citizen.client.post(f"/kommentarer/{secret.id}/stotte", data={"csrf_token": token, "supported": "1"})
    assert response.status_code == 429
    assert "hemmelig ventende tekst" not in response.get_data(as_text=True)
