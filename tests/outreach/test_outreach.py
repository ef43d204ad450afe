"""Feeds, the calendar, the year plan and sharing, read back with the libraries' parsers."""

from __future__ import annotations

import datetime as dt
import re
from urllib.parse import parse_qs, urlsplit

import feedparser
from icalendar import Calendar

from hoering.extensions import db
from hoering.timeutil import OSLO, oslo_today
from tests.conftest import csrf_token_from


def test_the_site_feed_lists_published_consultations_only(make_consultation, client):
    published = make_consultation(title="Ny gang- og sykkelvei")
    make_consultation(status="draft", title="Hemmelig utkast")
    response = client.get("/feed.atom")
    assert response.status_code == 200 and response.mimetype == "application/atom+xml"
    feed = feedparser.parse(response.get_data())
    assert not feed.bozo, feed.bozo_exception
    assert [e.title for e in feed.entries] == ["Ny gang- og sykkelvei"]
    assert feed.entries[0].link.endswith(f"/hoeringer/{published.slug}")
    page = client.get("/").get_data(as_text=True)
    assert '<link rel="alternate" type="application/atom+xml" href="/feed.atom"' in page
    assert '<link rel="alternate" type="text/calendar" href="/kalender.ics"' in page
    assert 'xml:lang="nb"' in response.get_data(as_text=True)
    client.post("/sprak", data={"lang": "en", "csrf_token": csrf_token_from(page)})
    english = client.get("/feed.atom").get_data(as_text=True)
    assert 'xml:lang="en"' in english and "Consultations from" in english  # the words and their language agree


def test_a_consultation_feed_has_published_comments_and_the_summary(make_consultation, make_user, make_comment,
                                                                     client, browser_for):
    from tests.summaries.test_themes_and_summary import summary_data

    consultation = make_consultation(status="closed")
    author = make_user(name="Kari")
    make_comment(consultation, author, "Synlig innspill om brua")
    make_comment(consultation, author, "Skjult innspill", state="hidden")
    make_comment(consultation, author, "Ventende innspill", state="pending")
    url = f"/hoeringer/{consultation.slug}/feed.atom"
    feed = feedparser.parse(client.get(url).get_data())
    assert not feed.bozo and [e.content[0].value for e in feed.entries] == ["Synlig innspill om brua"]
    assert feed.entries[0].author == "Kari"
    summary_data(browser_for("moderator"), consultation, overview="Brua må bygges.", overview_quotes="",
                 action="publish")
    feed = feedparser.parse(client.get(url).get_data())
    assert any(e.title.startswith("Dette har vi hørt") and "Brua må bygges." in e.content[0].value
               for e in feed.entries)
    assert client.get(f"/hoeringer/{make_consultation(status='draft').slug}/feed.atom").status_code == 404
    page = client.get(f"/hoeringer/{consultation.slug}").get_data(as_text=True)
    assert f'<link rel="alternate" type="application/atom+xml" href="{url}"' in page


def test_the_calendar_has_openings_deadlines_and_meetings(make_consultation, client, app):
    from hoering.consultations.models import Consultation

    consultation = make_consultation(title="Kommuneplanens arealdel")
    make_consultation(status="draft", title="Ikke i kalenderen")
    with app.app_context():
        row = db.session.get(Consultation, consultation.id)
        row.political_body = "kommunestyret"
        # The day summer time starts in Norway: 10:00 Oslo is 08:00 UTC.
        row.meeting_at = dt.datetime(2026, 3, 29, 8, 0, tzinfo=dt.UTC)
        db.session.commit()
    response = client.get("/kalender.ics")
    assert response.status_code == 200 and response.mimetype == "text/calendar"
    calendar = Calendar.from_ical(response.get_data())
    events = {str(e["SUMMARY"]): e for e in calendar.walk("VEVENT")}
    assert set(events) == {"Åpner: Kommuneplanens arealdel", "Høringsfrist: Kommuneplanens arealdel",
                           "Vedtas i kommunestyret: Kommuneplanens arealdel"}
    deadline = events["Høringsfrist: Kommuneplanens arealdel"]["DTSTART"].dt
    assert isinstance(deadline, dt.date) and not isinstance(deadline, dt.datetime)
    assert deadline == consultation.closes_at.astimezone(OSLO).date()
    meeting = events["Vedtas i kommunestyret: Kommuneplanens arealdel"]["DTSTART"].dt
    assert meeting.astimezone(OSLO).hour == 10 and meeting.astimezone(dt.UTC).hour == 8
    uids = [str(e["UID"]) for e in calendar.walk("VEVENT")]
    assert len(set(uids)) == 3
    assert [str(tz["TZID"]) for tz in calendar.walk("VTIMEZONE")] == ["Europe/Oslo"]


