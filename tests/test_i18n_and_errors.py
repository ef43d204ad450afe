"""Languages, error pages and security headers, through HTTP."""

from __future__ import annotations

import os

import html5lib
import pytest
from babel.messages.pofile import read_po

TRANSLATIONS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "hoering", "translations")


def test_norwegian_bokmal_is_the_default(client, make_consultation):
    make_consultation()
    html = client.get("/").get_data(as_text=True)
    assert '<html lang="nb">' in html and "Høringer" in html and "Hopp til hovedinnholdet" in html


def test_the_language_switch_is_remembered(browser, make_consultation):
    consultation = make_consultation()
    response = browser.submit(f"/hoeringer/{consultation.slug}", "/sprak",
                              data={"lang": "en", "next": f"/hoeringer/{consultation.slug}"})
    assert response.status_code == 303 and response.headers["Location"] == f"/hoeringer/{consultation.slug}"

    html = browser.get(f"/hoeringer/{consultation.slug}").get_data(as_text=True)
    assert '<html lang="en">' in html and "Skip to main content" in html and "Deadline" in html
    assert '<html lang="en">' in browser.get("/").get_data(as_text=True)

    browser.submit("/", "/sprak", data={"lang": "nb", "next": "/"})
    assert '<html lang="nb">' in browser.get("/").get_data(as_text=True)


def test_english_dates_are_written_day_first_with_the_24_hour_clock(browser, make_consultation):
    import datetime as dt

    from hoering.timeutil import end_of_oslo_day

    consultation = make_consultation(closes_at=end_of_oslo_day(dt.date(2030, 3, 15)))
    browser.submit("/", "/sprak", data={"lang": "en", "next": "/"})
    html = browser.get(f"/hoeringer/{consultation.slug}").get_data(as_text=True)
    assert '<html lang="en">' in html and "15 March 2030" in html and "March 15" not in html
    assert "23:59" in html and "PM" not in html


def test_counts_in_messages_built_in_python_are_written_in_norwegian_style(app):
    """Flash messages and mails count in the reader's number style, as the pages do."""
    from hoering.i18n import ngettext

    with app.test_request_context("/"):
        app.preprocess_request()
        text = ngettext("%(num)s comment", "%(num)s comments", 2031)
    assert text.replace("\u00a0", " ") == "2 031 kommentarer"


def test_nynorsk_is_offered(browser):
    browser.submit("/", "/sprak", data={"lang": "nn", "next": "/"})
    html = browser.get("/").get_data(as_text=True)
    assert '<html lang="nn">' in html and "Høyringar" in html


def test_language_switch_ignores_unknown_languages_and_foreign_redirects(browser):
    response = browser.submit("/", "/sprak", data={"lang": "xx", "next": "https://evil.example/"})
    assert response.headers["Location"] == "/"
    assert '<html lang="nb">' in browser.get("/").get_data(as_text=True)


@pytest.mark.parametrize("language", ["nb", "nn"])
def test_every_message_is_translated(language):
    with open(os.path.join(TRANSLATIONS, language, "LC_MESSAGES", "messages.po"), "rb") as handle:
        catalog = read_po(handle)
    with open(os.path.join(TRANSLATIONS, "messages.pot"), "rb") as handle:
        template = read_po(handle)
    missing = [m.id for m in catalog if m.id and (m.fuzzy or not (all(m.string) if isinstance(m.string, tuple)
                                                                    else m.string))]
    assert missing == []
    assert {m.id for m in template if m.id} <= {m.id for m in catalog if m.id}


@pytest.mark.parametrize("url, status, text", [
    ("/finnes-ikke", 404, "Fant ikke siden"),
    ("/hoeringer/finnes-ikke", 404, "Fant ikke siden"),
    ("/kommentarer/999999", 404, "Fant ikke siden"),
])
def test_error_pages_use_the_site_layout(client, url, status, text):
    response = client.get(url)
    html = response.get_data(as_text=True)
    assert response.status_code == status and text in html
    assert 'class="site-header"' in html and 'href="#main"' in html


def test_forbidden_page_uses_the_site_layout(browser, make_user):
    browser.login(make_user())
    response = browser.get("/saksbehandling/hoeringer/ny")
    assert response.status_code == 403 and "Ingen tilgang" in response.get_data(as_text=True)


def test_csrf_failure_page_uses_the_site_layout(client):
    response = client.post("/sprak", data={"lang": "en"})
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and "Skjemaet er utløpt" in html and 'class="site-header"' in html


def test_server_error_page_uses_the_site_layout(tmp_path):
    from hoering import create_app

    app = create_app({"SECRET_KEY": "a-long-random-secret-value-123",
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x.sqlite'}"})

    @app.get("/_boom")
    def _boom():
        raise RuntimeError("boom")

    response = app.test_client().get("/_boom")
    html = response.get_data(as_text=True)
    assert response.status_code == 500 and "Noe gikk galt" in html and 'class="site-header"' in html
    assert "RuntimeError" not in html and "Traceback" not in html


def test_security_headers_are_set(client):
    response = client.get("/")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"


def test_pages_have_no_inline_scripts_styles_or_external_assets(browser, make_user, make_consultation, make_comment,
                                                                 runner):
    runner.invoke(args=["hoering", "demo"])
    browser.submit("/logg-inn", data={"email": "saksbehandler@fjordvik.example", "password": "demo-saksbehandler"})
    for url in ["/", "/hoeringer/gang-og-sykkelvei-strandvegen", "/hoeringer/skolebruksplan", "/min-side",
                "/saksbehandling/hoeringer/ny", "/logg-inn", "/finnes-ikke"]:
        document = html5lib.parse(browser.get(url).get_data(as_text=True), namespaceHTMLElements=False)
        for element in document.iter():
            assert element.tag != "style", url
            if element.tag == "script":  # the site's own files only, never inline code
                assert element.attrib.get("src", "").startswith("/static/js/"), url
                assert not (element.text or "").strip(), url
            assert "style" not in element.attrib, (url, element.tag)
            assert not any(name.startswith("on") for name in element.attrib), (url, element.tag)
            for name in ("src", "href"):
                value = element.attrib.get(name, "")
                assert not value.startswith(("http://", "https://", "//")) or element.tag == "a", (url, value)
