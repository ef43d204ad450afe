"""The public consultation list and page, and the case officers' forms."""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from hoering.consultations.models import Consultation
from hoering.extensions import db
from hoering.timeutil import end_of_oslo_day, oslo_today

OSLO = ZoneInfo("Europe/Oslo")


def titles_in_order(html: str) -> list[str]:
    return re.findall(r'<h[23][^>]*><a href="/hoeringer/[^"]+">([^<]+)</a></h[23]>', html)


def test_front_page_lists_open_by_deadline_then_upcoming_then_closed(client, make_consultation):
    today = oslo_today()
    now = dt.datetime.now(dt.UTC)
    make_consultation(status="closed", title="Lukket lenge siden",
                      closes_at=end_of_oslo_day(today - dt.timedelta(days=40)))
    make_consultation(status="closed", title="Nylig lukket")
    make_consultation(status="upcoming", title="Kommer snart", opens_at=now + dt.timedelta(days=1))
    make_consultation(status="upcoming", title="Kommer senere", opens_at=now + dt.timedelta(days=9))
    make_consultation(title="Frist om 20 dager", closes_at=end_of_oslo_day(today + dt.timedelta(days=20)))
    make_consultation(title="Frist om 2 dager", closes_at=end_of_oslo_day(today + dt.timedelta(days=2)))
    make_consultation(status="draft", title="Utkast")

    html = client.get("/").get_data(as_text=True)

    assert titles_in_order(html) == ["Frist om 2 dager", "Frist om 20 dager", "Kommer snart", "Kommer senere",
                                     "Nylig lukket", "Lukket lenge siden"]


def test_consultation_page_shows_deadline_in_oslo_time_days_left_and_counts(client, make_consultation, make_comment,
                                                                             make_user):
    deadline_day = oslo_today() + dt.timedelta(days=3)
    consultation = make_consultation(title="Ny skole", closes_at=end_of_oslo_day(deadline_day))
    first, second = make_user(), make_user()
    make_comment(consultation, first, "a")
    make_comment(consultation, first, "b")
    make_comment(consultation, second, "c")
    make_comment(consultation, second, "d", state="rejected")

    html = client.get(f"/hoeringer/{consultation.slug}").get_data(as_text=True)

    months = ["januar", "februar", "mars", "april", "mai", "juni", "juli", "august", "september", "oktober",
              "november", "desember"]
    assert f"{deadline_day.day}. {months[deadline_day.month - 1]} {deadline_day.year} kl. 23:59" in html
    assert "(3 dager igjen)" in html
    assert "<dt>Kommentarer</dt><dd>3</dd>" in html and "<dt>Deltakere</dt><dd>2</dd>" in html


def test_deadline_is_the_last_second_of_the_day_in_oslo():
    summer = end_of_oslo_day(dt.date(2027, 6, 15))
    winter = end_of_oslo_day(dt.date(2027, 1, 15))
    assert summer == dt.datetime(2027, 6, 15, 21, 59, 59, tzinfo=dt.UTC)
    assert winter == dt.datetime(2027, 1, 15, 22, 59, 59, tzinfo=dt.UTC)


def test_last_day_says_so(client, make_consultation):
    consultation = make_consultation(closes_at=end_of_oslo_day(oslo_today()))
    assert "Siste dag i dag" in client.get(f"/hoeringer/{consultation.slug}").get_data(as_text=True)


def test_drafts_are_hidden_from_the_public_and_shown_to_case_officers(client, browser, make_consultation, make_user):
    draft = make_consultation(status="draft", title="Utkast til plan")
    assert client.get(f"/hoeringer/{draft.slug}").status_code == 404
    assert "Utkast til plan" not in client.get("/").get_data(as_text=True)

    browser.login(make_user(role="citizen"))
    assert browser.get(f"/hoeringer/{draft.slug}").status_code == 404
    browser.logout()

    browser.login(make_user(role="case_officer"))
    assert browser.get(f"/hoeringer/{draft.slug}").status_code == 200
    assert "Utkast til plan" in browser.get("/").get_data(as_text=True)


