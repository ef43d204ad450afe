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
