"""Search tests run with the index applied after every write, as in production."""

import pytest


@pytest.fixture(autouse=True)
def _inline_indexing(search_inline):
    yield
