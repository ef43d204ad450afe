"""Regression tests for inputs and races found by probing the running app."""

from __future__ import annotations

import io
import threading

import pytest
import sqlalchemy as sa

from hoering.comments.models import Comment, Support
from hoering.consultations.models import Consultation, Question
from hoering.extensions import db
from tests.conftest import csrf_token_from
from tests.consultations.test_pages import consultation_form


def token(browser, url="/") -> str:
    return csrf_token_from(browser.get(url).get_data(as_text=True))


def comment_count(app, consultation_id) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count(Comment.id)).where(Comment.consultation_id == consultation_id))


def test_parallel_take_backs_of_a_support_never_count_twice(app, browser, make_user, make_consultation, make_comment):
    consultation = make_consultation()
    comment = make_comment(consultation, make_user(), "støtt meg")
    supporter = make_user()
    browser.login(supporter)
    csrf = token(browser, f"/hoeringer/{consultation.slug}")
    cookie = browser.client.get_cookie("session").value
    url = f"/kommentarer/{comment.id}/stotte"

    def take_back():
        client = app.test_client()
        client.set_cookie("session", cookie)
        client.post(url, data={"csrf_token": csrf, "supported": "0"})

    for _ in range(4):
        browser.client.post(url, data={"csrf_token": csrf, "supported": "1"})
        threads = [threading.Thread(target=take_back) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    with app.app_context():
        rows = db.session.scalar(sa.select(sa.func.count(Support.id)).where(Support.comment_id == comment.id))
        assert db.session.get(Comment, comment.id).support_count == rows == 0


def test_an_edit_that_loses_the_race_to_a_removal_brings_no_text_back(app, make_user, make_consultation,
                                                                     make_comment, browser):
    from hoering.comments import services

    author = make_user()
    comment = make_comment(make_consultation(), author, "opprinnelig")
    with app.test_request_context():
        stale = db.session.get(Comment, comment.id)
        user = db.session.get(type(stale.author), author.id)
        browser.login(author)
        assert browser.submit(f"/kommentarer/{comment.id}/fjern").status_code == 303
        with pytest.raises(services.PermissionDenied):
            services.edit_comment(stale, user, "gjenoppstått tekst")
    with app.app_context():
        stored = db.session.get(Comment, comment.id)
        assert stored.state == "removed" and stored.body_text == "" and stored.body_html == ""


def test_a_double_click_stores_one_comment(browser, make_user, make_consultation, app):
    browser.login(make_user())
    consultation = make_consultation()
    csrf = token(browser, f"/hoeringer/{consultation.slug}")
    for _ in range(3):
        response = browser.client.post(f"/hoeringer/{consultation.slug}/kommentarer",
                                       data={"csrf_token": csrf, "text": "Samme tekst"})
        assert response.status_code == 303
    assert comment_count(app, consultation.id) == 1


@pytest.mark.parametrize("text", ["\u200b\u200b", "\u202e", " \u00a0\u2003 "])
def test_invisible_only_comments_are_refused(browser, make_user, make_consultation, app, text):
    browser.login(make_user())
    consultation = make_consultation()
    response = browser.submit(f"/hoeringer/{consultation.slug}", f"/hoeringer/{consultation.slug}/kommentarer",
                              data={"text": text})
    assert response.status_code == 422
    assert comment_count(app, consultation.id) == 0


@pytest.mark.parametrize("name", ["\u202eMona Moderator", "\u200b", "Ola\u2066x"])
def test_display_names_with_invisible_or_direction_tricks_are_refused(browser, make_user, name):
    browser.login(make_user())
    assert browser.submit("/min-side", data={"display_name": name}).status_code == 422


@pytest.mark.parametrize("url", ["/kommentarer/99999999999999999999999", "/kommentarer/2147483648/rediger",
                                 "/kommentarer/0", "/hoeringer/a%00b", "/api/v1/consultations/a%00b",
                                 "/api/v1/consultations/a%00b/comments", "/hoeringer/" + "x" * 5000])
def test_impossible_ids_and_slugs_are_404(client, url):
    assert client.get(url).status_code == 404


@pytest.mark.parametrize("field", ["parent_id", "question_id"])
@pytest.mark.parametrize("value", ["99999999999999999999", "2147483648", "-1", "abc", "1e999"])
def test_impossible_parent_or_question_ids_are_refused(browser, make_user, make_consultation, app, field, value):
    browser.login(make_user())
    consultation = make_consultation()
    response = browser.submit(f"/hoeringer/{consultation.slug}", f"/hoeringer/{consultation.slug}/kommentarer",
                              data={"text": "hei", field: value})
    assert response.status_code == 422
    assert comment_count(app, consultation.id) == 0


@pytest.mark.parametrize("body", ["[1, 2]", '"abc"', "7", '{"text": 123}', "{broken"])
def test_json_bodies_to_the_comment_form_are_refused(browser, make_user, make_consultation, body):
    browser.login(make_user())
    consultation = make_consultation()
    response = browser.client.post(f"/hoeringer/{consultation.slug}/kommentarer", data=body,
                                   content_type="application/json")
    assert response.status_code == 400


def test_files_sent_in_place_of_text_fields_are_ignored(browser, make_user, make_consultation, app):
    browser.login(make_user(role="case_officer"))
    consultation = make_consultation()
    csrf = token(browser, f"/hoeringer/{consultation.slug}")
    comment = browser.client.post(f"/hoeringer/{consultation.slug}/kommentarer", content_type="multipart/form-data",
                                  data={"csrf_token": csrf, "text": (io.BytesIO(b"fil"), "a.txt")})
    profile = browser.client.post("/min-side", content_type="multipart/form-data",
                                  data={"csrf_token": csrf, "display_name": (io.BytesIO(b"fil"), "a.txt")})
    created = browser.client.post("/saksbehandling/hoeringer/ny", content_type="multipart/form-data",
                                  data={"csrf_token": csrf, **consultation_form(),
                                        "body_markdown": (io.BytesIO(b"fil"), "a.txt")})
    assert comment.status_code == 422 and profile.status_code == 422
    assert created.status_code == 303  # the body is optional; the file is simply not read
    assert comment_count(app, consultation.id) == 0


@pytest.mark.parametrize("target", ["/ \n/evil.example", "/\r\nSet-Cookie: x=1", "/\t/evil.example"])
def test_control_characters_in_next_fall_back_to_the_front_page(browser, make_user, target):
    user = make_user()
    csrf = token(browser, "/logg-inn")
    login = browser.client.post("/logg-inn", query_string={"next": target},
                                data={"csrf_token": csrf, "email": user.email, "password": user.password})
    switch = browser.client.post("/sprak", data={"csrf_token": csrf, "lang": "en", "next": target})
    assert login.status_code == 303 and login.headers["Location"] == "/"
    assert switch.status_code == 303 and switch.headers["Location"] == "/"


def test_consultation_edit_without_some_fields_answers_with_messages(browser, make_user, make_consultation):
    consultation = make_consultation()
    browser.login(make_user(role="case_officer"))
    response = browser.submit(f"/saksbehandling/hoeringer/{consultation.slug}/rediger", data={})
    assert response.status_code == 422


@pytest.mark.parametrize("overrides", [{"opens_at": "0001-01-01T00:00"}, {"deadline": "9999-12-31"},
                                       {"questions": "x" * 501}])
def test_out_of_range_consultation_values_are_refused(browser, make_user, app, overrides):
    browser.login(make_user(role="case_officer"))
    response = browser.submit("/saksbehandling/hoeringer/ny", data=consultation_form(**overrides))
    assert response.status_code == 422
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Consultation.id))) == 0