def consultation_form(**overrides) -> dict:
    """A valid consultation form. Its deadline is ten days ahead, the deadline of
    ``make_consultation()``'s open consultations, since a published consultation's deadline
    is not changed through this form."""
    today = oslo_today()
    data = {
        "title": "Ny barnehage på Øvre Å", "slug": "", "summary": "Vi planlegger en ny barnehage.",
        "body_markdown": "## Bakgrunn\n\nTekst med **fet** skrift.\n\n<script>alert(1)</script>",
        "questions": "Hvor bør den ligge?\nHva er viktigst for deg?\n", "language": "nb",
        "responsible_unit": "Oppvekst", "moderation_mode": "post",
        "opens_at": f"{today - dt.timedelta(days=1)}T08:00", "deadline": str(today + dt.timedelta(days=10)),
        "publish": "y", "short_period_reason": "Saken må avgjøres før budsjettet.",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def test_case_officer_creates_a_consultation_through_the_form(browser, make_user, app):
    browser.login(make_user(role="case_officer"))

    response = browser.submit("/saksbehandling/hoeringer/ny", data=consultation_form())

    assert response.status_code == 303
    assert response.headers["Location"] == "/hoeringer/ny-barnehage-pa-ovre-a"
    html = browser.get("/hoeringer/ny-barnehage-pa-ovre-a").get_data(as_text=True)
    assert "<h2>Bakgrunn</h2>" in html and "<strong>fet</strong>" in html
    assert "<script>alert(1)" not in html
    assert "Hvor bør den ligge?" in html and "Åpen for innspill" in html
    with app.app_context():
        consultation = db.session.scalar(sa.select(Consultation))
        assert consultation.opens_at.astimezone(OSLO).hour == 8
        assert consultation.closes_at.astimezone(OSLO).time() == dt.time(23, 59, 59)
        assert [q.text for q in consultation.questions] == ["Hvor bør den ligge?", "Hva er viktigst for deg?"]


def test_same_title_twice_gets_a_distinct_slug(browser, make_user):
    browser.login(make_user(role="case_officer"))
    browser.submit("/saksbehandling/hoeringer/ny", data=consultation_form())
    response = browser.submit("/saksbehandling/hoeringer/ny", data=consultation_form())
    assert response.headers["Location"] == "/hoeringer/ny-barnehage-pa-ovre-a-2"


def test_invalid_consultation_form_comes_back_with_messages(browser, make_user, app):
    browser.login(make_user(role="case_officer"))
    today = oslo_today()
    response = browser.submit("/saksbehandling/hoeringer/ny", data=consultation_form(
        opens_at=f"{today}T08:00", deadline=str(today - dt.timedelta(days=1))))
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert "Fristen må være etter åpningen." in body and "Ny barnehage på Øvre Å" in body

    response = browser.submit("/saksbehandling/hoeringer/ny", data=consultation_form(title="", slug="Ugyldig slug!"))
    assert response.status_code == 422
    assert "Skriv inn en tittel." in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Consultation.id))) == 0


def test_case_officer_edits_a_consultation(browser, make_user, make_consultation, app):
    consultation = make_consultation(questions=("Gammelt spørsmål",))
    browser.login(make_user(role="case_officer"))
    form_page = browser.get(f"/saksbehandling/hoeringer/{consultation.slug}/rediger").get_data(as_text=True)
    assert "Gammelt spørsmål" in form_page

    deadline = consultation.closes_at.astimezone(OSLO).date().isoformat()
    response = browser.submit(f"/saksbehandling/hoeringer/{consultation.slug}/rediger",
                              data=consultation_form(title="Endret tittel", slug=consultation.slug, deadline=deadline))

    assert response.status_code == 303
    assert "Endret tittel" in browser.get(f"/hoeringer/{consultation.slug}").get_data(as_text=True)
    # The deadline of a published consultation moves only with a public reason.
    later = (consultation.closes_at.astimezone(OSLO).date() + dt.timedelta(days=5)).isoformat()
    moved = browser.submit(f"/saksbehandling/hoeringer/{consultation.slug}/rediger",
                           data=consultation_form(title="Endret tittel", slug=consultation.slug, deadline=later))
    assert moved.status_code == 422 and "Frist, vedtak og arkiv" in moved.get_data(as_text=True)


def test_citizens_and_anonymous_users_cannot_create_or_edit_consultations(client, browser, make_user,
                                                                         make_consultation, app):
    consultation = make_consultation()
    for url in ["/saksbehandling/hoeringer/ny", f"/saksbehandling/hoeringer/{consultation.slug}/rediger"]:
        response = client.get(url)
        assert response.status_code == 302 and "/logg-inn" in response.headers["Location"]
    browser.login(make_user(role="citizen"))
    for url in ["/saksbehandling/hoeringer/ny", f"/saksbehandling/hoeringer/{consultation.slug}/rediger"]:
        assert browser.get(url).status_code == 403
        page = browser.get("/").get_data(as_text=True)
        from tests.conftest import csrf_token_from

        response = browser.client.post(url, data={"csrf_token": csrf_token_from(page), **consultation_form()})
        assert response.status_code == 403
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Consultation.id))) == 1


@pytest.mark.parametrize(("status", "label"), [("upcoming", "Åpner"), ("open", "Åpnet"), ("closed", "Åpnet")])
def test_the_opening_date_is_told_in_the_right_tense(client, make_consultation, status, label):
    consultation = make_consultation(status)
    html = client.get(f"/hoeringer/{consultation.slug}").get_data(as_text=True)
    assert f"<dt>{label}</dt>" in html and f"<dt>{'Åpnet' if label == 'Åpner' else 'Åpner'}</dt>" not in html
