"""Moderator actions: approve, reject, hide with a house rule, restore, dismiss, lock; conflicts."""

from __future__ import annotations

import re

import pytest

from tests.conftest import csrf_token_from
from tests.moderation.helpers import act, comment_row, log_of, open_report_count


def post_comment(browser, consultation, text, **extra):
    return browser.submit(f"/hoeringer/{consultation.slug}", f"/hoeringer/{consultation.slug}/kommentarer",
                          data={"text": text, **extra})


def test_pre_moderation_holds_comments_until_a_moderator_approves(browser_for, make_consultation, app, client):
    consultation = make_consultation(moderation_mode="pre")
    citizen, moderator = browser_for(), browser_for("moderator")
    post_comment(citizen, consultation, "Vent på meg")
    comment_id = int(re.search(r"kommentar-(\d+)", citizen.get(f"/hoeringer/{consultation.slug}")
                               .get_data(as_text=True)).group(1))
    assert "Venter på godkjenning" in citizen.get(f"/hoeringer/{consultation.slug}").get_data(as_text=True)
    assert "Vent på meg" not in client.get(f"/hoeringer/{consultation.slug}").get_data(as_text=True)
    assert "Vent på meg" in moderator.get("/moderering").get_data(as_text=True)

    assert act(moderator, comment_id, "approve").status_code == 303

    assert "Vent på meg" in client.get(f"/hoeringer/{consultation.slug}").get_data(as_text=True)
    assert log_of(app, comment_id) == [("approve", moderator.user.id, None, "pending", "published", False)]


def test_rejected_comment_shows_its_reason_to_the_author_only(browser_for, make_consultation, make_comment, app,
                                                              client):
    consultation = make_consultation(moderation_mode="pre")
    author, moderator = browser_for(), browser_for("moderator")
    comment = make_comment(consultation, author.user, "Ring Ola på 99 88 77 66", state="pending")

    assert act(moderator, comment.id, "reject", reason="personopplysninger").status_code == 303

    assert comment_row(app, comment.id).state == "rejected"
    own_page = author.get("/min-side").get_data(as_text=True)
    assert "Avvist" in own_page and "Begrunnelse: Personopplysninger" in own_page
    assert "99 88 77 66" not in client.get(f"/hoeringer/{consultation.slug}").get_data(as_text=True)


def test_hidden_comment_leaves_a_placeholder_naming_the_rule_and_keeps_replies(
        browser_for, make_consultation, make_comment, make_user, app, client):
    consultation = make_consultation()
    author, moderator = browser_for(), browser_for("moderator")
    comment = make_comment(consultation, author.user, "Naboen min heter Per Hansen og er syk")
    make_comment(consultation, make_user(), "Et saklig svar", parent=comment)

    response = act(moderator, comment.id, "hide", reason="personopplysninger", note="Navngir privatperson")

    assert response.status_code == 303
    page = client.get(f"/hoeringer/{consultation.slug}").get_data(as_text=True)
    assert "Skjult av moderator: Personopplysninger" in page
    assert "Per Hansen" not in page and "Et saklig svar" in page
    assert "Begrunnelse: Personopplysninger" in author.get("/min-side").get_data(as_text=True)
    [entry] = log_of(app, comment.id)
    assert entry == ("hide", moderator.user.id, "personopplysninger", "published", "hidden", False)


def test_hide_needs_a_house_rule(browser_for, make_consultation, make_comment, make_user, app):
    comment = make_comment(make_consultation(), make_user(), "x")
    response = act(browser_for("moderator"), comment.id, "hide", reason="")
    assert response.status_code == 422 and "Velg ordensregelen" in response.get_data(as_text=True)
    assert comment_row(app, comment.id).state == "published" and log_of(app, comment.id) == []
    # No rule is chosen in advance: a moderator in a hurry must not hide under the wrong one.
    page = browser_for("moderator").get(f"/moderering/kommentarer/{comment.id}").get_data(as_text=True)
    hide_select = re.search(r'<select id="hide-reason".*?</select>', page, re.S).group(0)
    assert '<option value="">Velg en ordensregel</option>' in hide_select and "selected" not in hide_select


