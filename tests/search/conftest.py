"""Search tests run with the index applied after every write, as in production, once per
search backend: Whoosh always, and PostgreSQL where the test database is PostgreSQL.
Tests of Whoosh's own machinery (segments, merges, file locks) are marked
``whoosh_only``."""

import pytest


@pytest.fixture(params=["whoosh", "postgresql"])
def search_backend(request, app, monkeypatch):
    """The search backend of the test (``SEARCH_BACKEND``); PostgreSQL runs only on a
    PostgreSQL test database, and not for tests marked ``whoosh_only``."""
    if request.param == "postgresql":
        if not str(app.config["SQLALCHEMY_DATABASE_URI"]).startswith("postgresql"):
            pytest.skip("the PostgreSQL search backend needs a PostgreSQL test database")
        if request.node.get_closest_marker("whoosh_only"):
            pytest.skip("a test of the Whoosh index itself")
    monkeypatch.setitem(app.config, "SEARCH_BACKEND", request.param)
    return request.param


@pytest.fixture(autouse=True)
def _inline_indexing(search_inline, search_backend):
    yield
