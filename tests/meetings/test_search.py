"""Agendas and minutes are searchable, in both search backends (Whoosh always; PostgreSQL
where the test database is PostgreSQL), and a hit links to the meeting."""

from __future__ import annotations

import pytest

from hoering.timeutil import oslo_today
from tests.search.conftest import search_backend  # noqa: F401  (the fixture: once per backend)


@pytest.fixture(autouse=True)
def _inline_indexing(search_inline, search_backend):  # noqa: F811
    yield


def test_a_published_agenda_is_found_and_links_to_the_meeting(client, make_meeting, make_consultation):
    make_consultation(title="Høring om vannverk")
    _slug, meeting_id, _items = make_meeting(items=(("PS 7/26", "Reguleringsplan for Sjøgata"),))
    _slug, hidden_id, _items = make_meeting(items=(("PS 8/26", "Reguleringsplan for Fjellveien"),), published=False)
    page = client.get("/sok?q=reguleringsplan").get_data(as_text=True)
    assert f'href="/moter/{meeting_id}"' in page and f'href="/moter/{hidden_id}"' not in page
    answer = client.get("/api/v1/search?q=reguleringsplan").get_json()
    assert [(r["type"], r["id"]) for r in answer["results"]] == [("meeting", meeting_id)]
    assert answer["results"][0]["url"].endswith(f"/moter/{meeting_id}")
    assert answer["results"][0]["consultation_id"] is None
    assert answer["counts"].get("meeting") == 1 and answer["counts"].get("comment") == 0
    assert client.get("/api/v1/search?q=reguleringsplan&type=comment").get_json()["total"] == 0
    assert client.get("/api/v1/search?q=reguleringsplan&type=meeting").get_json()["total"] == 1
    # A search within consultations in one status leaves meetings out.
    assert client.get("/api/v1/search?q=reguleringsplan&status=open").get_json()["total"] == 0


def test_minutes_are_found_once_approved(client, browser_for, make_meeting):
    _slug, meeting_id, _items = make_meeting(days=-1)
    officer = browser_for("case_officer")
    url = f"/saksbehandling/moter/{meeting_id}/protokoll"
    officer.submit(url, data={"minutes": "Forslaget om **fjernvarme** ble vedtatt.", "approved_on": ""})
    assert client.get("/api/v1/search?q=fjernvarme").get_json()["total"] == 0
    officer.submit(url, data={"minutes": "Forslaget om **fjernvarme** ble vedtatt.",
                              "approved_on": oslo_today().isoformat()})
    answer = client.get("/api/v1/search?q=fjernvarme").get_json()
    assert [(r["type"], r["id"]) for r in answer["results"]] == [("meeting", meeting_id)]
    assert "<mark>" in answer["results"][0]["snippet_html"] and "<strong>" not in answer["results"][0]["snippet_html"]


def test_search_check_and_reindex_know_the_meetings(app, runner, make_meeting):
    make_meeting(items=(("PS 9/26", "Budsjett for kulturhuset"),))
    result = runner.invoke(args=["hoering", "search-check"])
    assert result.exit_code == 0, result.output
    assert runner.invoke(args=["hoering", "reindex"]).exit_code == 0
    from hoering.search import services
    with app.app_context():
        assert services.check().ok
