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
def test_deleting_an_account(browser_for, make_consultation, make_comment, client, app, monkeypatch, setting):
    monkeypatch.setitem(app.config, "ACCOUNT_DELETION_COMMENTS", setting)
    consultation = make_consultation()
    me = browser_for(email="borte@example.org", name="Snart borte")
    make_comment(consultation, me.user, "Et innspill jeg skrev")
    assert me.submit("/min-side/slett", data={"password": "feil-passord-1"}).status_code == 403
    assert me.submit("/min-side/slett", data={"password": TEST_PASSWORD}).status_code == 303
    with app.app_context():
        user = db.session.get(User, me.user.id)
        assert user.email is None and user.password_hash is None and user.display_name == "Slettet bruker"
        comment = db.session.scalar(sa.select(Comment).where(Comment.author_id == user.id))
        assert comment.state == ("published" if setting == "anonymize" else "removed")
    page = client.get(f"/hoeringer/{consultation.slug}").get_data(as_text=True)
    assert "Snart borte" not in page
    assert ("Et innspill jeg skrev" in page) == (setting == "anonymize")
    assert me.get("/min-side").status_code == 302  # logged out, and cannot log in again


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
