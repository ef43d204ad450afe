"""Norwegian words in search, with both backends: compounds found by their parts, spelling
variants treated alike, and words left out with a minus (docs/SEARCH.md)."""

from __future__ import annotations

import re

import pytest

from hoering.search.words import split_compound, split_exclusions, variants
from tests.search.test_search import comment_id, found_ids, post


def _found(client, q: str) -> list[int]:
    return found_ids(client.get("/sok", query_string={"q": q, "type": "comment"}).get_data(as_text=True))


def test_compound_words_are_found_by_their_parts_below_the_word_itself(browser_for, make_consultation, client, app):
    consultation = make_consultation()
    citizen = browser_for()
    texts = ["Vi trenger en sykkelvei til skolen", "Sykkelveien langs fjorden er for smal",
             "Gangvei langs elva mangler lys", "En sykkel trenger plass på bussen", "Trafikksikkerhet ved krysset"]
    for text in texts:
        post(citizen, consultation, text)
    ids = [comment_id(app, text) for text in texts]

    sykkel = _found(client, "sykkel")
    assert sorted(sykkel) == sorted(ids[:2] + [ids[3]])
    assert sykkel[0] == ids[3]  # the word itself ranks above the compounds holding it
    assert sorted(_found(client, "vei")) == sorted(ids[:3])
    assert _found(client, "sikkerhet") == [ids[4]]
    assert _found(client, '"sykkel vei"') == [ids[0]]  # a phrase meets the parts of one compound in order
    assert _found(client, "lys") == [ids[2]]  # a word is not found inside every longer word: "plass" ≠ "lys"
    # The compound itself is still found whole (with its other forms, as any word).
    assert sorted(_found(client, "sykkelveien")) == sorted(ids[:2])


def test_spelling_variants_are_treated_alike(browser_for, make_consultation, client, app):
    consultation = make_consultation()
    citizen = browser_for()
    texts = ["Vegen til skulen er farleg", "Veien er stengt i vinter", "Gata er mørk om kvelden",
             "Boken om byen ligger på biblioteket", "Barna er heime etter skoletid"]
    for text in texts:
        post(citizen, consultation, text)
    ids = [comment_id(app, text) for text in texts]

    assert sorted(_found(client, "vei")) == sorted(ids[:2])
    assert sorted(_found(client, "veg")) == sorted(ids[:2])
    assert sorted(_found(client, "vegen")) == sorted(ids[:2])
    assert sorted(_found(client, "skole")) == [ids[0], ids[4]]  # "skulen", and "skoletid" by its part
    assert _found(client, "gaten") == [ids[2]]
    assert _found(client, "boka") == [ids[3]]
    assert _found(client, "hjemme") == [ids[4]]
    assert _found(client, "vei -vegen") == []  # a word left out takes its variants with it


def test_a_minus_leaves_a_word_out(browser_for, make_consultation, client, app):
    consultation = make_consultation()
    citizen = browser_for()
    texts = ["Parkering ved skolen", "Parkering ved hallen", "Parkering for sykkel-vei brukere"]
    for text in texts:
        post(citizen, consultation, text)
    ids = [comment_id(app, text) for text in texts]

    assert sorted(_found(client, "parkering -hallen")) == sorted([ids[0], ids[2]])
    assert sorted(_found(client, "parkering NOT hallen")) == sorted([ids[0], ids[2]])
    assert _found(client, 'parkering -"ved skolen" -hallen') == [ids[2]]
    assert _found(client, "sykkel-vei") == [ids[2]]  # a hyphen inside a word leaves nothing out
    data = client.get("/api/v1/search", query_string={"q": "parkering -hallen"}).get_json()
    assert data["total"] == 2 and data["excluded"] == ["hallen"] and data["without_exclusions"] is None