def test_a_recorded_decision_replaces_the_planned_meeting(make_consultation, client, app):
    from hoering.consultations.models import Consultation

    consultation = make_consultation(status="closed", title="Ny brannstasjon")
    with app.app_context():
        row = db.session.get(Consultation, consultation.id)
        row.political_body = "formannskapet"
        row.meeting_at = dt.datetime(2031, 1, 20, 17, 0, tzinfo=dt.UTC)  # planned, then decided earlier
        row.decision_text, row.decided_at = "Vedtatt som foreslått.", dt.datetime(2030, 11, 28, 23, 0, tzinfo=dt.UTC)
        db.session.commit()
    events = {str(e["SUMMARY"]): e for e in Calendar.from_ical(client.get("/kalender.ics").get_data()).walk("VEVENT")}
    decided = events["Vedtatt i formannskapet: Ny brannstasjon"]["DTSTART"].dt
    assert decided == dt.date(2030, 11, 29)  # the Oslo day, a whole-day event
    assert not any(name.startswith("Vedtas i") for name in events)
    assert "Ny brannstasjon" not in client.get("/arshjul?year=2031").get_data(as_text=True)
    assert "Vedtatt i formannskapet: Ny brannstasjon" in client.get("/arshjul?year=2030").get_data(as_text=True)
    page = client.get(f"/hoeringer/{consultation.slug}").get_data(as_text=True)
    assert re.search(r"<dt>Vedtatt av</dt><dd>formannskapet, <time[^>]*>29\. november 2030</time>", page)
    assert "2031" not in page


def test_the_follow_offer_promises_only_what_is_still_to_come(browser_for, make_consultation, app):
    from hoering.consultations.models import Consultation

    reader = browser_for()
    open_one, closed, decided = (make_consultation(), make_consultation(status="closed"),
                                 make_consultation(status="closed"))
    with app.app_context():
        row = db.session.get(Consultation, decided.id)
        row.decision_text, row.decided_at = "Vedtatt.", dt.datetime.now(dt.UTC)
        db.session.commit()
    page = reader.get(f"/hoeringer/{open_one.slug}").get_data(as_text=True)
    assert "tre dager før fristen" in page and "Følg på e-post" in page and ">Del på e-post<" in page
    page = reader.get(f"/hoeringer/{closed.slug}").get_data(as_text=True)
    assert "Følg på e-post" in page and "tre dager før fristen" not in page
    assert "når oppsummeringen og vedtaket kommer" in page
    assert "Følg på e-post" not in reader.get(f"/hoeringer/{decided.slug}").get_data(as_text=True)


def test_the_year_plan_shows_each_month(make_consultation, client):
    consultation = make_consultation(title="Budsjett for neste år")
    year = consultation.closes_at.astimezone(OSLO).year
    page = client.get(f"/arshjul?year={year}").get_data(as_text=True)
    assert f"Årshjul {year}" in page and "Høringsfrist: Budsjett for neste år" in page
    assert len(re.findall(r'<li class="month">', page)) == 12
    assert "Januar" in page and "Desember" in page
    assert client.get("/arshjul?year=tjue", follow_redirects=True).status_code == 200
    assert "Budsjett for neste år" not in client.get(f"/arshjul?year={year + 3}").get_data(as_text=True)


#: Month names abbreviated as Norwegian dates write them ("4. des. 2026").
MONTHS_NB = ["jan.", "feb.", "mars", "apr.", "mai", "juni", "juli", "aug.", "sep.", "okt.", "nov.", "des."]


