"""Nobody moderates her own comment, nor one she has reported herself (administrators too).

Every door is tried: the comment's action form, the queue's single buttons, its ticked
comments and "all on this page". The comment waits for another moderator.
"""

from __future__ import annotations

import pytest

from hoering.extensions import db
from hoering.moderation.models import Report
from tests.conftest import csrf_token_from
from tests.moderation.helpers import comment_row, log_of, open_report_count
from tests.moderation.test_queue import queue_ids

OWN_NOTE = "Dette er din egen kommentar: en annen moderator må avgjøre den."
REPORTED_NOTE = "Du har selv rapportert denne kommentaren: en annen moderator må avgjøre den."


def post_action(browser, comment_id: int, action: str, reason: str = ""):
    """Post an action as a forged form would: the token from the page, the current version."""
    page = browser.get(f"/moderering/kommentarer/{comment_id}").get_data(as_text=True)
    return browser.client.post(f"/moderering/kommentarer/{comment_id}/handling", data={
        "csrf_token": csrf_token_from(page), "action": action, "reason": reason,
        "version": str(comment_row(browser.app, comment_id).moderation_version)})


def post_bulk(browser, comment_id: int, action: str, door: str, reason: str = ""):
    """The queue's doors: ``single`` (a comment's own button), ``ticked`` or ``page``."""
    page = browser.get("/moderering").get_data(as_text=True)
    version = str(comment_row(browser.app, comment_id).moderation_version)
    data = {"csrf_token": csrf_token_from(page), "back": "/moderering", "reason": reason,
            f"version-{comment_id}": version}
    if door == "single":
        data["single"] = f"{comment_id}:{action}"
    elif door == "ticked":
        data.update(action=action, comment=str(comment_id))
    else:
        data.update(action=action, all_on_page="1", page_item=str(comment_id))
    return browser.client.post("/moderering/samlet", data=data)


@pytest.fixture
def moderators(app, browser_for):
    """Two moderators (the first is the author in the tests) and an administrator."""
    result = {}
    for name, role in (("self", "moderator"), ("other", "moderator"), ("admin", "admin")):
        result[name] = browser_for(role)
        result[name].app = app
    return result


@pytest.mark.parametrize("role", ["self", "admin"])
def test_a_moderator_cannot_approve_her_own_pending_comment(moderators, make_consultation, role):
    consultation = make_consultation(moderation_mode="pre")
    me = moderators[role]
    comment_id = me.comment(consultation.slug, "Mitt eget innspill som venter")
    assert comment_row(me.app, comment_id).state == "pending"

    response = post_action(me, comment_id, "approve")

    assert response.status_code == 403
    assert OWN_NOTE in response.get_data(as_text=True)
    assert comment_row(me.app, comment_id).state == "pending" and log_of(me.app, comment_id) == []


@pytest.mark.parametrize("door", ["single", "ticked", "page"])
def test_no_queue_door_lets_a_moderator_approve_her_own_comment(moderators, make_consultation, door):
    consultation = make_consultation(moderation_mode="pre")
    me = moderators["self"]
    comment_id = me.comment(consultation.slug, "Venter på en annen moderator")

    response = post_bulk(me, comment_id, "approve", door)

    assert response.status_code == 303
    assert OWN_NOTE in me.get(response.headers["Location"]).get_data(as_text=True)
    assert comment_row(me.app, comment_id).state == "pending" and log_of(me.app, comment_id) == []


@pytest.mark.parametrize("action, reason", [("hide", "personopplysninger"), ("lock", ""), ("dismiss_reports", "")])
def test_a_moderator_cannot_hide_lock_or_clear_reports_of_her_own_comment(
        moderators, make_consultation, browser_for, action, reason):
    consultation = make_consultation()
    me = moderators["self"]
    comment_id = me.comment(consultation.slug, "Mitt publiserte innspill")
    browser_for().submit(f"/kommentarer/{comment_id}/rapporter", data={"reason": "offensive"})

    response = post_action(me, comment_id, action, reason)

    assert response.status_code == 403
    row = comment_row(me.app, comment_id)
    assert (row.state, row.locked_at) == ("published", None) and open_report_count(me.app, comment_id) == 1


