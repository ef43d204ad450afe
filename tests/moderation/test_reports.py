"""Citizens report comments; enough reports hide a comment pending review."""

from __future__ import annotations

import pytest

from tests.moderation.helpers import comment_row, log_of, open_report_count


def report(browser, comment_id, reason="offensive", text=""):
    return browser.submit(f"/kommentarer/{comment_id}/rapporter", data={"reason": reason, "text": text})


@pytest.fixture
def scene(make_user, make_consultation, make_comment):
    consultation = make_consultation()
    comment = make_comment(consultation, make_user(name="Forfatter"), "Et sint innlegg")
    return consultation, comment


def test_citizen_reports_a_comment_once(browser_for, scene, app):
    consultation, comment = scene
    citizen = browser_for()
    page = citizen.get(f"/hoeringer/{consultation.slug}").get_data(as_text=True)
    assert f"/kommentarer/{comment.id}/rapporter" in page

    first = report(citizen, comment.id, "personal_information", "Nevner naboens navn")
    assert first.status_code == 303
    page = citizen.get(f"/hoeringer/{consultation.slug}").get_data(as_text=True)
    assert f"/kommentarer/{comment.id}/rapporter" not in page  # the link is gone once reported
    assert "Du har rapportert denne kommentaren" in page  # and says so
    form_again = citizen.get(f"/kommentarer/{comment.id}/rapporter")
    assert form_again.status_code == 303
    from tests.conftest import csrf_token_from

    again = citizen.client.post(f"/kommentarer/{comment.id}/rapporter",
                                data={"csrf_token": csrf_token_from(page), "reason": "spam"})
    assert again.status_code == 303  # told, not counted twice
    assert "allerede rapportert" in citizen.get("/").get_data(as_text=True)
    assert open_report_count(app, comment.id) == 1
    assert comment_row(app, comment.id).state == "published"


def test_three_distinct_reports_hide_the_comment_pending_review(browser_for, scene, app, client):
    consultation, comment = scene
    for _ in range(3):
        assert report(browser_for(), comment.id).status_code == 303

    assert comment_row(app, comment.id).state == "hidden"
    page = client.get(f"/hoeringer/{consultation.slug}").get_data(as_text=True)
    assert "Et sint innlegg" not in page
    assert log_of(app, comment.id)[-1] == ("auto_hide", None, "report_threshold", "published", "hidden", True)


def test_placeholder_when_hidden_pending_review_keeps_replies(browser_for, scene, app, client, make_comment,
                                                             make_user):
    consultation, comment = scene
    make_comment(consultation, make_user(), "Et svar som står", parent=comment)
    for _ in range(3):
        report(browser_for(), comment.id)
    page = client.get(f"/hoeringer/{consultation.slug}").get_data(as_text=True)
    assert "Skjult i påvente av vurdering." in page and "Et svar som står" in page


def test_threshold_is_configurable(browser_for, scene, app, monkeypatch):
    monkeypatch.setitem(app.config, "REPORT_HIDE_THRESHOLD", 1)
    _, comment = scene
    report(browser_for(), comment.id)
    assert comment_row(app, comment.id).state == "hidden"


def test_report_text_over_1000_characters_comes_back(browser_for, scene, app):
    _, comment = scene
    response = report(browser_for(), comment.id, "other", "ø" * 1001)
    body = response.get_data(as_text=True)
    assert response.status_code == 422 and "ø" * 1001 in body
    assert open_report_count(app, comment.id) == 0


def test_unknown_reason_is_refused(browser_for, scene, app):
    _, comment = scene
    assert report(browser_for(), comment.id, "because").status_code == 422
    assert open_report_count(app, comment.id) == 0


def test_own_comments_cannot_be_reported(browser, make_user, make_consultation, make_comment, app):
    author = make_user()
    comment = make_comment(make_consultation(), author, "mitt")
    browser.login(author)
    assert browser.get(f"/kommentarer/{comment.id}/rapporter").status_code == 403


def test_anonymous_users_are_sent_to_log_in(client, scene):
    _, comment = scene
    response = client.get(f"/kommentarer/{comment.id}/rapporter")
    assert response.status_code == 302 and "/logg-inn" in response.headers["Location"]
