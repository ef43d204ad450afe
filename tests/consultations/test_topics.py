"""Topics and areas: set on the consultation form, shown on the page and the front page."""

from __future__ import annotations

from hoering.consultations.models import Consultation
from hoering.extensions import db
from tests.consultations.test_pages import consultation_form


def test_case_officer_files_a_consultation_under_a_topic_and_an_area(browser_for, app, client):
    officer = browser_for("case_officer")

    form = officer.get("/saksbehandling/hoeringer/ny").get_data(as_text=True)
    assert '<option value="skole">Skole og barnehage</option>' in form
    assert '<option value="nord">Nordbygda</option>' in form
    response = officer.submit("/saksbehandling/hoeringer/ny",
                              data=consultation_form(topic="skole", area="nord"))

    assert response.status_code == 303
    with app.app_context():
        consultation = db.session.query(Consultation).one()
        assert (consultation.topic, consultation.area) == ("skole", "nord")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "<dt>Tema</dt><dd>Skole og barnehage</dd>" in page and "<dt>Område</dt><dd>Nordbygda</dd>" in page
    front = client.get("/").get_data(as_text=True)
    assert "Skole og barnehage" in front and "Nordbygda" in front


def test_the_labels_follow_the_language(client, make_consultation):
    make_consultation(topic="skole", area="hele-kommunen")
    client.set_cookie("hoering_lang", "nn")

    front = client.get("/").get_data(as_text=True)

    assert "Skule og barnehage" in front and "Heile kommunen" in front


def test_an_unknown_topic_comes_back_with_a_message_and_what_was_typed(browser_for, app):
    officer = browser_for("case_officer")

    response = officer.submit("/saksbehandling/hoeringer/ny",
                              data=consultation_form(topic="finnes-ikke", title="Min tittel"))

    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Velg et av temaene i listen." in html and 'value="Min tittel"' in html
    with app.app_context():
        assert db.session.query(Consultation).count() == 0
