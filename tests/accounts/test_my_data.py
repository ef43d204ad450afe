"""A user downloads their data and deletes their account (as the municipality decides)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from hoering.accounts.models import User
from hoering.comments.models import Comment
from hoering.extensions import db
from tests.conftest import TEST_PASSWORD


def test_my_data_holds_my_account_and_comments_and_nothing_of_others(browser_for, make_consultation, make_user,
                                                                     make_comment):
    consultation = make_consultation()
    me = browser_for(email="meg@example.org", name="Meg")
    make_comment(consultation, me.user, "Mitt eget innspill")
    make_comment(consultation, make_user(), "Noen andres innspill")
    response = me.get("/min-side/data.json")
    assert response.headers["Content-Disposition"].startswith("attachment")
    data = response.get_json()
    assert data["account"]["email"] == "meg@example.org"
    assert [c["text"] for c in data["comments"]] == ["Mitt eget innspill"]
    assert "Noen andres innspill" not in response.get_data(as_text=True)


@pytest.mark.parametrize("setting", ["anonymize", "remove"])
def test_deleting_an_account(browser_for, make_consultation, make_comment, client, app, monkeypatch, setting,
                             search_inline):
    monkeypatch.setitem(app.config, "ACCOUNT_DELETION_COMMENTS", setting)
    consultation = make_consultation()
    me = browser_for(email="borte@example.org", name="Snart borte")
    make_comment(consultation, me.user, "Et innspill jeg skrev")
    assert me.submit("/min-side/slett", data={"password": "feil-passord-1"}).status_code == 403
    assert me.submit("/min-side/slett", data={"password": TEST_PASSWORD}).status_code == 303
    with app.app_context():
        user = db.session.get(User, me.user.id)
        assert user.email is None and user.password_hash is None and user.chosen_name == ""
        assert user.deleted_at is not None
        comment = db.session.scalar(sa.select(Comment).where(Comment.author_id == user.id))
        assert comment.state == ("published" if setting == "anonymize" else "removed")
    page = client.get(f"/hoeringer/{consultation.slug}").get_data(as_text=True)
    assert "Snart borte" not in page
    assert ("Et innspill jeg skrev" in page) == (setting == "anonymize")
    assert ("Slettet bruker" in page) == (setting == "anonymize")
    assert me.get("/min-side").status_code == 302  # logged out, and cannot log in again
    found = client.get("/sok?q=innspill").get_data(as_text=True)
    assert "Snart borte" not in found and ("Slettet bruker" in found) == (setting == "anonymize")


def test_a_deleted_account_is_named_in_the_readers_language(browser_for, make_consultation, make_comment, browser):
    consultation = make_consultation()
    me = browser_for(name="Snart borte")
    make_comment(consultation, me.user, "Et innspill som blir stående")
    assert me.submit("/min-side/slett", data={"password": TEST_PASSWORD}).status_code == 303
    browser.submit("/", "/sprak", data={"lang": "en", "next": "/"})
    page = browser.get(f"/hoeringer/{consultation.slug}").get_data(as_text=True)
    assert "Deleted user" in page and "Slettet bruker" not in page
    browser.submit("/", "/sprak", data={"lang": "nn", "next": "/"})
    assert "Sletta brukar" in browser.get(f"/hoeringer/{consultation.slug}").get_data(as_text=True)


def test_mails_waiting_for_a_deleted_account_are_dropped(browser_for, make_consultation, app, runner, tmp_path,
                                                         monkeypatch):
    from hoering.notifications.models import OutboxMail

    monkeypatch.setitem(app.config, "MAIL_DIR", str(tmp_path))
    consultation = make_consultation()
    me = browser_for(email="snart-borte@example.org")
    mine = me.comment(consultation.slug, "Mitt innspill")
    browser_for().comment(consultation.slug, "Et svar til deg", reply_to=mine)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMail)
                                 .where(OutboxMail.to_address == "snart-borte@example.org")) == 1
    assert me.submit("/min-side/slett", data={"password": TEST_PASSWORD}).status_code == 303
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMail)
                                 .where(OutboxMail.user_id == me.user.id)) == 0
    result = runner.invoke(args=["hoering", "send-mail", "--no-reminders"])
    assert result.exit_code == 0
    assert not any("snart-borte@example.org" in f.read_text(errors="replace") for f in tmp_path.rglob("*") if f.is_file())


def test_the_last_administrator_cannot_delete_the_account(browser_for, make_user, app):
    admin = browser_for("admin")
    refused = admin.submit("/min-side/slett", data={"password": TEST_PASSWORD})
    assert refused.status_code == 403 and "siste administratoren" in refused.get_data(as_text=True)
    make_user("admin")
    assert admin.submit("/min-side/slett", data={"password": TEST_PASSWORD}).status_code == 303
    with app.app_context():
        assert db.session.get(User, admin.user.id).role == "citizen"


def test_a_deleted_account_gets_no_role(browser_for, make_user, app):
    gone = browser_for()
    assert gone.submit("/min-side/slett", data={"password": TEST_PASSWORD}).status_code == 303
    admin = browser_for("admin")
    page = admin.get(f"/admin/brukere/{gone.user.id}").get_data(as_text=True)
    assert "Konto slettet" in page and "Endre rolle" not in page
    listing = admin.get("/admin/brukere").get_data(as_text=True)
    assert "None" not in listing and "Slettet" in listing
    refused = admin.submit(f"/admin/brukere/{admin.user.id}", f"/admin/brukere/{gone.user.id}",
                           data={"role": "moderator"})
    assert refused.status_code == 403 and "Kontoen er slettet" in refused.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(User, gone.user.id).role == "citizen"


def test_rejected_comments_lose_their_text_after_the_retention_period(make_consultation, make_user, make_comment,
                                                                       runner, app, monkeypatch):
    import datetime as dt

    monkeypatch.setitem(app.config, "REJECTED_RETENTION_DAYS", 30)
    consultation = make_consultation()
    author = make_user()
    old = make_comment(consultation, author, "Gammel avvist reklame", state="rejected",
                       created_at=dt.datetime.now(dt.UTC) - dt.timedelta(days=31))
    recent = make_comment(consultation, author, "Ny avvist reklame", state="rejected")
    kept = make_comment(consultation, author, "Gammelt publisert", created_at=dt.datetime.now(dt.UTC) - dt.timedelta(days=90))
    result = runner.invoke(args=["hoering", "purge"])
    assert result.exit_code == 0 and "Erased the text of 1 rejected" in result.output
    with app.app_context():
        texts = {c.id: c.body_text for c in db.session.scalars(sa.select(Comment))}
    assert texts == {old.id: "", recent.id: "Ny avvist reklame", kept.id: "Gammelt publisert"}
