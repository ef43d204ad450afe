"""Administration: users and roles, house rules."""

from __future__ import annotations

import sqlalchemy as sa

from hoering.accounts.models import User
from hoering.extensions import db
from hoering.moderation.models import HouseRule, ModerationAction


def test_admin_lists_and_searches_users(browser_for, make_user):
    make_user(name="Kari Nordmann", email="kari@example.org")
    make_user(name="Ola Hansen", email="ola@example.org")
    admin = browser_for("admin")
    html = admin.get("/admin/brukere?q=kari").get_data(as_text=True)
    assert "Kari Nordmann" in html and "Ola Hansen" not in html
    assert "Ola Hansen" in admin.get("/admin/brukere?role=citizen").get_data(as_text=True)


def test_admin_changes_a_role_and_it_is_logged(browser_for, make_user, app):
    user = make_user()
    admin = browser_for("admin")
    assert admin.submit(f"/admin/brukere/{user.id}", data={"role": "moderator"}).status_code == 303
    with app.app_context():
        assert db.session.get(User, user.id).role == "moderator"
        entry = db.session.scalar(sa.select(ModerationAction).where(ModerationAction.action == "role_change"))
        assert (entry.actor_id, entry.target_user_id, entry.state_before, entry.state_after) == \
            (admin.user.id, user.id, "citizen", "moderator")


def test_the_last_admin_keeps_the_role(browser_for, app):
    admin = browser_for("admin")
    response = admin.submit(f"/admin/brukere/{admin.user.id}", data={"role": "citizen"})
    assert response.status_code == 403
    with app.app_context():
        assert db.session.get(User, admin.user.id).role == "admin"


def test_admin_writes_house_rules_that_moderators_pick_and_the_public_reads(browser_for, app, client,
                                                                          make_consultation, make_comment, make_user):
    admin = browser_for("admin")
    response = admin.submit("/admin/ordensregler/ny", data={
        "code": "valgkamp", "title": "Valgkamp", "description": "Ikke bruk høringen til valgkamp.",
        "position": "10", "is_active": "y"})
    assert response.status_code == 303
    assert "Ikke bruk høringen til valgkamp." in client.get("/ordensregler").get_data(as_text=True)
    comment = make_comment(make_consultation(), make_user(), "x")
    comment_page = browser_for("moderator").get(f"/moderering/kommentarer/{comment.id}").get_data(as_text=True)
    assert 'value="valgkamp"' in comment_page


def test_duplicate_house_rule_code_is_refused(browser_for, app):
    admin = browser_for("admin")
    response = admin.submit("/admin/ordensregler/ny", data={"code": "personopplysninger", "title": "Igjen",
                                                            "position": "1", "is_active": "y"})
    assert response.status_code == 409
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(HouseRule.id)).where(HouseRule.title == "Igjen")) == 0


def test_retired_house_rule_is_no_longer_offered(browser_for, app, make_consultation, make_comment, make_user):
    with app.app_context():
        rule_id = db.session.scalar(sa.select(HouseRule.id).where(HouseRule.code == "reklame"))
    admin = browser_for("admin")
    admin.submit(f"/admin/ordensregler/{rule_id}", data={"title": "Reklame og spam", "position": "3"})
    comment = make_comment(make_consultation(), make_user(), "x")
    moderator = browser_for("moderator")
    assert 'value="reklame"' not in moderator.get(f"/moderering/kommentarer/{comment.id}").get_data(as_text=True)
    from tests.moderation.helpers import act

    assert act(moderator, comment.id, "hide", reason="reklame").status_code == 422