def test_restore_and_dismiss_resolve_the_reports(browser_for, make_consultation, make_comment, make_user, app):
    consultation = make_consultation()
    comment = make_comment(consultation, make_user(), "omstridt")
    for _ in range(3):
        browser_for().submit(f"/kommentarer/{comment.id}/rapporter", data={"reason": "spam"})
    assert comment_row(app, comment.id).state == "hidden"
    moderator = browser_for("moderator")

    assert act(moderator, comment.id, "restore").status_code == 303

    assert comment_row(app, comment.id).state == "published" and open_report_count(app, comment.id) == 0
    browser_for().submit(f"/kommentarer/{comment.id}/rapporter", data={"reason": "off_topic"})
    assert act(moderator, comment.id, "dismiss_reports").status_code == 303
    assert open_report_count(app, comment.id) == 0
    assert [e[0] for e in log_of(app, comment.id)] == ["auto_hide", "restore", "dismiss_reports"]


def test_locked_thread_accepts_no_replies(browser_for, make_consultation, make_comment, make_user, app):
    consultation = make_consultation()
    top = make_comment(consultation, make_user(), "Tråden")
    moderator, citizen = browser_for("moderator"), browser_for()
    assert act(moderator, top.id, "lock").status_code == 303

    page = citizen.get(f"/hoeringer/{consultation.slug}").get_data(as_text=True)
    assert "En moderator har låst denne tråden" in page and f"reply-text-{top.id}" not in page
    response = post_comment(citizen, consultation, "Svar likevel", parent_id=str(top.id))
    assert response.status_code == 403 and "Svar likevel" in response.get_data(as_text=True)
    assert post_comment(citizen, consultation, "Ny tråd går fint").status_code == 303

    assert act(moderator, top.id, "unlock").status_code == 303
    assert post_comment(citizen, consultation, "Nå går det", parent_id=str(top.id)).status_code == 303


def test_second_moderator_gets_already_handled_message(browser_for, make_consultation, make_comment, make_user,
                                                      app):
    comment = make_comment(make_consultation(moderation_mode="pre"), make_user(), "x", state="pending")
    first, second = browser_for("moderator", name="Mona Moderator"), browser_for("moderator")
    stale_page = second.get(f"/moderering/kommentarer/{comment.id}").get_data(as_text=True)
    version = int(re.search(r'name="version" value="(\d+)"', stale_page).group(1))

    assert act(first, comment.id, "approve").status_code == 303
    response = act(second, comment.id, "hide", version=version, reason="reklame")

    body = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "Allerede behandlet av Mona Moderator" in body
    assert comment_row(app, comment.id).state == "published"
    assert [e[0] for e in log_of(app, comment.id)] == ["approve"]


def test_action_that_does_not_fit_the_state_is_refused(browser_for, make_consultation, make_comment, make_user,
                                                       app):
    comment = make_comment(make_consultation(), make_user(), "publisert")
    response = act(browser_for("moderator"), comment.id, "reject")
    assert response.status_code == 422 and log_of(app, comment.id) == []


@pytest.mark.parametrize("role", ["citizen", "case_officer"])
def test_only_moderators_act(browser_for, make_consultation, make_comment, make_user, app, role):
    comment = make_comment(make_consultation(), make_user(), "x")
    other = browser_for(role)
    token = csrf_token_from(other.get("/").get_data(as_text=True))
    response = other.client.post(f"/moderering/kommentarer/{comment.id}/handling",
                                 data={"csrf_token": token, "action": "hide", "version": "0", "reason": "reklame"})
    assert response.status_code == 403
    assert comment_row(app, comment.id).state == "published"
