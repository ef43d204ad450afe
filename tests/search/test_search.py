"""Searching through the page, the API and the CLI; the index in step with every write."""

from __future__ import annotations

import datetime as dt
import json
import os
import re

import pytest
import sqlalchemy as sa

from hoering.comments.models import Comment
from hoering.extensions import db
from hoering.search.models import IndexTask
from tests.conftest import shared_data
from tests.moderation.helpers import act


def post(browser, consultation, text, **extra):
    return browser.submit(f"/hoeringer/{consultation.slug}", f"/hoeringer/{consultation.slug}/kommentarer",
                          data={"text": text, **extra})


def found_ids(html: str) -> list[int]:
    return [int(n) for n in re.findall(r'href="/kommentarer/(\d+)">', html)]


def comment_id(app, text):
    with app.app_context():
        return db.session.scalar(sa.select(Comment.id).where(Comment.body_text == text))


def check_ok(runner):
    result = runner.invoke(args=["hoering", "search-check"])
    assert result.exit_code == 0, result.output
    return result


def test_search_finds_other_forms_of_norwegian_words(browser_for, make_consultation, client, app, runner):
    consultation = make_consultation(title="Skolebruk")
    citizen = browser_for()
    post(citizen, consultation, "Skolene i bygda trenger nye lokaler")
    post(citizen, consultation, "Kommunen må lytte til foreldrene")

    skole = client.get("/sok?q=skolen").get_data(as_text=True)
    kommune = client.get("/sok?q=kommune").get_data(as_text=True)

    assert found_ids(skole) == [comment_id(app, "Skolene i bygda trenger nye lokaler")]
    assert "<mark>Skolene</mark>" in skole
    assert found_ids(kommune) == [comment_id(app, "Kommunen må lytte til foreldrene")]
    check_ok(runner)


def test_english_consultations_are_stemmed_in_english(browser_for, make_consultation, client, app):
    consultation = make_consultation(language="en", title="Bike lanes")
    post(browser_for(), consultation, "We need safer cycling routes to school")
    html = client.get("/sok?q=cycle+route").get_data(as_text=True)
    assert found_ids(html) == [comment_id(app, "We need safer cycling routes to school")]


def test_public_search_sees_only_published_comments_and_moderators_see_more(browser_for, make_consultation,
                                                                            make_comment, make_user, client, app):
    consultation = make_consultation(moderation_mode="pre")
    citizen, moderator = browser_for(), browser_for("moderator")
    post(citizen, consultation, "Hemmelig ventende forslag om parkering")
    pending_id = comment_id(app, "Hemmelig ventende forslag om parkering")

    assert found_ids(client.get("/sok?q=parkering").get_data(as_text=True)) == []
    assert found_ids(moderator.get("/sok?q=parkering").get_data(as_text=True)) == [pending_id]
    assert found_ids(moderator.get("/sok?q=parkering&state=published").get_data(as_text=True)) == []
    assert found_ids(client.get("/sok?q=parkering&state=pending").get_data(as_text=True)) == []

    act(moderator, pending_id, "approve")
    assert found_ids(client.get("/sok?q=parkering").get_data(as_text=True)) == [pending_id]
    act(moderator, pending_id, "hide", reason="reklame")
    assert found_ids(client.get("/sok?q=parkering").get_data(as_text=True)) == []


def test_the_index_follows_every_kind_of_write(browser_for, make_consultation, app, client, runner):
    consultation = make_consultation()
    citizen, moderator, officer = browser_for(), browser_for("moderator"), browser_for("case_officer")
    post(citizen, consultation, "Fotgjengere trenger lys")
    cid = comment_id(app, "Fotgjengere trenger lys")
    check_ok(runner)

    citizen.submit(f"/kommentarer/{cid}/rediger", data={"text": "Syklister trenger lys"})
    assert found_ids(client.get("/sok?q=syklister").get_data(as_text=True)) == [cid]
    assert found_ids(client.get("/sok?q=fotgjengere").get_data(as_text=True)) == []
    check_ok(runner)

    act(moderator, cid, "hide", reason="reklame")
    check_ok(runner)
    act(moderator, cid, "restore")
    check_ok(runner)

    citizen.submit(f"/kommentarer/{cid}/fjern")
    assert found_ids(client.get("/sok?q=syklister").get_data(as_text=True)) == []
    check_ok(runner)

    from tests.consultations.test_pages import consultation_form

    officer.submit(f"/saksbehandling/hoeringer/{consultation.slug}/rediger",
                   data=consultation_form(title="Belysning langs Elvestien", slug=consultation.slug))
    assert "Belysning langs Elvestien" in client.get("/sok?q=elvestien").get_data(as_text=True)
    check_ok(runner)
    officer.submit(f"/saksbehandling/hoeringer/{consultation.slug}/rediger",
                   data=consultation_form(title="Belysning langs Elvestien", slug=consultation.slug, publish=None))
    assert "Belysning langs Elvestien" not in client.get("/sok?q=elvestien").get_data(as_text=True)
    check_ok(runner)


