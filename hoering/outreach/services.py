"""Feeds, calendar and year plan, built with well-kept libraries (feedgen, icalendar).

Text that citizens or staff typed may hold control characters XML and iCalendar cannot
carry; they are left out (:func:`hoering.sanitize.xml_safe`).

Only published consultations appear, and in a consultation's feed only its published
comments and its published summary: the feeds are public and cached by readers.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from urllib.parse import quote, urlencode

import sqlalchemy as sa
from flask import current_app, url_for
from flask_babel import gettext as _

from hoering.comments.models import Comment, CommentState
from hoering.consultations.models import Consultation
from hoering.extensions import db
from hoering.i18n import current_language_code, human_datetime
from hoering.meetings import services as meeting_services
from hoering.meetings.models import Body, Meeting, MeetingStatus
from hoering.sanitize import xml_safe
from hoering.summaries.services import summary_of
from hoering.timeutil import OSLO, to_oslo
from hoering.urls import site_url_for

#: Entries in a feed.
FEED_ENTRIES = 50


def published_consultations() -> list[Consultation]:
    """Published consultations, newest first."""
    return list(db.session.scalars(sa.select(Consultation).where(Consultation.published_at.is_not(None))
                                   .order_by(Consultation.published_at.desc(), Consultation.id.desc())))


def _feed(title: str, link: str, self_link: str, updated: dt.datetime | None):
    from feedgen.feed import FeedGenerator

    feed = FeedGenerator()
    feed.id(self_link)
    feed.title(xml_safe(title))
    feed.author({"name": xml_safe(current_app.config["SITE_OWNER"])})
    feed.link(href=link, rel="alternate")
    feed.link(href=self_link, rel="self")
    feed.language(current_language_code())  # the language of the feed's own words
    feed.updated(updated or dt.datetime(2000, 1, 1, tzinfo=dt.UTC))
    return feed


def site_feed() -> bytes:
    """The site's Atom feed: the published consultations, newest first."""
    consultations = published_consultations()[:FEED_ENTRIES]
    feed = _feed(_("Consultations from %(owner)s", owner=current_app.config["SITE_OWNER"]),
                 site_url_for("consultations.index"), site_url_for("outreach.site_feed"),
                 max((c.updated_at for c in consultations), default=None))
    for consultation in reversed(consultations):  # feedgen puts the last added first
        link = site_url_for("consultations.detail", slug=consultation.slug)
        entry = feed.add_entry()
        entry.id(link)
        entry.title(xml_safe(consultation.title))
        entry.link(href=link)
        entry.published(consultation.published_at)
        entry.updated(consultation.updated_at)
        entry.summary(xml_safe(f"{consultation.summary}\n\n" + _("Deadline: %(date)s", date=_date(consultation.deadline))))
    return feed.atom_str(pretty=True)


def consultation_feed(consultation: Consultation) -> bytes:
    """A consultation's Atom feed: its published summary and its newest published
    comments."""
    link = site_url_for("consultations.detail", slug=consultation.slug)
    comments = list(db.session.scalars(
        sa.select(Comment).where(Comment.consultation_id == consultation.id,
                                 Comment.state == CommentState.PUBLISHED.value)
        .order_by(Comment.created_at.desc(), Comment.id.desc()).limit(FEED_ENTRIES)))
    summary = summary_of(consultation.id)
    published_summary = summary if summary is not None and summary.published_at else None
    times = [c.created_at for c in comments] + [consultation.updated_at]
    if published_summary:
        times.append(published_summary.updated_at)
    feed = _feed(consultation.title, link, site_url_for("outreach.consultation_feed", slug=consultation.slug),
                 max(times))
    feed.subtitle(xml_safe(consultation.summary or consultation.title))
    for comment in reversed(comments):
        entry = feed.add_entry()
        url = site_url_for("comments.permalink", comment_id=comment.id)
        entry.id(url)
        entry.title(xml_safe(_("Comment by %(name)s", name=comment.author.display_name)))
        entry.link(href=url)
        entry.author({"name": xml_safe(comment.author.display_name)})
        entry.published(comment.created_at)
        entry.updated(comment.edited_at or comment.created_at)
        entry.content(xml_safe(comment.body_text), type="text")
    if published_summary:
        entry = feed.add_entry()
        entry.id(f"{link}#dette-har-vi-hort")
        entry.title(xml_safe(_("What we heard: %(title)s", title=consultation.title)))
        entry.link(href=f"{link}#heard-heading")
        entry.published(published_summary.published_at)
        entry.updated(published_summary.updated_at)
        entry.content(xml_safe(published_summary.overview_html), type="html")
    return feed.atom_str(pretty=True)


