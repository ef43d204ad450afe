"""Dates and numbers as people read them: the main pages, crawled in bokmål and English
over the demo municipality, show no ISO date (2026-12-04) and no date in digits only
(04.12.2026, 12/4/26) in their visible text; machine formats stay in attributes
(``<time datetime>``), feeds, the calendar and the API."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
import sqlalchemy as sa

from hoering.extensions import db

#: A date in digits: ISO (2026-12-04), or day and month with / or . (04.12.2026, 12/4/26),
#: or a day and month alone (4/12), but not a case number after its capitals ("PS 20/12").
DIGIT_DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b|\b\d{1,2}[./]\d{1,2}[./]\d{2,4}\b"
                        r"|(?<![A-ZÆØÅ] )\b(?:0?[1-9]|[12]\d|3[01])/(?:0?[1-9]|1[0-2])\b(?!/)")


class VisibleText(HTMLParser):
    """The text a reader sees or hears: everything but scripts, styles and attributes."""

    def __init__(self):
        super().__init__()
        self.parts, self._skip = [], 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self._skip += 1

    def handle_endtag(self, tag):
        if tag in ("script", "style"):
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip:
            self.parts.append(data)


def digit_dates(html: str) -> list[str]:
    parser = VisibleText()
    parser.feed(html)
    text = " ".join(parser.parts)
    return [text[max(m.start() - 40, 0):m.end() + 10].strip() for m in DIGIT_DATE.finditer(text)]


def test_the_pattern_finds_iso_and_digit_dates_and_not_readable_ones():
    assert digit_dates("<p>Frist 2026-12-04</p>") and digit_dates("<p>Oppdatert 04.12.2026, 11:26</p>")
    assert digit_dates("<p>Updated 12/4/26, 11:26 AM</p>") and digit_dates("<p>04/12/2026</p>")
    assert digit_dates("<p>Møte 4/12</p>") and not digit_dates("<p>PS 20/12, sak 2026/1234</p>")
    assert not digit_dates('<p><time datetime="2026-12-04">4. desember 2026</time>, kl. 11:26, 2 031 innspill</p>')
    assert not digit_dates("<script>var d = '2026-12-04';</script><p>4 December 2026</p>")


def main_pages(app) -> list[str]:
    from hoering.comments.models import Comment
    from hoering.consultations.models import Consultation
    from hoering.meetings.models import Body, Meeting

    with app.app_context():
        slugs = list(db.session.scalars(sa.select(Consultation.slug).where(Consultation.published_at.is_not(None))))
        thread = db.session.scalar(sa.select(Comment.id).where(Comment.parent_id.is_(None), Comment.state == "published"))
        thread_slug = db.session.scalar(sa.select(Consultation.slug).join(Comment, Comment.consultation_id
                                                                          == Consultation.id).where(Comment.id == thread))
        bodies = list(db.session.scalars(sa.select(Body.slug)))
        meetings = list(db.session.scalars(sa.select(Meeting.id).where(Meeting.agenda_published_at.is_not(None))))
    return ["/", "/arkiv", "/arshjul", "/politikk", "/sok?q=skole", "/personvern", "/tilgjengelighet",
            *(f"/hoeringer/{slug}" for slug in slugs), f"/hoeringer/{thread_slug}/traad/{thread}",
            *(f"/politikk/{slug}" for slug in bodies), *(f"/moter/{meeting}" for meeting in meetings)]


@pytest.mark.parametrize("language", ["nb", "en"])
def test_the_main_pages_show_no_date_in_digits(runner, client, app, language):
    assert runner.invoke(args=["hoering", "demo"]).exit_code == 0
    client.set_cookie("hoering_lang", language)
    found = {}
    pages = main_pages(app)
    for path in pages:
        answer = client.get(path)
        assert answer.status_code == 200, path
        if hits := digit_dates(answer.get_data(as_text=True)):
            found[path] = hits
    assert found == {}
    assert len(pages) > 12  # the crawl reached the consultations, bodies and meetings


@pytest.mark.parametrize("language", ["nb", "en"])
def test_the_staff_pages_and_the_report_show_no_date_in_digits(runner, browser, app, language):
    from types import SimpleNamespace

    from hoering.consultations.models import Consultation

    assert runner.invoke(args=["hoering", "demo"]).exit_code == 0
    browser.login(SimpleNamespace(email="admin@fjordvik.example", password="demo-administrator"))
    browser.client.set_cookie("hoering_lang", language)
    with app.app_context():
        slugs = list(db.session.scalars(sa.select(Consultation.slug)))
    pages = ["/moderering", "/moderering/oversikt", "/moderering/logg", "/saksbehandling/politikk",
             "/saksbehandling/viktige-meldinger",
             *(f"/saksbehandling/hoeringer/{slug}{tail}" for slug in slugs for tail in ("", "/livslop", "/hoeringssvar")),
             *(f"/hoeringer/{slug}/rapport" for slug in slugs)]
    found, shown = {}, []
    for path in pages:
        answer = browser.get(path)
        if answer.status_code == 200:
            shown.append(path)
            if hits := digit_dates(answer.get_data(as_text=True)):
                found[path] = hits
    assert found == {}
    assert set(pages[:5]) <= set(shown) and sum(path.endswith("/rapport") for path in shown) >= 1
    assert all(f"/saksbehandling/hoeringer/{slug}/livslop" in shown for slug in slugs)
