"""One comment per submission: the comment and reply forms carry a random submission key,
stored with the comment, so the same form sent again (a double click, a resend, several
tabs at once) stores nothing more and answers as the first sending did."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from hoering.comments import services
from hoering.comments.models import Comment
from hoering.extensions import db
from tests.concurrency import answers, at_once, tabs_of
from tests.conftest import csrf_token_from

SENDINGS = 4
SUBMISSION_FIELD = re.compile(r'name="submission"[^>]*value="([^"]*)"')


def comments_of(app, consultation_id: int) -> list[tuple[int, str, int | None]]:
    with app.app_context():
        return [(c.id, c.body_text, c.parent_id) for c in db.session.scalars(
            sa.select(Comment).where(Comment.consultation_id == consultation_id).order_by(Comment.id))]


def submission_keys(html: str) -> list[str]:
    return SUBMISSION_FIELD.findall(html)


def form_fields(page: str, reply_to: int | None) -> dict:
    """The fields of the comment form (or of the reply form under ``reply_to``) on ``page``."""
    if reply_to is None:
        form = page[page.index('class="comment-form"'):]
    else:
        form = page[page.index(f'name="parent_id" value="{reply_to}"'):]
    fields = {"submission": submission_keys(form)[0]}
    if reply_to is not None:
        fields["parent_id"] = str(reply_to)
    return fields


@pytest.fixture
def scene(app, make_user, make_consultation, make_comment):
    consultation = make_consultation()
    parent = make_comment(consultation, make_user(), "Et innspill å svare på")
    return consultation, parent


@pytest.mark.parametrize("is_reply", [False, True], ids=["comment", "reply"])
def test_one_form_sent_four_times_at_once_stores_one_comment(app, make_user, scene, is_reply):
    consultation, parent = scene
    page_url = f"/hoeringer/{consultation.slug}"
    tabs = tabs_of(app, make_user(), SENDINGS, page_url)
    page = tabs[0][0].get(page_url).get_data(as_text=True)
    fields = {**form_fields(page, parent.id if is_reply else None), "text": "Sendt i full fart"}

    responses = at_once([lambda tab=tab, token=token: tab.client.post(f"{page_url}/kommentarer",
                                                                     data={"csrf_token": token, **fields})
                         for tab, token in tabs])

    stored = [c for c in comments_of(app, consultation.id) if c[0] != parent.id]
    assert [(text, parent_id) for _, text, parent_id in stored] == [
        ("Sendt i full fart", parent.id if is_reply else None)]
    assert answers(responses) == [303] * SENDINGS
    assert {r.headers["Location"] for r in responses} == {f"/kommentarer/{stored[0][0]}"}


@pytest.mark.parametrize("is_reply", [False, True], ids=["comment", "reply"])
def test_one_form_sent_again_later_stores_one_comment(app, browser_for, scene, monkeypatch, is_reply):
    # Sent again after the duplicate-text window (a resend from the browser's history, or
    # a phone that lost the answer and retried): the key still recognises it.
    monkeypatch.setattr(services, "DUPLICATE_WINDOW_SECONDS", 0)
    consultation, parent = scene
    citizen = browser_for()
    page_url = f"/hoeringer/{consultation.slug}"
    page = citizen.get(page_url).get_data(as_text=True)
    data = {"csrf_token": csrf_token_from(page), "text": "Sendt igjen",
            **form_fields(page, parent.id if is_reply else None)}

    responses = [citizen.client.post(f"{page_url}/kommentarer", data=data) for _ in range(SENDINGS)]

    stored = [c for c in comments_of(app, consultation.id) if c[0] != parent.id]
    assert len(stored) == 1
    assert answers(responses) == [303] * SENDINGS
    assert {r.headers["Location"] for r in responses} == {f"/kommentarer/{stored[0][0]}"}
    expected = "Takk! Svaret ditt er publisert." if is_reply else "Takk! Kommentaren din er publisert."
    assert expected in citizen.get(page_url).get_data(as_text=True)  # the same answer as the first


def test_every_form_on_the_page_has_its_own_key_and_a_new_page_new_ones(app, browser_for, scene, make_comment,
                                                                       make_user):
    consultation, parent = scene
    make_comment(consultation, make_user(), "Enda et innspill")
    citizen = browser_for()
    first = submission_keys(citizen.get(f"/hoeringer/{consultation.slug}").get_data(as_text=True))
    second = submission_keys(citizen.get(f"/hoeringer/{consultation.slug}").get_data(as_text=True))
    assert len(first) == 3  # the comment form and two reply forms
    assert len(set(first + second)) == 6
    assert all(re.fullmatch(r"[A-Za-z0-9_-]{32}", key) for key in first)


def test_a_refused_form_comes_back_with_its_key(app, browser_for, scene):
    consultation, parent = scene
    citizen = browser_for()
    page_url = f"/hoeringer/{consultation.slug}"
    page = citizen.get(page_url).get_data(as_text=True)
    for reply_to in (None, parent.id):
        fields = form_fields(page, reply_to)
        refused = citizen.client.post(f"{page_url}/kommentarer",
                                      data={"csrf_token": csrf_token_from(page), "text": "  ", **fields})
        assert refused.status_code == 422
        assert form_fields(refused.get_data(as_text=True), reply_to) == fields


def test_two_forms_with_the_same_text_still_count_as_one_comment(app, browser_for, scene):
    """The duplicate-text guard stays: the same text sent again from a new form within two
    minutes is the first comment, not a second one."""
    consultation, _parent = scene
    citizen = browser_for()
    page_url = f"/hoeringer/{consultation.slug}"
    locations = []
    for _ in range(2):
        page = citizen.get(page_url).get_data(as_text=True)
        response = citizen.client.post(f"{page_url}/kommentarer", data={
            "csrf_token": csrf_token_from(page), "text": "Samme tekst to ganger", **form_fields(page, None)})
        assert response.status_code == 303
        locations.append(response.headers["Location"])
    assert locations[0] == locations[1]
    assert [text for _, text, _ in comments_of(app, consultation.id)].count("Samme tekst to ganger") == 1


def test_a_used_form_with_new_text_is_a_new_comment(app, browser_for, scene):
    """A browser may restore an old form, key and all: what is typed in it anew is kept."""
    consultation, _parent = scene
    citizen = browser_for()
    page_url = f"/hoeringer/{consultation.slug}"
    page = citizen.get(page_url).get_data(as_text=True)
    data = {"csrf_token": csrf_token_from(page), **form_fields(page, None)}
    first = citizen.client.post(f"{page_url}/kommentarer", data={**data, "text": "Første tanke"})
    second = citizen.client.post(f"{page_url}/kommentarer", data={**data, "text": "Andre tanke"})
    assert first.status_code == second.status_code == 303
    assert first.headers["Location"] != second.headers["Location"]
    assert [text for _, text, _ in comments_of(app, consultation.id)][-2:] == ["Første tanke", "Andre tanke"]


@pytest.mark.parametrize("key", ["", "kort", "x" * 65, "<script>alert(1)</script>" * 3, "a" * 31 + "\u00e6",
                                 "\x00" * 40])
def test_a_missing_or_odd_key_is_ignored(app, browser_for, scene, key):
    consultation, _parent = scene
    citizen = browser_for()
    page_url = f"/hoeringer/{consultation.slug}"
    token = csrf_token_from(citizen.get(page_url).get_data(as_text=True))
    response = citizen.client.post(f"{page_url}/kommentarer",
                                   data={"csrf_token": token, "text": "Med rar nøkkel", "submission": key})
    assert response.status_code == 303
    with app.app_context():
        assert db.session.scalar(sa.select(Comment.submission_token).where(
            Comment.body_text == "Med rar nøkkel")) is None


def test_another_users_key_is_not_their_comment(app, browser_for, scene):
    consultation, _parent = scene
    first, second = browser_for(), browser_for()
    page_url = f"/hoeringer/{consultation.slug}"
    page = first.get(page_url).get_data(as_text=True)
    fields = {**form_fields(page, None), "text": "Samme skjema, to personer"}
    one = first.client.post(f"{page_url}/kommentarer", data={"csrf_token": csrf_token_from(page), **fields})
    token = csrf_token_from(second.get(page_url).get_data(as_text=True))
    other = second.client.post(f"{page_url}/kommentarer", data={"csrf_token": token, **fields})
    assert one.status_code == other.status_code == 303
    assert one.headers["Location"] != other.headers["Location"]
