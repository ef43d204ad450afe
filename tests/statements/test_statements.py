"""The statements every Norwegian public website publishes, linked from every page: the
accessibility statement and the privacy page, both set by configuration and written in
bokmål, nynorsk and English."""

from __future__ import annotations

import re

import pytest

from tests.conftest import Browser

PAGES = ["/", "/arkiv", "/ordensregler", "/sok?q=skole", "/personvern", "/tilgjengelighet", "/logg-inn", "/finnes-ikke"]


def text_of(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


@pytest.mark.parametrize("url", PAGES)
def test_every_page_links_both_statements_from_its_footer(client, url):
    html = client.get(url).get_data(as_text=True)
    footer = html[html.index('<footer'):]
    assert 'href="/tilgjengelighet"' in footer and 'href="/personvern"' in footer


@pytest.mark.parametrize("language, heading, breach, authority", [
    ("nb", "Tilgjengelighetserklæring", "Brudd på regelverket", "Tilsyn og klage"),
    ("nn", "Tilgjengelegheitserklæring", "Brot på regelverket", "Tilsyn og klage"),
    ("en", "Accessibility statement", "Breaches of the requirements", "Supervision and complaints"),
])
def test_the_accessibility_statement_has_the_uustatus_parts_in_each_language(app, language, heading, breach,
                                                                               authority):
    browser = Browser(app.test_client())
    browser.submit("/", "/sprak", data={"lang": language, "next": "/"})
    html = browser.get("/tilgjengelighet").get_data(as_text=True)
    page = text_of(html)
    assert f'<html lang="{language}">' in html
    assert f"<h1>{heading}</h1>" in html and breach in page and authority in page
    assert "WCAG 2.1" in page and "3.1.2" in page  # the platform's own known breaches
    assert 'href="https://www.uutilsynet.no/"' in html


def test_the_accessibility_statement_is_set_by_configuration(client, app, monkeypatch):
    monkeypatch.setitem(app.config, "ACCESSIBILITY_STATUS", "full")
    monkeypatch.setitem(app.config, "ACCESSIBILITY_METHOD", "third_party")
    monkeypatch.setitem(app.config, "ACCESSIBILITY_ASSESSED_ON", "2026-11-30")
    monkeypatch.setitem(app.config, "ACCESSIBILITY_UUSTATUS_URL", "https://uustatus.no/nb/erklaringer/publisert/abc")
    monkeypatch.setitem(app.config, "ACCESSIBILITY_FEEDBACK", "uu@fjordvik.kommune.no")
    monkeypatch.setitem(app.config, "ACCESSIBILITY_NONCONFORMITIES",
                        [{"criterion": "1.4.3", "text": "Kartet har for svak kontrast.", "plan": "Rettes i mars."}])
    html = client.get("/tilgjengelighet").get_data(as_text=True)
    page = text_of(html)
    assert "oppfyller kravene i forskrift om universell utforming" in page
    assert "uavhengig part" in page and "sist vurdert 30. november 2026" in page
    assert "suksesskriterium 1.4.3" in page and "Kartet har for svak kontrast." in page and "Rettes i mars." in page
    assert "3.1.2" not in page  # the configured list replaces the platform's
    assert 'href="https://uustatus.no/nb/erklaringer/publisert/abc"' in html
    assert 'href="mailto:uu@fjordvik.kommune.no"' in html


def test_a_bad_assessment_date_is_left_out_not_an_error(client, app, monkeypatch):
    monkeypatch.setitem(app.config, "ACCESSIBILITY_ASSESSED_ON", "i fjor")
    response = client.get("/tilgjengelighet")
    assert response.status_code == 200 and "sist vurdert" not in response.get_data(as_text=True)


def test_the_privacy_page_names_controller_officer_bases_periods_and_the_authority(client, app, monkeypatch):
    monkeypatch.setitem(app.config, "PRIVACY_CONTROLLER", "Fjordvik kommune")
    monkeypatch.setitem(app.config, "PRIVACY_CONTROLLER_ADDRESS", "Rådhusgata 1, 9999 Fjordvik, org.nr. 974760673")
    monkeypatch.setitem(app.config, "PRIVACY_CONTACT", "postmottak@fjordvik.kommune.no")
    monkeypatch.setitem(app.config, "PRIVACY_DPO_NAME", "Ola Ombud")
    monkeypatch.setitem(app.config, "PRIVACY_DPO_EMAIL", "personvernombud@fjordvik.kommune.no")
    monkeypatch.setitem(app.config, "REJECTED_RETENTION_DAYS", 90)
    monkeypatch.setitem(app.config, "PRIVACY_EXTRA_RETENTION", [("Høringssvar i sak", "Etter arkivplanen")])
    html = client.get("/personvern").get_data(as_text=True)
    page = text_of(html)
    assert "Fjordvik kommune, Rådhusgata 1, 9999 Fjordvik, org.nr. 974760673" in page
    assert "Ola Ombud" in page and 'href="mailto:personvernombud@fjordvik.kommune.no"' in html
    assert "artikkel 6 nr. 1 bokstav e" in page and "kommuneloven § 4-1" in page
    assert "90 dager etter at den ble sendt, deretter slettet." in page
    assert "30 dager, eller til du logger ut." in page
    assert "Høringssvar i sak Etter arkivplanen" in page
    assert 'href="https://www.datatilsynet.no/"' in html and "klage til Datatilsynet" in page


def test_without_an_officer_configured_the_page_says_whom_to_ask(client):
    page = text_of(client.get("/personvern").get_data(as_text=True))
    assert "Spør den behandlingsansvarlige om personvernombudet." in page
