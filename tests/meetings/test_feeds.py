"""Meetings in the year plan, the iCalendar feed and the Atom feeds, read back with the
libraries' parsers."""

from __future__ import annotations

import feedparser
from icalendar import Calendar


def test_meetings_are_in_the_atom_feeds_per_body_and_for_all(client, make_meeting):
    slug, meeting_id, _items = make_meeting(body_name="Formannskapet")
    make_meeting(body_name="Kommunestyret")
    make_meeting(body_name="Formannskapet", published=False)  # not public: in no feed
    feed = feedparser.parse(client.get("/moter.atom").get_data())
    assert not feed.bozo, feed.bozo_exception
    assert len(feed.entries) == 2
    response = client.get(f"/politikk/{slug}/feed.atom")
    assert response.mimetype == "application/atom+xml"
    body_feed = feedparser.parse(response.get_data())
    assert not body_feed.bozo
    assert [e.link.rsplit("/", 1)[1] for e in body_feed.entries] == [str(meeting_id)]
    assert "Formannskapet" in body_feed.entries[0].title and "PS 1/26 Budsjett 2027" in body_feed.entries[0].content[0].value
    assert client.get("/politikk/finnes-ikke/feed.atom").status_code == 404


def test_meetings_are_in_the_calendar_with_place_and_status(client, make_meeting):
    _slug, meeting_id, _items = make_meeting(body_name="Formannskapet", place="Rådhuset, sal 1")
    _slug, cancelled_id, _items = make_meeting(body_name="Kommunestyret", status="cancelled")
    calendar = Calendar.from_ical(client.get("/kalender.ics").get_data())
    events = {str(e["uid"]).split("@")[0]: e for e in calendar.walk("VEVENT")}
    held = events[f"body-meeting-{meeting_id}"]
    assert str(held["location"]) == "Rådhuset, sal 1" and str(held["status"]) == "CONFIRMED"
    assert str(held["url"]).endswith(f"/moter/{meeting_id}")
    assert held.decoded("dtstart").tzinfo is not None
    assert str(events[f"body-meeting-{cancelled_id}"]["status"]) == "CANCELLED"


def test_meetings_are_in_the_year_plan(client, make_meeting):
    _slug, meeting_id, _items = make_meeting(body_name="Formannskapet", days=1)
    page = client.get("/arshjul").get_data(as_text=True)
    assert f'href="/moter/{meeting_id}"' in page and "Formannskapet" in page