def test_when_the_exclusions_leave_nothing_the_page_offers_the_search_without_them(browser_for, make_consultation,
                                                                                  client, app):
    consultation = make_consultation()
    citizen = browser_for()
    post(citizen, consultation, "Parkering ved hallen")
    html = client.get("/sok", query_string={"q": "parkering -hallen"}).get_data(as_text=True)
    assert "Ingenting er igjen når hallen utelates." in html
    link = re.search(r'<a href="([^"]+)">Søk etter «parkering» uten å utelate noe \(1 treff\)</a>', html)
    assert link, html
    assert found_ids(client.get(link.group(1).replace("&amp;", "&")).get_data(as_text=True)) == \
        [comment_id(app, "Parkering ved hallen")]

    citizen.submit("/", "/sprak", data={"lang": "en", "next": "/"})
    english = citizen.get("/sok", query_string={"q": "parkering -hallen"})
    assert "Nothing is left once hallen is left out." in english.get_data(as_text=True)
    data = client.get("/api/v1/search", query_string={"q": "parkering -hallen"}).get_json()
    assert data["total"] == 0 and data["without_exclusions"] == {"query": "parkering", "total": 1}
    nothing = client.get("/sok", query_string={"q": "sykkel -hallen"}).get_data(as_text=True)
    assert "Søket uten det finner heller ingenting." in nothing


@pytest.mark.parametrize("q", ["-sykkel", "NOT sykkel", '-"sykkel vei"', "-sykkel -bil", "og -sykkel"])
def test_a_query_that_only_leaves_out_is_explained(browser_for, make_consultation, client, q):
    post(browser_for(), make_consultation(), "Parkering ved hallen")
    response = client.get("/sok", query_string={"q": q})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Søket ditt sier bare hva som skal utelates" in html and found_ids(html) == []
    assert f'value="{q}"'.replace('"sykkel vei"', "&#34;sykkel vei&#34;") in html  # the query is kept
    data = client.get("/api/v1/search", query_string={"q": q}).get_json()
    assert data["total"] == 0 and data["excluded"] and data["results"] == []


def test_the_search_page_explains_how_to_search_and_has_one_search_landmark(client, browser):
    html = client.get("/sok").get_data(as_text=True)
    assert "Anførselstegn søker etter en frase:" in html and "<code>sykkel -parkering</code>" in html
    assert 'aria-describedby="search-q-help"' in html
    assert html.count('role="search"') == 1
    browser.submit("/", "/sprak", data={"lang": "en", "next": "/"})
    english = browser.get("/sok", query_string={"q": "x"}).get_data(as_text=True)
    assert "A minus in front of a word leaves it out:" in english
    assert 'role="status"' not in english.split("<main", 1)[1].split('id="results-heading"', 1)[1][:40]


@pytest.mark.parametrize(("word", "parts"), [
    ("sykkelveien", ["sykkel", "veien"]), ("gangvei", ["gang", "vei"]),
    ("trafikksikkerhet", ["trafikk", "sikkerhet"]), ("parkeringsplass", ["parkering", "plass"]),
    ("samferdselsdepartementet", ["samferdsel", "departementet"]),
    ("kommunen", None), ("undersøkelse", None), ("forslaget", None), ("sikkerhet", None), ("vei", None),
])
def test_compounds_are_split_against_the_word_list(word, parts):
    assert split_compound(word) == parts


def test_exclusions_and_variants_are_read_from_the_query():
    assert split_exclusions('sykkel -vei NOT bil -"gang vei" sykkel-vei') == ("sykkel sykkel-vei",
                                                                            ["vei", "bil", '"gang vei"'])
    assert split_exclusions("-sykkel") == ("", ["sykkel"])
    assert set(variants("vei")) >= {"veg", "veien", "vegen"} and variants("kommune") == ()


@pytest.mark.whoosh_only  # the Whoosh index's own schema
def test_an_index_made_before_the_parts_field_keeps_working_until_reindex_adds_it(tmp_path):
    import datetime as dt

    from whoosh import index as whoosh_index

    from hoering.search.backend import IndexDocument, SearchIndex, build_schema
    from hoering.search.querying import search

    old_schema = build_schema()
    old_schema.remove("parts_no")
    whoosh_index.create_in(str(tmp_path), old_schema)
    index = SearchIndex(str(tmp_path))
    documents = [IndexDocument("comment", n, 1, "published", "nb", "Kari", "", text,
                               dt.datetime(2026, 1, n, tzinfo=dt.UTC))
                 for n, text in enumerate(["Sykkelveien er smal", "En sykkel er fin"], start=1)]
    assert index.apply(documents, [])  # the parts are left out: the old index has no field for them
    assert search(index, "sykkel").total == 1 and search(index, "sykkelveien").total == 1

    index.rebuild(lambda: iter(documents))  # flask hoering reindex
    assert "parts_no" in whoosh_index.open_dir(str(tmp_path)).schema
    found = search(index, "sykkel")
    assert found.total == 2 and [hit.doc_id for hit in found.hits] == [2, 1]  # the word itself first
    index.close_searcher()
