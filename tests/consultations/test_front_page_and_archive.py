"""The front page (open, upcoming, awaiting the decision, featured first, filtered by topic
and area) and the archive (closed, imported and archived consultations, searchable)."""

from __future__ import annotations

import datetime as dt
import re

import sqlalchemy as sa

from hoering.consultations.models import LifecycleEvent
from hoering.extensions import db
from hoering.timeutil import end_of_oslo_day, oslo_today


def titles(html: str) -> list[str]:
    return re.findall(r'<h[23][^>]*><a href="/hoeringer/[^"]+">([^<]+)</a></h[23]>', html)


def section(html: str, heading_id: str) -> str:
    match = re.search(rf'<section aria-labelledby="{heading_id}">(.*?)</section>', html, re.S)
    return match.group(1) if match else ""


def test_the_front_page_shows_open_upcoming_and_those_awaiting_the_decision(client, make_consultation):
    today = oslo_today()
    make_consultation(title="Åpen om skolen")
    make_consultation(status="upcoming", title="Kommer om havna")
    make_consultation(status="closed", title="Lukket uten vedtak")
    make_consultation(status="closed", title="Lukket med vedtak", decision_text="Vedtatt.",
                      decided_at=dt.datetime.now(dt.UTC))
    make_consultation(status="closed", title="Lukket for lenge siden",
                      closes_at=end_of_oslo_day(today - dt.timedelta(days=400)),
                      opens_at=dt.datetime.now(dt.UTC) - dt.timedelta(days=500))
    make_consultation(title="Importert samtale", external_id="polis:x", source_url="https://pol.is/x",
                      source_attribution="The Computational Democracy Project, Polis")
    make_consultation(title="Demo med nøkkel", external_id="demo:fjordvik:x")

    html = client.get("/").get_data(as_text=True)

    assert sorted(titles(section(html, "open-heading"))) == ["Demo med nøkkel", "Åpen om skolen"]
    assert titles(section(html, "upcoming-heading")) == ["Kommer om havna"]
    assert titles(section(html, "awaiting-heading")) == ["Lukket uten vedtak"]
    assert "Lukket med vedtak" not in html and "Lukket for lenge siden" not in html and "Importert" not in html
    archive = client.get("/arkiv").get_data(as_text=True)
    # the latest deadline first (the imported conversation's lies ahead), then the newest
    assert titles(archive) == ["Importert samtale", "Lukket med vedtak", "Lukket uten vedtak",
                               "Lukket for lenge siden"]
    assert "Åpen om skolen" not in archive and "Kommer om havna" not in archive


def test_the_front_page_filters_by_topic_and_area_in_the_address(client, make_consultation):
    make_consultation(title="Skole i sentrum", topic="skole", area="sentrum")
    make_consultation(title="Skole i nord", topic="skole", area="nord")
    make_consultation(title="Vei i sentrum", topic="trafikk", area="sentrum")

    html = client.get("/?tema=skole").get_data(as_text=True)
    assert sorted(titles(html)) == ["Skole i nord", "Skole i sentrum"]
    assert '<option value="skole" selected>' in html
    assert titles(client.get("/?tema=skole&omrade=sentrum").get_data(as_text=True)) == ["Skole i sentrum"]
    assert 'href="/arkiv?tema=skole&amp;omrade=sentrum"' in client.get("/?tema=skole&omrade=sentrum").get_data(
        as_text=True)
    assert titles(client.get("/?tema=helse").get_data(as_text=True)) == []


def test_an_unknown_filter_is_explained_and_the_rest_still_shown(client, make_consultation):
    make_consultation(title="Skole i sentrum", topic="skole", area="sentrum")
    answer = client.get("/?tema=finnes-ikke&omrade=sentrum")
    html = answer.get_data(as_text=True)
    assert answer.status_code == 400
    assert "Det finnes ikke noe tema «finnes-ikke»" in html and titles(html) == ["Skole i sentrum"]
    english = client.get("/?tema=%3Cb%3Ex")
    assert english.status_code == 400 and "<b>x" not in english.get_data(as_text=True)  # escaped
    for query in ("ar=abc", "ar=99999999999999999999", "q=" + "x" * 5000, "q=%25_%5C", "tema=%00"):
        assert client.get(f"/arkiv?{query}").status_code in (200, 400), query