@pytest.mark.whoosh_only  # PostgreSQL writes the search document in the change's own transaction
def test_a_crash_between_commit_and_indexing_loses_nothing(browser_for, make_consultation, app, runner, client,
                                                          monkeypatch):
    monkeypatch.setitem(app.config, "SEARCH_INDEX_INLINE", False)  # as if the process died after the commit
    consultation = make_consultation()
    post(browser_for(), consultation, "Et innspill om brøyting")

    result = runner.invoke(args=["hoering", "search-check"])
    assert result.exit_code != 0 and "missing: comment:" in result.output
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(IndexTask.id))) >= 1

    worker = runner.invoke(args=["hoering", "index-worker", "--once"])
    assert worker.exit_code == 0 and "Applied" in worker.output
    check_ok(runner)
    assert len(found_ids(client.get("/sok?q=brøyting").get_data(as_text=True))) == 1


def test_reindex_rebuilds_from_the_database(browser_for, make_consultation, app, runner, tmp_path, search_backend):
    consultation = make_consultation()
    post(browser_for(), consultation, "Snømåking på fortauet")
    from hoering.search.models import SearchDocument
    from hoering.search.services import get_index

    with app.app_context():
        get_index().clear()
        db.session.execute(sa.delete(SearchDocument))
        db.session.commit()
    assert runner.invoke(args=["hoering", "search-check"]).exit_code != 0
    result = runner.invoke(args=["hoering", "reindex"])
    assert result.exit_code == 0 and "Indexed 2 documents" in result.output
    check_ok(runner)


def test_snippets_are_escaped_with_marks_only(browser_for, make_consultation, client):
    consultation = make_consultation()
    post(browser_for(), consultation, 'Busstopp <script>alert("x")</script> <b onmouseover=1>fet</b>')
    html = client.get("/sok?q=busstopp").get_data(as_text=True)
    snippet = re.search(r'<p class="snippet">(.*?)</p>', html, re.S).group(1)
    assert "<mark>Busstopp</mark>" in snippet
    assert "<script" not in snippet and "<b " not in snippet and "&lt;script&gt;" in snippet


def test_filters_sort_pagination_and_suggestions(browser_for, make_consultation, client, app):
    first, second = make_consultation(title="Første"), make_consultation(title="Andre")
    citizen = browser_for()
    for i in range(25):
        post(citizen, first, f"Trafikk nummer {i}")
    post(citizen, second, "Trafikk i andre sak")

    everything = client.get("/sok?q=trafikk").get_data(as_text=True)
    assert "26 treff" in everything and "Side 1 av 2" in everything
    only_second = client.get(f"/sok?q=trafikk&consultation={second.id}").get_data(as_text=True)
    assert "1 treff" in only_second
    newest = client.get("/sok?q=trafikk&sort=newest").get_data(as_text=True)
    assert found_ids(newest)[0] == comment_id(app, "Trafikk i andre sak")
    assert "Mente du" in client.get("/sok?q=trafik").get_data(as_text=True)
    consultations_only = client.get("/sok?q=gjelder&type=consultation&status=open").get_data(as_text=True)
    assert "2 treff" in consultations_only and found_ids(consultations_only) == []
    assert "0 treff" in client.get("/sok?q=gjelder&type=consultation&status=closed").get_data(as_text=True)


@pytest.mark.parametrize("text", ['"unbalanced', "(((", "AND OR NOT", "state:hidden", "*kommune", "?", "a" * 10000,
                                  "title:x AND", "\x00\x01", "'; DROP TABLE comment; --", "ü̈̈̈", "🙂 🙂"])
def test_any_input_is_a_valid_query(client, make_consultation, text):
    make_consultation()
    response = client.get("/sok", query_string={"q": text})
    assert response.status_code == 200
    api = client.get("/api/v1/search", query_string={"q": text})
    assert api.status_code in (200, 400)


def test_long_queries_are_cut_with_a_notice(client, make_consultation):
    make_consultation()
    html = client.get("/sok", query_string={"q": "ord " * 300}).get_data(as_text=True)
    assert "bare de første 500 tegnene" in html


