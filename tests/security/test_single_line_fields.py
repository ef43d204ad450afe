"""Single-line fields (titles, units, theme names, house rule titles) lose their invisible
characters and refuse text-direction controls, with a message and the form kept."""

from __future__ import annotations

import html

import sqlalchemy as sa

from hoering.consultations.models import Consultation
from hoering.extensions import db
from hoering.moderation.models import HouseRule
from hoering.summaries.models import Theme
from tests.consultations.test_pages import consultation_form

#: Zero-width space, non-joiner and joiner, soft hyphen, word joiner, byte order mark,
#: left-to-right and right-to-left marks, Hangul filler.
INVISIBLE = "\u200b\u200c\u200d\u00ad\u2060\ufeff\u200e\u200f\u3164"


def sprinkle(text: str) -> str:
    """``text`` with an invisible character after each of its first letters."""
    return "".join(ch + (INVISIBLE[i] if i < len(INVISIBLE) else "") for i, ch in enumerate(text))


def test_invisible_characters_are_gone_from_stored_consultation_fields(browser_for, app):
    officer = browser_for("case_officer")
    response = officer.submit("/saksbehandling/hoeringer/ny", data=consultation_form(
        title=sprinkle("Ny barnehage"), responsible_unit="Opp\ufeffvekst\u200b", political_body="Kommune\u00adstyret",
        questions="Hvor\u200b bør den ligge?\n\u2060Hva er viktigst?"))
    assert response.status_code == 303
    with app.app_context():
        consultation = db.session.scalar(sa.select(Consultation))
        assert consultation.title == "Ny barnehage"
        assert (consultation.responsible_unit, consultation.political_body) == ("Oppvekst", "Kommunestyret")
        assert [q.text for q in consultation.questions] == ["Hvor bør den ligge?", "Hva er viktigst?"]


def test_a_direction_override_in_a_consultation_title_is_refused_and_the_form_kept(browser_for, app):
    officer = browser_for("case_officer")
    response = officer.submit("/saksbehandling/hoeringer/ny", data=consultation_form(
        title="Ny barnehage \u202egnirts", summary="Vi planlegger en ny barnehage ved skolen."))
    page = html.unescape(response.get_data(as_text=True))
    assert response.status_code == 422
    assert "kan ikke inneholde tegn som snur tekstretningen" in page
    assert "Vi planlegger en ny barnehage ved skolen." in page
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Consultation.id))) == 0


def theme_url(consultation) -> str:
    return f"/moderering/hoeringer/{consultation.slug}/temaer"


def test_invisible_characters_are_gone_from_stored_theme_names(browser_for, make_consultation, app):
    consultation = make_consultation()
    moderator = browser_for("moderator")
    assert moderator.submit(theme_url(consultation), data={"name": sprinkle("Sykkelvei")}).status_code == 303
    with app.app_context():
        assert db.session.scalar(sa.select(Theme.name)) == "Sykkelvei"
    # the same name with invisible characters is the same name
    response = moderator.submit(theme_url(consultation), data={"name": "Sykkel\u200bvei"})
    assert response.status_code == 409


def test_a_direction_override_in_a_theme_name_is_refused_and_the_form_kept(browser_for, make_consultation, app):
    consultation = make_consultation()
    moderator = browser_for("moderator")
    response = moderator.submit(theme_url(consultation), data={"name": "Skole\u202eveien",
                                                               "description": "Alt om skoleveien"})
    page = html.unescape(response.get_data(as_text=True))
    assert response.status_code == 422
    assert "kan ikke inneholde tegn som snur tekstretningen" in page and "Alt om skoleveien" in page
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Theme.id))) == 0


def test_house_rule_titles_lose_invisible_characters_and_refuse_direction_overrides(browser_for, app):
    admin = browser_for("admin")
    refused = admin.submit("/admin/ordensregler/ny", data={"code": "annonser", "title": "Rek\u202elame",
                                                           "description": "Ingen reklame.", "position": "5",
                                                           "is_active": "y"})
    page = html.unescape(refused.get_data(as_text=True))
    assert refused.status_code == 422
    assert "Tittelen kan ikke inneholde tegn som snur tekstretningen." in page and "Ingen reklame." in page
    saved = admin.submit("/admin/ordensregler/ny", data={"code": "annonser", "title": sprinkle("Reklame"),
                                                         "description": "Ingen reklame.", "position": "5",
                                                         "is_active": "y"})
    assert saved.status_code == 303
    with app.app_context():
        assert db.session.scalar(sa.select(HouseRule.title).where(HouseRule.code == "annonser")) == "Reklame"
