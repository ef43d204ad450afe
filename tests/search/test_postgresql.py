"""The PostgreSQL search backend: chosen only on PostgreSQL, written in the transaction of
the change, its query syntax, snippets and capped counts."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from hoering import ConfigurationError, create_app
from hoering.extensions import db
from hoering.search import postgresql, tsquery
from hoering.search.models import IndexTask, SearchDocument, SearchWord
from tests.conftest import captured_sql
from tests.search.test_search import comment_id, found_ids, post


@pytest.fixture
def on_postgresql(search_backend):
    if search_backend != "postgresql":
        pytest.skip("a test of the PostgreSQL search backend")


@pytest.mark.whoosh_only  # needs no database: runs once
def test_postgresql_search_on_another_database_stops_the_start(tmp_path):
    with pytest.raises(ConfigurationError, match="not PostgreSQL"):
        create_app({"TESTING": True, "SEARCH_BACKEND": "postgresql",
                    "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x.sqlite'}"})
    with pytest.raises(ConfigurationError, match="must be"):
        create_app({"TESTING": True, "SEARCH_BACKEND": "elastic",
                    "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x.sqlite'}"})


@pytest.mark.whoosh_only  # needs no database: runs once
@pytest.mark.parametrize(("typed", "groups"), [
    ("skole*", [[tsquery.Term("skole", prefix=True)]]),
    ('kommune -skole* "gang vei"', [[tsquery.Term("kommune")], [tsquery.Term("skole", prefix=True, negated=True)],
                                    [tsquery.Term('"gang vei"')]]),
    ('"skole* i" by*', [[tsquery.Term('"skole* i"')], [tsquery.Term("by", prefix=True)]]),
    ("NOT park AND vei", [[tsquery.Term("-park")], [tsquery.Term("vei")]]),
    ('"unbalanced sko*', [[tsquery.Term("unbalanced")], [tsquery.Term("sko", prefix=True)]]),
    ("asfalt OR sykkel* vei", [[tsquery.Term("asfalt"), tsquery.Term("sykkel", prefix=True)], [tsquery.Term("vei")]]),
    ("OR NOT -- *", []),
])
def test_queries_are_split_into_groups_of_alternatives(typed, groups):
    assert tsquery.split_query(typed) == groups


def test_documents_are_written_in_the_transaction_of_the_change(on_postgresql, app, make_consultation, make_user,
                                                                browser_for, client):
    consultation = make_consultation()
    post(browser_for(), consultation, "Brøyting av fortau")
    cid = comment_id(app, "Brøyting av fortau")
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(IndexTask.id))) == 0
        document = db.session.scalar(sa.select(SearchDocument).where(SearchDocument.doc_id == cid,
                                                                     SearchDocument.doc_type == "comment"))
        assert document.config == "norwegian" and document.state == "published"

        from hoering.comments.models import Comment
        from hoering.search.services import enqueue

        comment = db.session.get(Comment, cid)
        comment.body_text = "Strøing av fortau"
        enqueue("comment", cid)
        db.session.rollback()  # nothing of it is kept
        assert "Brøyting" in db.session.scalar(sa.select(SearchDocument.body).where(
            SearchDocument.doc_type == "comment", SearchDocument.doc_id == cid))
    assert found_ids(client.get("/sok?q=brøyting").get_data(as_text=True)) == [cid]


def test_phrases_exclusions_alternatives_and_prefixes(on_postgresql, app, make_consultation, browser_for, client):
    consultation = make_consultation()
    citizen = browser_for()
    texts = ["Ny gang og sykkelvei langs sjøen", "Sykkelvei uten gang", "Parkeringsplasser ved skolen",
             "Parkering ved hallen"]
    for text in texts:
        post(citizen, consultation, text)
    ids = {text: comment_id(app, text) for text in texts}

    def found(q):
        return sorted(found_ids(client.get("/sok", query_string={"q": q, "type": "comment"}).get_data(as_text=True)))

    assert found('"gang og sykkelvei"') == [ids[texts[0]]]
    assert found("sykkelvei -sjøen") == [ids[texts[1]]]
    assert found("sykkelvei NOT sjøen") == [ids[texts[1]]]
    assert found("sjøen OR hallen") == sorted([ids[texts[0]], ids[texts[3]]])
    assert found("parker*") == sorted([ids[texts[2]], ids[texts[3]]])
    assert found("parker* -skol*") == [ids[texts[3]]]
    assert found("*") == [] and found("-") == []


def test_the_vocabulary_follows_the_documents_in_their_transaction(on_postgresql, app, make_consultation,
                                                                   browser_for, client, runner):
    consultation = make_consultation(title="Snøbrøyting")
    post(browser_for(), consultation, "Brøyting av fortau, brøyting av gater")
    cid = comment_id(app, "Brøyting av fortau, brøyting av gater")

    def vocabulary():
        with app.app_context():
            return {word: n for word, n in db.session.execute(sa.select(SearchWord.word, SearchWord.documents))
                    if n}

    words = vocabulary()
    # Counted once per document, lower-cased as written; a consultation's title counts.
    assert words["brøyting"] == 1 and words["fortau"] == 1 and words["snøbrøyting"] == 1
    with app.app_context():
        postgresql.write([], [f"comment:{cid}"])
        db.session.rollback()
    assert vocabulary() == words
    with app.app_context():
        postgresql.write([], [f"comment:{cid}"])
        db.session.commit()
    assert "fortau" not in vocabulary() and "snøbrøyting" in vocabulary()
    assert runner.invoke(args=["hoering", "reindex"]).exit_code == 0
    assert vocabulary() == words
    assert client.get("/api/v1/search?q=fortou").get_json()["suggestion"] == "fortau"


def test_other_languages_are_searched_without_stemming(on_postgresql, app, make_consultation, browser_for, client):
    consultation = make_consultation(language="de", title="Radwege")
    post(browser_for(), consultation, "Sichere Radwege für Kinder")
    with app.app_context():
        assert db.session.scalar(sa.select(SearchDocument.config).where(SearchDocument.doc_type == "comment")) \
            == "simple"
    assert len(found_ids(client.get("/sok?q=radwege").get_data(as_text=True))) == 1
    assert found_ids(client.get("/sok?q=radweg").get_data(as_text=True)) == []


def test_hits_are_counted_up_to_the_limit(on_postgresql, app, make_consultation, make_user, make_comment, client,
                                          monkeypatch):
    monkeypatch.setitem(app.config, "SEARCH_COUNT_LIMIT", 5)
    consultation, author = make_consultation(), make_user()
    for i in range(7):
        make_comment(consultation, author, f"Veilys nummer {i}")
    html = client.get("/sok?q=veilys").get_data(as_text=True)
    assert "Over 5 treff" in html
    data = client.get("/api/v1/search?q=veilys").get_json()
    assert data["capped"] is True and data["total"] == 5
    monkeypatch.setitem(app.config, "SEARCH_COUNT_LIMIT", 7)
    data = client.get("/api/v1/search?q=veilys").get_json()
    assert data["capped"] is False and data["total"] == 7


def test_the_newest_matches_are_counted_and_ranked_however_the_dates_are_spread(
        on_postgresql, app, make_consultation, make_user, make_comment, client, monkeypatch):
    monkeypatch.setitem(app.config, "SEARCH_COUNT_LIMIT", 4)
    monkeypatch.setattr(postgresql, "FIRST_WINDOW", 1)  # windows of dates grow from almost nothing
    consultation, author = make_consultation(), make_user()
    start = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    # Written out of date order, with most matches long before the newest documents.
    days = [300, 2, 5, 1, 250, 3, 4, 299, 0, 298]
    made = {}
    for day in days:
        text = f"Gatelys dag {day}" if day >= 200 or day == 0 else f"Fortau dag {day}"
        made[day] = make_comment(consultation, author, text, created_at=start + dt.timedelta(days=day)).id
    triples = [make_comment(consultation, author, f"Gatelys og gatelys og gatelys {n}",
                            created_at=start + dt.timedelta(days=n)).id for n in range(6)]

    def ids(**params):
        data = client.get("/api/v1/search", query_string={"q": "gatelys", **params}).get_json()
        return data, [hit["id"] for hit in data["results"]]

    data, newest = ids(sort="newest")
    assert data["capped"] is True and data["total"] == 4
    assert newest == [made[300], made[299], made[298], made[250]]
    data, best = ids()
    # The five newest matches are ranked (one more than the limit is read): of the comments
    # that say the word three times, all older, only the newest is among them.
    assert data["total"] == 4 and best[0] == triples[5]
    assert set(best[1:]) <= {made[300], made[299], made[298], made[250]}
    monkeypatch.setitem(app.config, "SEARCH_COUNT_LIMIT", 100)
    data, best = ids()
    assert data["total"] == 11 and data["capped"] is False and set(best[:6]) == set(triples)


def test_snippets_never_carry_typed_marks(on_postgresql, make_consultation, browser_for, client):
    post(browser_for(), make_consultation(), "Busstopp \ue000ikke\ue001 <mark>merket</mark> & mer")
    data = client.get("/api/v1/search?q=busstopp").get_json()
    snippet = data["results"][0]["snippet_html"]
    assert snippet.count("<mark>") == 1 and "<mark>Busstopp</mark>" in snippet
    assert "&lt;mark&gt;merket" in snippet and "\ue000" not in snippet


def test_a_posted_comment_is_written_without_reading_it_back(on_postgresql, app, make_consultation, browser_for,
                                                              client, runner):
    """The search document of a new comment comes from the comment the posting transaction
    inserted: the same document a reindex writes, and no read of the comment table after
    the insert."""
    consultation = make_consultation(title="Veilys på skoleveien")
    citizen = browser_for(name="Lise Lysglad")
    with captured_sql(app) as statements:
        post(citizen, consultation, "Mørkt ved busstoppet om vinteren")
    inserted = next(i for i, s in enumerate(statements) if s.startswith("INSERT INTO comment "))
    written = next(i for i, s in enumerate(statements) if s.startswith("INSERT INTO search_document "))
    assert not [s for s in statements[inserted:written] if s.startswith("SELECT") and " FROM comment" in s]
    cid = comment_id(app, "Mørkt ved busstoppet om vinteren")
    with app.app_context():
        author, title, state = db.session.execute(sa.select(SearchDocument.author, SearchDocument.title,
                                                            SearchDocument.state).where(
            SearchDocument.doc_type == "comment", SearchDocument.doc_id == cid)).one()
    assert (author, title, state) == ("Lise Lysglad", "Veilys på skoleveien", "published")
    result = runner.invoke(args=["hoering", "search-check"])
    assert result.exit_code == 0, result.output
    assert found_ids(client.get("/sok?q=busstoppet").get_data(as_text=True)) == [cid]