@dataclass
class Event:
    """A dated event of a consultation (it opens, its deadline, the meeting that decides)
    or a political body's meeting (``kind`` "body_meeting", ``meeting`` set, no
    consultation)."""

    kind: str  # "opens", "deadline", "meeting", "body_meeting"
    consultation: Consultation | None
    when: dt.datetime | dt.date
    meeting: Meeting | None = None

    @property
    def url(self) -> str:
        """The page the event links to (relative to the site)."""
        if self.meeting is not None:
            return url_for("meetings.meeting", meeting_id=self.meeting.id)
        return url_for("consultations.detail", slug=self.consultation.slug)

    @property
    def day(self) -> dt.date:
        """The Oslo day of the event."""
        return self.when if not isinstance(self.when, dt.datetime) else to_oslo(self.when).date()

    @property
    def label(self) -> str:
        """What the event is, in the reader's language."""
        if self.meeting is not None:
            if self.meeting.status == MeetingStatus.CANCELLED.value:
                return _("Cancelled: meeting of %(body)s", body=self.meeting.body.name)
            return _("Meeting of %(body)s", body=self.meeting.body.name)
        if self.kind == "opens":
            return _("Opens: %(title)s", title=self.consultation.title)
        if self.kind == "deadline":
            return _("Deadline: %(title)s", title=self.consultation.title)
        body = self.consultation.political_body or _("the political body")
        if self.consultation.decided_at:
            return _("Decided in %(body)s: %(title)s", body=body, title=self.consultation.title)
        return _("Decision in %(body)s: %(title)s", body=body, title=self.consultation.title)


def events(year: int | None = None) -> list[Event]:
    """Openings, deadlines and decisions of the published consultations, and the meetings
    of the political bodies whose agenda is published, by day (optionally only those of
    one year, Oslo time). A decision is on the day it was recorded as made, else on the
    planned meeting's day."""
    found = []
    for consultation in published_consultations():
        found.append(Event("opens", consultation, consultation.opens_at))
        found.append(Event("deadline", consultation, consultation.deadline))
        if consultation.decided_at or consultation.meeting_at:
            found.append(Event("meeting", consultation, consultation.decided_at or consultation.meeting_at))
    found.extend(Event("body_meeting", None, meeting.starts_at, meeting)
                 for meeting in meeting_services.meetings_of(None))
    if year is not None:
        found = [event for event in found if event.day.year == year]
    order = {"opens": 0, "deadline": 1, "meeting": 2, "body_meeting": 3}
    return sorted(found, key=lambda e: (e.day, order[e.kind], e.label))


def calendar() -> bytes:
    """The iCalendar feed (RFC 5545) of openings, deadlines and political meetings."""
    from icalendar import Calendar
    from icalendar import Event as CalendarEvent

    cal = Calendar()
    cal.add("prodid", "-//Hoering//hoering//NO")
    cal.add("version", "2.0")
    cal.add("x-wr-calname", xml_safe(_("Consultations from %(owner)s", owner=current_app.config["SITE_OWNER"])))
    cal.add("x-wr-timezone", "Europe/Oslo")
    host = site_url_for("consultations.index").split("//", 1)[-1].split("/", 1)[0]
    for event in events():
        if event.meeting is not None:
            cal.add_component(_meeting_component(event.meeting, host))
            continue
        item = CalendarEvent()
        item.add("uid", f"{event.kind}-{event.consultation.id}@{host}")
        item.add("summary", xml_safe(event.label))
        item.add("url", site_url_for("consultations.detail", slug=event.consultation.slug))
        item.add("dtstamp", event.consultation.updated_at)
        if event.kind == "deadline" or event.consultation.decided_at and event.kind == "meeting":
            # A whole day: comments are accepted until 23:59:59 Oslo time; a decision is
            # recorded by its day.
            item.add("dtstart", event.day)
            item.add("dtend", event.day + dt.timedelta(days=1))
        else:
            start = event.when.astimezone(OSLO)
            item.add("dtstart", start)
            item.add("dtend", start + dt.timedelta(hours=1))
        item.add("description", xml_safe(event.consultation.summary))
        cal.add_component(item)
    cal.add_missing_timezones()  # a VTIMEZONE for Europe/Oslo, as RFC 5545 asks
    return cal.to_ical()


