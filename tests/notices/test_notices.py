"""Urgent notices: staff publish them; they show on every page, cached pages included,
from their start until their end."""

from __future__ import annotations

import datetime as dt
import re

import sqlalchemy as sa

from hoering.extensions import db
from hoering.notices.models import UrgentNotice
from hoering.timeutil import to_oslo, utcnow


def local(moment: dt.datetime) -> str:
    return to_oslo(moment).strftime("%Y-%m-%dT%H:%M")


def notice_form(**overrides) -> dict:
    now = utcnow()
    return {"title": "Kok vannet i Nordbygda", "severity": "danger",
            "body_markdown": "Vannverket har **E. coli**. Se [kommunen](https://fjordvik.example).\n\n"
                             "# Overskrift\n\n<script>alert(1)</script>",
            "starts_at": local(now - dt.timedelta(minutes=5)), "ends_at": local(now + dt.timedelta(hours=3)),
            **overrides}


def banner(html: str) -> str:
    found = re.search(r'<section class="urgent-notice[^"]*"[^>]*>.*?</section>', html, re.S)
    return found.group(0) if found else ""


def test_a_case_officer_publishes_a_notice_shown_on_every_page(browser_for, client, make_consultation):
    consultation = make_consultation()
    officer = browser_for("case_officer")

    response = officer.submit("/saksbehandling/viktige-meldinger/ny", data=notice_form())

    assert response.status_code == 303
    for url in ("/", f"/hoeringer/{consultation.slug}", "/varsel", "/ordensregler", "/logg-inn"):
        shown = banner(client.get(url).get_data(as_text=True))
        assert 'aria-labelledby="urgent-notice-' in shown, url
        assert 'Fare:</span> Kok vannet i Nordbygda</h2>' in shown
    shown = banner(client.get("/").get_data(as_text=True))
    assert "<strong>E. coli</strong>" in shown and 'href="https://fjordvik.example"' in shown
    assert "<script" not in shown and "<h1" not in shown and "<h2>Overskrift" not in shown
    assert 'role="alert"' not in shown  # a landmark with a heading, not read out again on every page
    listed = officer.get("/saksbehandling/viktige-meldinger").get_data(as_text=True)
    assert "Kok vannet i Nordbygda" in listed and "Vises nå" in listed


def test_the_notice_appears_and_disappears_on_a_cached_page_at_its_start_and_end(
        client, make_consultation, make_user, app, monkeypatch):
    from hoering.consultations import pagecache
    from hoering.notices import services

    consultation = make_consultation()
    now = utcnow()
    with app.app_context():
        db.session.add(UrgentNotice(title="Stengt vei ved Strandvegen", severity="warning", body_html="",
                                    starts_at=now + dt.timedelta(hours=1), ends_at=now + dt.timedelta(hours=2)))
        db.session.commit()
    kept = []
    keep_page = pagecache.keep_page
    monkeypatch.setattr(pagecache, "keep_page", lambda key, html: (kept.append(key), keep_page(key, html)))
    page = f"/hoeringer/{consultation.slug}"

    assert banner(client.get(page).get_data(as_text=True)) == ""
    assert banner(client.get(page).get_data(as_text=True)) == "" and len(kept) == 1  # the second came from the cache

    monkeypatch.setattr(services, "utcnow", lambda: now + dt.timedelta(hours=1, minutes=1))
    assert "Stengt vei ved Strandvegen" in banner(client.get(page).get_data(as_text=True))
    assert len(kept) == 2
    assert "Stengt vei ved Strandvegen" in banner(client.get(page).get_data(as_text=True)) and len(kept) == 2

    monkeypatch.setattr(services, "utcnow", lambda: now + dt.timedelta(hours=2, minutes=1))
    assert banner(client.get(page).get_data(as_text=True)) == ""


def test_ending_a_notice_takes_it_off_at_once_and_lists_it_among_the_past(browser_for, client, app):
    officer = browser_for("admin")
    officer.submit("/saksbehandling/viktige-meldinger/ny", data=notice_form(title="Strømbrudd", severity="info"))
    with app.app_context():
        notice_id = db.session.scalar(sa.select(UrgentNotice.id))
    assert "Strømbrudd" in banner(client.get("/").get_data(as_text=True))

    ended = officer.submit("/saksbehandling/viktige-meldinger", f"/saksbehandling/viktige-meldinger/{notice_id}/avslutt")

    assert ended.status_code == 303
    assert banner(client.get("/").get_data(as_text=True)) == ""
    listed = officer.get("/saksbehandling/viktige-meldinger").get_data(as_text=True)
    past = listed.split("Tidligere meldinger", 1)[1]
    assert "Strømbrudd" in past


def test_a_notice_is_changed_through_its_form(browser_for, client, app):
    officer = browser_for("case_officer")
    officer.submit("/saksbehandling/viktige-meldinger/ny", data=notice_form())
    with app.app_context():
        notice_id = db.session.scalar(sa.select(UrgentNotice.id))
    form = officer.get(f"/saksbehandling/viktige-meldinger/{notice_id}").get_data(as_text=True)
    assert 'value="Kok vannet i Nordbygda"' in form

    officer.submit(f"/saksbehandling/viktige-meldinger/{notice_id}", data=notice_form(title="Vannet er trygt igjen",
                                                                                     severity="info"))

    shown = banner(client.get("/").get_data(as_text=True))
    assert "Informasjon:</span> Vannet er trygt igjen" in shown


def test_bad_times_come_back_with_a_message_and_what_was_typed(browser_for, app):
    officer = browser_for("case_officer")
    now = utcnow()

    response = officer.submit("/saksbehandling/viktige-meldinger/ny", data=notice_form(
        title="Feil tider", ends_at=local(now - dt.timedelta(hours=1))))

    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Slutten må være etter starten." in html and 'value="Feil tider"' in html
    nonsense = officer.submit("/saksbehandling/viktige-meldinger/ny", data=notice_form(starts_at="i morgen",
                                                                                      severity="x"))
    assert nonsense.status_code == 422
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(UrgentNotice.id))) == 0


def test_citizens_and_moderators_cannot_publish_notices(browser_for, app):
    for role in ("citizen", "moderator"):
        person = browser_for(role)
        assert person.get("/saksbehandling/viktige-meldinger").status_code == 403
        assert "/saksbehandling/viktige-meldinger" not in person.get("/").get_data(as_text=True)


def test_a_date_far_outside_the_years_in_use_is_refused_not_an_error(browser_for):
    officer = browser_for("case_officer")
    refused = officer.submit("/saksbehandling/viktige-meldinger/ny", data=notice_form(
        title="Feil år", starts_at="0001-01-01T00:00", ends_at="9999-01-02T00:00"))
    assert refused.status_code == 422
    page = refused.get_data(as_text=True)
    assert "Oppgi en dato mellom år 1990 og 2200." in page and "Feil år" in page
