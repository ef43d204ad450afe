"""Formal responses in search, on both backends: everyone finds the public version of the
published ones; only case officers find those not published, and the text as received."""

from __future__ import annotations

import pytest

from tests.responses.test_public_data import SECRETS, screened  # noqa: F401 - the fixture
from tests.responses.test_responses import document_dir  # noqa: F401 - the fixture


@pytest.fixture(autouse=True)
def _documents(document_dir):  # noqa: F811
    yield


def test_the_public_finds_only_the_public_versions(screened, client):  # noqa: F811
    page = client.get("/sok?q=fotballbane").get_data(as_text=True)
    assert "Publisert innspill om" in page or "<mark>" in page
    assert page.count("/hoeringssvar/") == 2  # the published and the redacted one
    for secret in SECRETS:
        assert secret not in page
    assert "/hoeringssvar/" not in client.get("/sok?q=Tilbakeholdt").get_data(as_text=True)
    assert "/hoeringssvar/" not in client.get("/sok?q=Sensurert").get_data(as_text=True)
    answer = client.get("/api/v1/search?q=fotballbane&type=response").get_json()
    assert answer["total"] == 2 and {hit["type"] for hit in answer["results"]} == {"response"}
    assert all("/hoeringssvar/" in hit["url"] for hit in answer["results"])


def test_case_officers_find_every_response_and_moderators_only_the_published(screened, browser_for):  # noqa: F811
    _consultation, officer = screened
    page = officer.get("/sok?q=fotballbane").get_data(as_text=True)
    assert page.count("/hoeringssvar/") == 4
    assert "/hoeringssvar/" in officer.get("/sok?q=Tilbakeholdt").get_data(as_text=True)
    moderator = browser_for("moderator")
    assert "/hoeringssvar/" not in moderator.get("/sok?q=Tilbakeholdt").get_data(as_text=True)
    assert moderator.get("/sok?q=fotballbane").get_data(as_text=True).count("/hoeringssvar/") == 2


def test_a_result_leads_to_the_response(screened, client):  # noqa: F811
    answer = client.get("/api/v1/search?q=fotballbane&type=response").get_json()
    url = answer["results"][0]["url"]
    response = client.get(url[url.index("/hoeringssvar/"):])
    assert response.status_code == 303 and "/hoeringssvar#HS-" in response.headers["Location"]


def test_the_search_page_filters_to_formal_responses(screened, client):  # noqa: F811
    page = client.get("/sok?q=fotballbane&type=response").get_data(as_text=True)
    assert 'value="response" selected' in page and page.count("/hoeringssvar/") == 2
    assert "/kommentarer/" not in page.split("search-results")[-1]


def test_formal_responses_are_counted_on_their_own(screened, client):  # noqa: F811
    answer = client.get("/api/v1/search?q=fotballbane").get_json()
    assert answer["counts"]["response"] == 2 and answer["counts"]["comment"] == 0
