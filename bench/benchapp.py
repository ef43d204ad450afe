"""What the HTTP benchmarks share: a throw-away app with its own database and index, and
a moderator logged in through the login form."""

from __future__ import annotations

import os
import re
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
    """A test client logged in as a (new) moderator through the login form."""
    with app.app_context():
        create_user(MODERATOR[0], "Moderator", MODERATOR[1], "moderator")
    client = app.test_client()
    page = client.get("/logg-inn").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    client.post("/logg-inn", data={"csrf_token": token, "email": MODERATOR[0], "password": MODERATOR[1]})
    return client
