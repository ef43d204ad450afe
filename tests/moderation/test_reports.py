"""Citizens report comments; enough reports hide a comment pending review."""

from __future__ import annotations

import html
import re

import pytest

from tests.conftest import csrf_token_from
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


def _report_link(page: str, comment_id: int) -> str:
    match = re.search(rf'<a [^>]*href="([^"]*/kommentarer/{comment_id}/rapporter[^"]*)"', page)
    assert match, "no report link on the page"
    return html.unescape(match.group(1))


def test_anonymous_reader_sees_report_and_is_led_through_login_back_to_the_report_form(client, scene, make_user, app):
    consultation, comment = scene
    reader = make_user(name="Leser")
    page = client.get(f"/hoeringer/{consultation.slug}").get_data(as_text=True)
    link = _report_link(page, comment.id)

    to_login = client.get(link)
    assert to_login.status_code == 302
    login_url = to_login.headers["Location"]
    assert login_url.startswith("/logg-inn?next=")
    login_page = client.get(login_url).get_data(as_text=True)
    logged_in = client.post(login_url, data={"csrf_token": csrf_token_from(login_page), "email": reader.email,
                                             "password": reader.password})
    assert logged_in.status_code == 303
    assert logged_in.headers["Location"] == f"/kommentarer/{comment.id}/rapporter"

    form_page = client.get(logged_in.headers["Location"]).get_data(as_text=True)
    assert "Rapporter kommentar" in form_page and "Et sint innlegg" in form_page
    sent = client.post(logged_in.headers["Location"], data={"csrf_token": csrf_token_from(form_page),
                                                          "reason": "offensive"})
    assert sent.status_code == 303
    assert open_report_count(app, comment.id) == 1


@pytest.mark.parametrize("which", [0, -1], ids=["header link", "link under the form"])
def test_anonymous_reader_can_register_on_the_way_and_is_told_to_confirm_the_address_first(client, scene, app,
                                                                                          which):
    consultation, comment = scene
    link = _report_link(client.get(f"/hoeringer/{consultation.slug}").get_data(as_text=True), comment.id)
    login_page = client.get(client.get(link).headers["Location"]).get_data(as_text=True)
    register_url = html.unescape(re.findall(r'href="(/registrer[^"]*)"', login_page)[which])
    register_page = client.get(register_url).get_data(as_text=True)
    registered = client.post(register_url, data={
        "csrf_token": csrf_token_from(register_page), "display_name": "Ny Leser", "email": "ny@example.org",
        "password": "langt-passord-1", "password_again": "langt-passord-1"})
    assert registered.status_code == 303
    assert registered.headers["Location"] == f"/kommentarer/{comment.id}/rapporter"

    form_page = client.get(registered.headers["Location"]).get_data(as_text=True)
    assert "Bekreft e-postadressen din først" in form_page  # told before filling in the form
    refused = client.post(registered.headers["Location"], data={"csrf_token": csrf_token_from(form_page),
                                                              "reason": "offensive", "text": "Stygt"})
    assert refused.status_code == 403 and "Stygt" in refused.get_data(as_text=True)  # kept, not lost
    assert open_report_count(app, comment.id) == 0


def test_the_report_link_is_not_offered_where_reporting_is_impossible(client, browser, make_user, make_consultation,
                                                                      make_comment):
    consultation = make_consultation()
    author = make_user()
    own = make_comment(consultation, author, "mitt eget")
    hidden = make_comment(consultation, make_user(), "skjult", state="hidden")
    make_comment(consultation, make_user(), "svar", parent=hidden)
    anonymous_page = client.get(f"/hoeringer/{consultation.slug}").get_data(as_text=True)
    assert f"/kommentarer/{hidden.id}/rapporter" not in anonymous_page  # a placeholder has nothing to report
    browser.login(author)
    assert f"/kommentarer/{own.id}/rapporter" not in browser.get(f"/hoeringer/{consultation.slug}").get_data(
        as_text=True)
