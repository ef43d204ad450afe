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


def _language(browser, code: str) -> None:
    browser.submit("/", "/sprak", data={"lang": code, "next": "/"})


def test_the_house_rules_are_read_in_bokmal_nynorsk_and_english_each_marked_with_its_language(browser_for, client):
    page = client.get("/ordensregler").get_data(as_text=True)
    assert '<html lang="nb">' in page and "<h2>Personopplysninger</h2>" in page
    assert 'id="regel-personopplysninger">' in page  # bokmål on a bokmål page needs no mark
    for code, title, description in (("nn", "Personopplysningar", "Ikkje del opplysningar om andre personar"),
                                     ("en", "Personal information", "Do not share information about other people")):
        reader = browser_for()
        _language(reader, code)
        html = reader.get("/ordensregler").get_data(as_text=True)
        assert f'<html lang="{code}">' in html
        assert f"<h2>{title}</h2>" in html and description in html
        assert 'id="regel-personopplysninger">' in html  # in the page's own language


def test_a_rule_not_yet_translated_is_shown_in_bokmal_marked_as_bokmal(browser_for):
    admin = browser_for("admin")
    admin.submit("/admin/ordensregler/ny", data={
        "code": "valgkamp", "title": "Valgkamp", "description": "Ikke bruk høringen til valgkamp.",
        "title_nn": "Valkamp", "description_nn": "Ikkje bruk høyringa til valkamp.", "position": "10",
        "is_active": "y"})
    reader = browser_for()
    _language(reader, "en")
    html = reader.get("/ordensregler").get_data(as_text=True)
    assert '<li id="regel-valgkamp" lang="nb"><h2>Valgkamp</h2>' in html
    _language(reader, "nn")
    assert '<li id="regel-valgkamp"><h2>Valkamp</h2><p>Ikkje bruk høyringa til valkamp.</p>' in \
        reader.get("/ordensregler").get_data(as_text=True)
    form = admin.get(admin_rule_path(admin, "valgkamp")).get_data(as_text=True)
    assert 'lang="nn"' in form and 'value="Valkamp"' in form


def admin_rule_path(admin, code: str) -> str:
    listing = admin.get("/admin/ordensregler").get_data(as_text=True)
    import re

    paths = re.findall(r'href="(/admin/ordensregler/\d+)"', listing)
    for path in paths:
        if f"Kode: {code}" in admin.get(path).get_data(as_text=True):
            return path
    raise AssertionError(code)


def test_a_hidden_comment_names_its_rule_in_the_readers_language(browser_for, make_consultation, make_comment,
                                                                 make_user):
    from tests.moderation.helpers import act

    consultation = make_consultation()
    comment = make_comment(consultation, make_user(), "Ring Ola på 99999999")
    make_comment(consultation, make_user(), "Et svar", parent=comment)  # the thread keeps the placeholder
    act(browser_for("moderator"), comment.id, "hide", reason="personopplysninger")
    reader = browser_for()
    _language(reader, "en")
    html = reader.get(f"/hoeringer/{consultation.slug}").get_data(as_text=True)
    assert "Hidden by a moderator: Personal information" in html