def test_sharing_uses_plain_links_and_open_graph_tags(make_consultation, client, app):
    from hoering.consultations.models import Consultation

    consultation = make_consultation(title="Torget & parken", summary="Hvordan vil du ha torget?")
    with app.app_context():
        db.session.get(Consultation, consultation.id).hashtag = "FjordvikTorg"
        db.session.commit()
    page = client.get(f"/hoeringer/{consultation.slug}").get_data(as_text=True)
    assert '<meta property="og:title" content="Torget &amp; parken">' in page
    assert '<meta property="og:description" content="Hvordan vil du ha torget?">' in page
    assert '<meta name="twitter:card" content="summary">' in page
    assert "#FjordvikTorg" in page
    assert re.findall(r"<script[^>]*>", page) == ['<script src="/static/js/stances.js" defer>',
                                                  '<script src="/static/js/threads.js" defer>']  # no other script
    links = dict(re.findall(r'<li><a href="([^"]+)" rel="noopener noreferrer" target="_blank">Del på ([^<]+)<', page))
    assert set(links.values()) == {"Facebook", "X", "LinkedIn"}
    tweet = next(href for href, name in links.items() if name == "X").replace("&amp;", "&")
    query = parse_qs(urlsplit(tweet).query)
    assert query["hashtags"] == ["FjordvikTorg"] and query["url"][0].endswith(f"/hoeringer/{consultation.slug}")
    assert 'href="mailto:?subject=Torget%20%26%20parken' in page


def test_case_officers_set_hashtag_body_and_meeting(browser_for, make_consultation, client):
    consultation = make_consultation()
    officer = browser_for("case_officer")
    url = f"/saksbehandling/hoeringer/{consultation.slug}/rediger"
    meeting_day = oslo_today() + dt.timedelta(days=30)
    page = officer.get(url).get_data(as_text=True)
    form = dict(re.findall(r'name="(title|summary|language|moderation_mode|opens_at|deadline)"[^>]*value="([^"]*)"',
                           page))
    form.update({"summary": "Sammendrag", "language": "nb", "moderation_mode": "post", "publish": "y",
                 "hashtag": "to ord", "political_body": "formannskapet", "meeting_at": f"{meeting_day}T18:00"})
    refused = officer.submit(url, data=form)
    assert refused.status_code == 422 and "to ord" in refused.get_data(as_text=True)
    form["hashtag"] = "#FjordvikVei"
    assert officer.submit(url, data=form).status_code == 303
    public = client.get(f"/hoeringer/{consultation.slug}").get_data(as_text=True)
    assert "#FjordvikVei" in public and "formannskapet" in public and f"{meeting_day.day}. {MONTHS_NB[meeting_day.month - 1]} {meeting_day.year}, 18:00" in public


def test_control_characters_and_a_forged_host_do_not_reach_feeds(browser_for, make_consultation, client, app,
                                                                 monkeypatch):
    monkeypatch.setitem(app.config, "SITE_URL", "https://hoering.fjordvik.example")
    consultation = make_consultation(title="Brua\x0b over elva")
    citizen = browser_for(name="Kari\x1bN")
    page = f"/hoeringer/{consultation.slug}"
    citizen.submit(page, f"{page}/kommentarer", data={"text": "Tekst med \x1b[31m farge og \x0b tab"})
    for url in ("/feed.atom", f"{page}/feed.atom"):
        response = client.get(url, headers={"Host": "evil.example"})
        assert response.status_code == 200
        feed = feedparser.parse(response.get_data())
        assert not feed.bozo, feed.bozo_exception
        assert "evil.example" not in response.get_data(as_text=True)
        assert "https://hoering.fjordvik.example/" in response.get_data(as_text=True)
    calendar = client.get("/kalender.ics", headers={"Host": "evil.example"}).get_data()
    assert b"evil.example" not in calendar and b"\x1b" not in calendar
    html = client.get(page, headers={"Host": "evil.example"}).get_data(as_text=True)
    assert 'og:url" content="https://hoering.fjordvik.example/' in html