def test_every_blns_string_is_a_valid_query(client, make_consultation):
    make_consultation()
    with open(shared_data("blns", "blns.json"), encoding="utf-8") as handle:
        strings = json.load(handle)
    for text in strings:
        assert client.get("/sok", query_string={"q": text}).status_code == 200, repr(text)
        if text.strip():
            assert client.get("/api/v1/search", query_string={"q": text}).status_code == 200, repr(text)


def test_api_search_is_public_scope(browser_for, make_consultation, client, app):
    consultation = make_consultation()
    citizen = browser_for()
    post(citizen, consultation, "Gatelys ved skolen")
    post(citizen, make_consultation(moderation_mode="pre"), "Gatelys som venter")
    data = client.get("/api/v1/search?q=gatelys").get_json()
    assert data["total"] == 1 and data["results"][0]["type"] == "comment"
    assert "<mark>Gatelys</mark>" in data["results"][0]["snippet_html"]
    assert client.get("/api/v1/search").status_code == 400


def test_comments_are_found_by_their_own_words_not_their_consultations_title(browser_for, make_consultation, client,
                                                                             app):
    consultation = make_consultation(title="Ny sykkelvei langs fjorden")
    post(browser_for(), consultation, "Husk belysning ved bussholdeplassen")
    html = client.get("/sok?q=sykkelvei").get_data(as_text=True)
    assert found_ids(html) == [] and "Ny sykkelvei langs fjorden" in html  # the consultation itself


def test_suggestions_never_reveal_words_the_visitor_may_not_see(browser_for, make_consultation, client, app):
    make_consultation(status="draft", title="Gebyrforskrift for vann")
    consultation = make_consultation(moderation_mode="pre")
    post(browser_for(), consultation, "Olsenbakken bør stenges")  # pending: not public
    for query_text in ["gebyrforskrif", "olsenbakkenn"]:
        assert client.get("/api/v1/search", query_string={"q": query_text}).get_json()["suggestion"] is None
        assert "Mente du" not in client.get("/sok", query_string={"q": query_text}).get_data(as_text=True)
    moderator = browser_for("moderator")
    assert "Mente du" in moderator.get("/sok?q=olsenbakkenn").get_data(as_text=True)


def test_suggestions_neither_show_nor_hide_because_of_hidden_words(browser_for, make_consultation, make_comment,
                                                                    make_user, client):
    consultation = make_consultation()
    author = make_user()
    make_comment(consultation, author, "Hemmeligheten om sykkelvei er avslørt")
    make_comment(consultation, author, "Hemmeligheter som ingen skal lese", state="hidden")

    def suggestion(text):
        return client.get("/api/v1/search", query_string={"q": text}).get_json()["suggestion"]

    # A form that exists only in the hidden text (it stems like a visible one) is never offered.
    assert suggestion("hemmelighetex") in (None, "hemmeligheten")
    before = suggestion("sykkelvej")
    assert before == "sykkelvei"
    # A draft consultation with a word one edit away does not change what the public is offered.
    make_consultation(status="draft", title="Sykkelvez", summary="Sykkelvez over fjellet")
    assert suggestion("sykkelvej") == before


def test_a_word_ending_in_a_star_finds_the_words_it_begins(browser_for, make_consultation, client, app):
    consultation = make_consultation()
    citizen = browser_for()
    texts = ["Parkeringsplasser ved skolen", "Parkering ved hallen", "Sykkelparkering ved stasjonen",
             "Asfalt på veien"]
    for text in texts:
        post(citizen, consultation, text)
    ids = {text: comment_id(app, text) for text in texts}

    def found(q):
        html = client.get("/sok", query_string={"q": q, "type": "comment"}).get_data(as_text=True)
        return sorted(found_ids(html))

    # The compound "Sykkelparkering" is found by its part "parkering" (docs/SEARCH.md), ranked last.
    assert found("parkerin*") == sorted([ids[texts[0]], ids[texts[1]], ids[texts[2]]])
    ranked = found_ids(client.get("/sok", query_string={"q": "parkerin*", "type": "comment"}).get_data(as_text=True))
    assert ranked[-1] == ids[texts[2]]
    assert found("Parkerin*") == found("parkerin*")
    assert found("parkerin* hallen") == [ids[texts[1]]]
    assert found("parkerin* NOT hallen") == sorted([ids[texts[0]], ids[texts[2]]])
    assert found("sykkelpark*") == [ids[texts[2]]] and found("asf* veien") == [ids[texts[3]]]
    assert found("parkeringx*") == [] and found("parkerin") == []  # a word is not a prefix
    # OR joins a prefix word as it joins any other word: either will do.
    assert found("asfalt OR sykkelpark*") == sorted([ids[texts[2]], ids[texts[3]]])
    assert found("sykkelpark* OR asfalt") == sorted([ids[texts[2]], ids[texts[3]]])
    assert found("parkerin* OR asfalt hallen") == [ids[texts[1]]]
    data = client.get("/api/v1/search", query_string={"q": "sykkelpark*"}).get_json()
    assert "<mark>Sykkelparkering</mark>" in data["results"][0]["snippet_html"]