#: How long a meeting is shown in the calendar, in hours (its end is not recorded).
MEETING_HOURS = 3


def _meeting_component(meeting: Meeting, host: str):
    """A VEVENT for a body's meeting: its start in Oslo time, :data:`MEETING_HOURS` long,
    CANCELLED when cancelled (RFC 5545 §3.8.1.11)."""
    from icalendar import Event as CalendarEvent

    item = CalendarEvent()
    item.add("uid", f"body-meeting-{meeting.id}@{host}")
    item.add("summary", xml_safe(_("Meeting of %(body)s", body=meeting.body.name)))
    item.add("url", site_url_for("meetings.meeting", meeting_id=meeting.id))
    item.add("dtstamp", meeting.updated_at)
    start = meeting.starts_at.astimezone(OSLO)
    item.add("dtstart", start)
    item.add("dtend", start + dt.timedelta(hours=MEETING_HOURS))
    if meeting.place:
        item.add("location", xml_safe(meeting.place))
    item.add("status", "CANCELLED" if meeting.status == MeetingStatus.CANCELLED.value else "CONFIRMED")
    item.add("description", xml_safe("\n".join(f"{i.number} {i.title}".strip() for i in meeting.items)))
    return item


def meetings_feed(body: Body | None = None) -> bytes:
    """The Atom feed of the meetings whose agenda is published, of one body or of all,
    latest first: each meeting with its agenda, and its minutes once approved."""
    meetings = meeting_services.meetings_of(body.id if body else None)
    meetings = sorted(meetings, key=lambda m: (m.updated_at, m.id), reverse=True)[:FEED_ENTRIES]
    if body is None:
        title, link = _("Meetings of the political bodies"), site_url_for("meetings.bodies")
        self_link = site_url_for("outreach.meetings_feed")
    else:
        title, link = _("Meetings of %(body)s", body=body.name), site_url_for("meetings.body", slug=body.slug)
        self_link = site_url_for("outreach.body_feed", slug=body.slug)
    feed = _feed(title, link, self_link, max((m.updated_at for m in meetings), default=None))
    for meeting in reversed(meetings):
        url = site_url_for("meetings.meeting", meeting_id=meeting.id)
        entry = feed.add_entry()
        entry.id(url)
        when = human_datetime(meeting.starts_at, "long")
        entry.title(xml_safe(_("Meeting of %(body)s, %(when)s", body=meeting.body.name, when=when)))
        entry.link(href=url)
        entry.published(meeting.agenda_published_at)
        entry.updated(meeting.updated_at)
        lines = [f"{item.number} {item.title}".strip() for item in meeting.items]
        if meeting.minutes_public:
            lines.append(_("The minutes are approved."))
        entry.content(xml_safe("\n".join(lines)), type="text")
    return feed.atom_str(pretty=True)


def share_links(consultation: Consultation, url: str) -> list[tuple[str, str]]:
    """``[(service name, address)]`` for sharing a consultation: plain links to each
    service's own share page, so the page loads no third-party script or pixel."""
    text = consultation.title
    hashtag = consultation.hashtag
    tweet = {"url": url, "text": text, **({"hashtags": hashtag} if hashtag else {})}
    body = f"{consultation.summary}\n\n{url}"
    return [
        ("Facebook", "https://www.facebook.com/sharer/sharer.php?" + urlencode({"u": url})),
        ("X", "https://twitter.com/intent/tweet?" + urlencode(tweet)),
        ("LinkedIn", "https://www.linkedin.com/sharing/share-offsite/?" + urlencode({"url": url})),
        (_("E-mail"), f"mailto:?subject={quote(text)}&body={quote(body)}"),
    ]


def _date(day: dt.date) -> str:
    from flask_babel import format_date

    return format_date(day, "long")