def test_nul_characters_in_the_case_text_are_dropped(browser, make_user, app):
    browser.login(make_user(role="case_officer"))
    response = browser.submit("/saksbehandling/hoeringer/ny", data=consultation_form(body_markdown="før\x00etter"))
    assert response.status_code == 303
    with app.app_context():
        assert db.session.scalar(sa.select(Consultation.body_markdown)) == "føretter"


def test_a_guiding_question_with_answers_can_be_reworded_but_not_removed(browser, make_user, make_consultation,
                                                                        make_comment, app):
    consultation = make_consultation(questions=("Hva mener du om traseen?", "Noe annet?"))
    with app.app_context():
        first_question = db.session.scalar(sa.select(Question).where(Question.position == 0))
        db.session.add(Comment(consultation_id=consultation.id, author_id=make_user().id, question_id=first_question.id,
                               body_text="svar", body_html="<p>svar</p>", path="x"))
        db.session.commit()
        question_id = first_question.id
    browser.login(make_user(role="case_officer"))
    url = f"/saksbehandling/hoeringer/{consultation.slug}/rediger"

    reworded = browser.submit(url, data=consultation_form(slug=consultation.slug,
                                                          questions="Hva mener du om den nye traseen?"))
    removed = browser.submit(url, data=consultation_form(slug=consultation.slug, questions=""))

    assert reworded.status_code == 303
    assert removed.status_code == 422 and "har svar" in removed.get_data(as_text=True)
    with app.app_context():
        assert [(q.id, q.text) for q in db.session.scalars(sa.select(Question))] == \
            [(question_id, "Hva mener du om den nye traseen?")]


def test_permalinks_of_pending_comments_are_404_for_others(client, browser, make_user, make_consultation,
                                                          make_comment):
    author = make_user()
    consultation = make_consultation()
    pending = make_comment(consultation, author, "venter", state="pending")
    rejected = make_comment(consultation, author, "avvist", state="rejected")
    assert client.get(f"/kommentarer/{pending.id}").status_code == 404
    assert client.get(f"/kommentarer/{rejected.id}").status_code == 404
    browser.login(author)
    assert browser.get(f"/kommentarer/{pending.id}").status_code == 303