@pytest.mark.parametrize("action", ["restore", "approve"])
def test_a_moderator_cannot_undo_another_moderators_decision_on_her_comment(
        moderators, make_consultation, action):
    consultation = make_consultation(moderation_mode="pre")
    me, other = moderators["self"], moderators["other"]
    comment_id = me.comment(consultation.slug, "Venter og blir avgjort")
    if action == "restore":
        assert post_action(other, comment_id, "approve").status_code == 303
        assert post_action(other, comment_id, "hide", "personopplysninger").status_code == 303
    else:
        assert post_action(other, comment_id, "reject").status_code == 303
    state = comment_row(me.app, comment_id).state

    assert post_action(me, comment_id, action).status_code == 403
    assert post_bulk(me, comment_id, action, "single").status_code == 303
    assert comment_row(me.app, comment_id).state == state


def test_a_moderator_cannot_decide_on_a_comment_she_reported(moderators, make_consultation, make_user,
                                                            make_comment):
    consultation = make_consultation()
    comment = make_comment(consultation, make_user(), "Et innlegg hun mislikte")
    me = moderators["self"]
    me.submit(f"/kommentarer/{comment.id}/rapporter", data={"reason": "offensive"})

    for action, reason in (("hide", "personopplysninger"), ("dismiss_reports", "")):
        response = post_action(me, comment.id, action, reason)
        assert response.status_code == 403 and REPORTED_NOTE in response.get_data(as_text=True)
    assert post_bulk(me, comment.id, "hide", "ticked", "personopplysninger").status_code == 303
    assert comment_row(me.app, comment.id).state == "published" and open_report_count(me.app, comment.id) == 1

    # Another moderator decides, and that closes the report.
    assert post_action(moderators["other"], comment.id, "hide", "personopplysninger").status_code == 303
    assert comment_row(me.app, comment.id).state == "hidden" and open_report_count(me.app, comment.id) == 0


def test_the_queue_shows_her_own_comment_without_controls_and_another_moderator_decides(
        app, moderators, make_consultation):
    consultation = make_consultation(moderation_mode="pre")
    me, other = moderators["self"], moderators["other"]
    comment_id = me.comment(consultation.slug, "Vises uten knapper")

    mine = me.get("/moderering").get_data(as_text=True)
    theirs = other.get("/moderering").get_data(as_text=True)

    assert queue_ids(mine) == [comment_id] == queue_ids(theirs)
    assert OWN_NOTE in mine and f'value="{comment_id}:approve"' not in mine
    assert f'name="page_item" value="{comment_id}"' not in mine
    assert OWN_NOTE not in theirs and f'value="{comment_id}:approve"' in theirs
    page = me.get(f"/moderering/kommentarer/{comment_id}").get_data(as_text=True)
    assert OWN_NOTE in page and 'name="action" value="approve"' not in page

    assert post_bulk(other, comment_id, "approve", "single").status_code == 303
    assert comment_row(app, comment_id).state == "published"
    assert [entry[:2] for entry in log_of(app, comment_id)] == [("approve", other.user.id)]


def test_a_report_resolved_by_another_moderator_no_longer_binds_her(app, moderators, make_consultation,
                                                                    make_user, make_comment):
    consultation = make_consultation()
    comment = make_comment(consultation, make_user(), "Rapportert, så frikjent")
    me = moderators["self"]
    me.submit(f"/kommentarer/{comment.id}/rapporter", data={"reason": "spam"})
    assert post_action(moderators["other"], comment.id, "dismiss_reports").status_code == 303
    with app.app_context():
        assert db.session.query(Report).filter_by(comment_id=comment.id, resolution="dismissed").count() == 1

    assert post_action(me, comment.id, "hide", "personopplysninger").status_code == 303