def test_wildcards_cannot_make_a_query_expensive(browser_for, make_consultation, client):
    post(browser_for(), make_consultation(), "Asfalt på veien")
    response = client.get("/sok", query_string={"q": " OR ".join(f"{c}*" for c in "abcdefghijklmnopqrstuvwxyz")})
    assert response.status_code == 200
    assert found_ids(client.get("/sok", query_string={"q": "v?ien a*t"}).get_data(as_text=True)) == []


def test_renaming_a_consultation_or_an_author_keeps_the_index_in_step(browser_for, make_consultation, client, app,
                                                                      runner):
    from tests.consultations.test_pages import consultation_form

    consultation = make_consultation()
    citizen, officer = browser_for(name="Gammelt Navn"), browser_for("case_officer")
    post(citizen, consultation, "Flere benker i parken")
    officer.submit(f"/saksbehandling/hoeringer/{consultation.slug}/rediger",
                   data=consultation_form(title="Parkplan revidert", slug=consultation.slug))
    check_ok(runner)
    citizen.submit("/min-side", data={"display_name": "Nytt Navn"})
    check_ok(runner)
    html = client.get("/sok?q=benker").get_data(as_text=True)
    assert "Nytt Navn" in html and "Gammelt Navn" not in html


@pytest.mark.whoosh_only  # the Whoosh writer lock
def test_reindex_waits_for_no_one_else_writing(app, runner, monkeypatch):
    from hoering.search.services import get_index

    with app.app_context():
        ix = get_index().open()
        writer = ix.writer()  # another process holds the index
        try:
            import hoering.search.backend as backend

            original = backend.SearchIndex.rebuild
            monkeypatch.setattr(backend.SearchIndex, "rebuild",
                                lambda self, documents, before_reading=None, timeout=60.0:
                                original(self, documents, before_reading, timeout=0.2))
            result = runner.invoke(args=["hoering", "reindex"])
        finally:
            writer.cancel()
    assert result.exit_code != 0 and "Another process" in result.output


@pytest.mark.whoosh_only  # the Whoosh writer lock
def test_writes_during_a_reindex_are_applied_when_it_ends(make_consultation, make_user, make_comment, app, runner,
                                                          client, monkeypatch):
    import hoering.search.services as search_services
    from hoering.search.models import IndexTask

    consultation = make_consultation()
    comment = make_comment(consultation, make_user(), "Hemmeligsak om veien")
    original = search_services.all_documents

    def documents_while_someone_hides():
        # Another process hides the comment while the rebuild holds the writer lock: its
        # task waits in the table (the rebuild reads the old state).
        first = list(original())
        with db.engine.begin() as connection:
            connection.execute(sa.update(Comment).where(Comment.id == comment.id).values(state="hidden"))
            connection.execute(sa.insert(IndexTask).values(doc_type="comment", doc_id=comment.id,
                                                           created_at=dt.datetime.now(dt.UTC)))
        yield from first

    monkeypatch.setattr(search_services, "all_documents", documents_while_someone_hides)
    assert runner.invoke(args=["hoering", "reindex"]).exit_code == 0
    monkeypatch.setattr(search_services, "all_documents", original)
    assert found_ids(client.get("/sok?q=hemmeligsak").get_data(as_text=True)) == []
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(IndexTask.id))) == 0
    check_ok(runner)


@pytest.mark.whoosh_only  # the Whoosh index files
def test_search_check_on_an_unreadable_index_says_so_in_one_line(app, runner, make_consultation):
    make_consultation()
    index_dir = app.config["SEARCH_INDEX_DIR"]
    for name in os.listdir(index_dir):
        if name.endswith(".toc"):
            os.remove(os.path.join(index_dir, name))
            os.mkdir(os.path.join(index_dir, name))  # reading it fails as on a failing disk
    result = runner.invoke(args=["hoering", "search-check"])
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert "The search index cannot be read" in result.output and "reindex" in result.output
