"""Readable addresses from titles, and dates that cannot be in the wrong order."""

from __future__ import annotations

import datetime as dt

from hoering.consultations.models import Consultation
from hoering.extensions import db
from hoering.timeutil import oslo_today
from tests.consultations.test_pages import consultation_form

NEW = "/saksbehandling/hoeringer/ny"


def test_a_title_with_dashes_and_norwegian_letters_gives_a_readable_address(browser_for):
    officer = browser_for("case_officer")
    saved = officer.submit(NEW, data=consultation_form(title="Vei – ny trasé"))
    assert saved.headers["Location"].endswith("/hoeringer/vei-ny-trase")
    again = officer.submit(NEW, data=consultation_form(title="Ærlig talt — ÅPEN HØRING om Øvre Å!"))
    assert again.headers["Location"].endswith("/hoeringer/aerlig-talt-apen-horing-om-ovre-a")


def test_a_long_title_is_cut_between_words(browser_for):
    officer = browser_for("case_officer")
    title = ("Reguleringsplan for Fjordvik sentrum, del 2: Trafikk, parkering, sykkelveier og gangveier "
             "langs hele sjøfronten fra nord til sør")
    slug = officer.submit(NEW, data=consultation_form(title=title)).headers["Location"].rsplit("/", 1)[-1]
    assert slug == "reguleringsplan-for-fjordvik-sentrum-del-2-trafikk-parkering-sykkelveier-og-gangveier-langs-hele"


def test_a_meeting_before_the_opening_is_refused_and_the_form_kept(browser_for, app):
    officer = browser_for("case_officer")
    today = oslo_today()
    refused = officer.submit(NEW, data=consultation_form(
        title="Møte for tidlig", opens_at=f"{today}T08:00", meeting_at=f"{today - dt.timedelta(days=3)}T18:00"))
    assert refused.status_code == 422
    page = refused.get_data(as_text=True)
    assert "Møtet som avgjør saken kan ikke være før høringen åpner." in page and "Møte for tidlig" in page
    with app.app_context():
        assert db.session.query(Consultation).count() == 0
    later = officer.submit(NEW, data=consultation_form(
        title="Møte etterpå", opens_at=f"{today}T08:00", meeting_at=f"{today + dt.timedelta(days=30)}T18:00"))
    assert later.status_code == 303
