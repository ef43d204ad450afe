"""The migration that adds ``user.name_skeleton`` fills it for the accounts already there,
so their names are protected from look-alikes at once."""

from __future__ import annotations

import sqlalchemy as sa
from flask_migrate import upgrade

from hoering import create_app, migrating
from hoering.extensions import db
from tests.conftest import Browser

BEFORE = "1a6a2fd79770"  # the revision before the skeletons


def test_existing_accounts_get_their_skeletons_and_their_names_are_protected(tmp_path):
    app = create_app({"TESTING": True, "SECRET_KEY": "test-secret-key-not-for-production",
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'old.sqlite'}",
                      "SEARCH_INDEX_DIR": str(tmp_path / "index"), "MAIL_DIR": str(tmp_path / "mail"),
                      "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000", "SEARCH_INDEX_INLINE": False})
    migrating.enable(app)
    try:
        with app.app_context():
            upgrade(revision=BEFORE)
            with db.engine.begin() as connection:
                connection.execute(sa.text(
                    "INSERT INTO user (email, display_name, role, is_pseudonymous, created_at, wants_digest, "
                    "session_version) VALUES (:email, :name, 'citizen', 0, '2026-01-01 00:00:00', 0, 0)"),
                    [{"email": "aase@example.org", "name": "Åse Ødegård"}, {"email": None, "name": "Deltaker 7"}])
                connection.execute(sa.text(
                    "INSERT INTO user (email, display_name, role, is_pseudonymous, created_at, wants_digest, "
                    "session_version, deleted_at) VALUES (NULL, '', 'citizen', 0, '2026-01-01 00:00:00', 0, 0, "
                    "'2026-02-01 00:00:00')"))
            upgrade()
            rows = db.session.execute(sa.text("SELECT display_name, name_skeleton FROM user ORDER BY id")).all()
            assert [len(key) if key else key for _name, key in rows] == [64, 64, None]
            db.session.remove()
        browser = Browser(app.test_client())
        for lookalike in ("Åse\u200b Ødegård", "Deltaker 7"):
            response = browser.submit("/registrer", data={"display_name": lookalike, "email": "ny@example.org",
                                                          "password": "langt-passord-1",
                                                          "password_again": "langt-passord-1"})
            assert response.status_code == 422, lookalike
    finally:
        with app.app_context():
            db.engine.dispose()
