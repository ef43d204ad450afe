"""What the HTTP benchmarks share: a throw-away app with its own database and index, and
a moderator logged in through the login form."""

from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from hoering import create_app  # noqa: E402
from hoering.accounts.services import create_user  # noqa: E402
from hoering.extensions import db  # noqa: E402

MODERATOR = ("mod@example.org", "bench-password")


def bench_app(folder: str):
    """An app on a fresh SQLite database in ``folder`` (or HOERING_BENCH_DATABASE_URL,
    whose tables are dropped), with the schema created; fast password hashing, no rate
    limits."""
    url = os.environ.get("HOERING_BENCH_DATABASE_URL", f"sqlite:///{folder}/bench.sqlite")
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url, "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
                      "RATELIMIT_ENABLED": False, "SEARCH_INDEX_DIR": os.path.join(folder, "search-index")})
    with app.app_context():
        db.drop_all()
        db.create_all()
    return app


def moderator_client(app):
    """A test client logged in as a (new) moderator. The session is written directly (as
    Flask-Login's own session keys) rather than through the login form: with rate limits
    off (:func:`bench_app`) the login form's throttle has no storage to count in."""
    with app.app_context():
        user = create_user(MODERATOR[0], "Moderator", MODERATOR[1], "moderator", allow_reserved_name=True)
        session_id = f"{user.id}.{user.session_version}"
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"], session["_fresh"] = session_id, True
    assert client.get("/moderering").status_code == 200, "the moderator is not logged in"
    return client