def test_the_archive_is_searched_by_words_year_topic_and_area(client, make_consultation):
    today = oslo_today()
    last_year = dt.date(today.year - 1, 6, 15)
    make_consultation(status="closed", title="Ny barnehage i Nordbygda", topic="skole", area="nord")
    make_consultation(status="closed", title="Gang- og sykkelvei", summary="Trygg skolevei", topic="trafikk",
                      closes_at=end_of_oslo_day(last_year), opens_at=end_of_oslo_day(last_year - dt.timedelta(days=50)))
    make_consultation(status="closed", title="Budsjett 100% klart", topic="okonomi", area="sentrum")

    def found(query: str) -> list[str]:
        answer = client.get(f"/arkiv?{query}")
        assert answer.status_code == 200
        return sorted(titles(answer.get_data(as_text=True)))

    assert found("q=barnehage") == ["Ny barnehage i Nordbygda"]
    assert found("q=SKOLEVEI") == ["Gang- og sykkelvei"]  # the summary counts, case ignored
    assert found("q=100%25") == ["Budsjett 100% klart"] and found("q=%25%25") == []
    assert found(f"ar={today.year - 1}") == ["Gang- og sykkelvei"]
    assert found("tema=skole&omrade=nord") == ["Ny barnehage i Nordbygda"]
    html = client.get(f"/arkiv?ar={today.year}").get_data(as_text=True)
    assert f'<option value="{today.year - 1}">' in html and f'<option value="{today.year}" selected>' in html
    assert found("ar=1999") == []  # a year with nothing archived: the answer is empty, the choice kept
    assert '<option value="1999" selected>' in client.get("/arkiv?ar=1999").get_data(as_text=True)


def test_staff_feature_consultations_first_in_their_order_and_it_is_logged(browser_for, make_consultation, client,
                                                                           app):
    first = make_consultation(title="Frist snart")
    second = make_consultation(title="Kommer", status="upcoming")
    third = make_consultation(title="Frist senere", closes_at=end_of_oslo_day(oslo_today() + dt.timedelta(days=30)))
    officer = browser_for("case_officer")

    def feature(consultation, **data):
        return officer.submit(f"/saksbehandling/hoeringer/{consultation.slug}/livslop", data=data)

    assert feature(third, action="feature", position="2").status_code == 303
    assert feature(second, action="feature", position="1").status_code == 303
    html = client.get("/").get_data(as_text=True)
    assert titles(section(html, "featured-heading")) == ["Kommer", "Frist senere"]
    assert titles(section(html, "open-heading")) == ["Frist snart"]
    assert section(html, "featured-heading").count("Fremhevet</span>") == 2
    refused = feature(first, action="feature", position="x")
    assert refused.status_code == 422 and 'value="x"' in refused.get_data(as_text=True)
    assert feature(first, action="feature", position="9").status_code == 422
    for role in ("citizen", "moderator"):
        assert browser_for(role).submit(f"/saksbehandling/hoeringer/{first.slug}/livslop",
                                        data={"action": "feature", "position": "1"}).status_code == 403
    assert feature(second, action="unfeature").status_code == 303
    assert titles(section(client.get("/").get_data(as_text=True), "featured-heading")) == ["Frist senere"]
    with app.app_context():
        kinds = list(db.session.scalars(sa.select(LifecycleEvent.kind).order_by(LifecycleEvent.id)))
    assert kinds == ["featured", "featured", "unfeatured"]
    history = officer.get(f"/saksbehandling/hoeringer/{second.slug}/livslop").get_data(as_text=True)
    assert "Fremhevet på forsiden" in history and "Ikke lenger fremhevet" in history


def test_at_most_the_configured_number_are_featured(browser_for, make_consultation, app):
    officer = browser_for("case_officer")
    consultations = [make_consultation() for _ in range(app.config["FEATURED_MAX"] + 1)]
    codes = [officer.submit(f"/saksbehandling/hoeringer/{c.slug}/livslop",
                            data={"action": "feature", "position": "1"}).status_code for c in consultations]
    assert codes == [303] * app.config["FEATURED_MAX"] + [422]
