"""What the citizens' lists show: the front page (featured, open, upcoming and recently
closed consultations that still await their decision) and the archive (everything that is
over, imported or archived), both filtered by topic and area from the query string.

The rules (docs/CASE_OFFICERS.md "Front page and archive"):

- The front page shows consultations one can still take part in: open and upcoming ones.
  A consultation that closed less than ``FRONT_PAGE_AWAITING_DAYS`` ago and has no
  decision recorded stays there too, under "Closed, awaiting the decision": whoever took
  part looks for it where they found it, until the case is decided.
- The archive holds every published consultation that has closed, was imported from open
  data, or that a case officer archived; the latest deadline first, searchable by words
  of the title and summary, filtered by year of the deadline, topic and area.
- Staff may feature a few consultations; they come first on the front page, in their
  order, wherever they would otherwise be listed there.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from hoering.consultations import topics
from hoering.consultations.models import Consultation, Status
from hoering.consultations.services import sort_for_listing
from hoering.extensions import db
from hoering.timeutil import oslo_to_utc, to_oslo, utcnow

#: Longest search text of the archive, in characters; a longer one is cut.
ARCHIVE_QUERY_MAX_LENGTH = 200


@dataclass
class Filters:
    """A list's filters as read from the query string.

    ``topic`` and ``area`` are keys of ``CONSULTATION_TOPICS``/``CONSULTATION_AREAS`` or
    ``""``; ``year`` an Oslo calendar year or ``None``; ``text`` words to look for.
    ``errors`` holds a message for each value that could not be used (that filter is then
    left out; the form shows what was typed).
    """

    topic: str = ""
    area: str = ""
    year: int | None = None
    text: str = ""
    typed: dict = field(default_factory=dict)
    errors: list = field(default_factory=list)

    @property
    def active(self) -> bool:
        """Whether any filter narrows the list."""
        return bool(self.topic or self.area or self.year or self.text)


def read_filters(args, with_year_and_text: bool = False) -> Filters:
    """Read ``tema``, ``omrade`` (and for the archive ``ar`` and ``q``) from ``args``
    (a request's query string). Unknown keys and malformed years are reported in
    ``errors`` rather than raised: a filter link from an old page must still show a list."""
    found = Filters(typed={name: (args.get(name) or "")[:ARCHIVE_QUERY_MAX_LENGTH]
                           for name in ("tema", "omrade", "ar", "q")})
    topic, area = found.typed["tema"].strip(), found.typed["omrade"].strip()
    if topics.is_known(topics.TOPICS, topic):
        found.topic = topic
    else:
        found.errors.append(_("There is no topic “%(key)s”; all topics are shown.", key=topic))
    if topics.is_known(topics.AREAS, area):
        found.area = area
    else:
        found.errors.append(_("There is no area “%(key)s”; all areas are shown.", key=area))
    if with_year_and_text:
        year = found.typed["ar"].strip()
        if year.isascii() and year.isdigit() and 1900 <= int(year) <= 2200:
            found.year = int(year)
        elif year:
            found.errors.append(_("Choose a year from the list; all years are shown."))
        found.text = " ".join(found.typed["q"].split())
    return found


def _filtered(query: sa.Select, filters: Filters) -> sa.Select:
    if filters.topic:
        query = query.where(Consultation.topic == filters.topic)
    if filters.area:
        query = query.where(Consultation.area == filters.area)
    return query


def imported() -> sa.ColumnElement:
    """Consultations imported from open data (a Polis conversation): they carry their
    source's address or credit (:mod:`hoering.imports.polis`). Not ``external_id``, which
    the demo's consultations have too."""
    return sa.or_(Consultation.source_url.is_not(None), Consultation.source_attribution != "")


def awaiting_days() -> int:
    """Days a closed consultation without a decision stays on the front page
    (``FRONT_PAGE_AWAITING_DAYS``)."""
    return int(current_app.config["FRONT_PAGE_AWAITING_DAYS"])


def is_awaiting_decision(consultation: Consultation, now: dt.datetime) -> bool:
    """Whether ``consultation`` has closed (or been summarized) and no decision is recorded."""
    return consultation.status(now) in (Status.CLOSED, Status.SUMMARIZED) and not consultation.decision_text \
        and consultation.decided_at is None


@dataclass
class FrontPage:
    """The front page's lists, each in its order (see the module's rules)."""

    featured: list[Consultation]
    open: list[Consultation]
    upcoming: list[Consultation]
    awaiting: list[Consultation]
    drafts: list[Consultation]

    @property
    def all(self) -> list[Consultation]:
        """Every consultation on the page, once."""
        return [*self.featured, *self.open, *self.upcoming, *self.awaiting, *self.drafts]


def front_page(filters: Filters, include_drafts: bool = False, now: dt.datetime | None = None) -> FrontPage:
    """The front page's consultations matching ``filters``; drafts only with
    ``include_drafts`` (for case officers). One query."""
    now = now or utcnow()
    query = sa.select(Consultation).where(
        Consultation.archived_at.is_(None), sa.not_(imported()),
        Consultation.closes_at >= now - dt.timedelta(days=awaiting_days()))
    if not include_drafts:
        query = query.where(Consultation.published_at.is_not(None))
    page = FrontPage([], [], [], [], [])
    for consultation in sort_for_listing(list(db.session.scalars(_filtered(query, filters))), now):
        status = consultation.status(now)
        if status == Status.DRAFT:
            page.drafts.append(consultation)
        elif consultation.featured_position is not None and (
                status in (Status.OPEN, Status.UPCOMING) or is_awaiting_decision(consultation, now)):
            page.featured.append(consultation)
        elif status == Status.OPEN:
            page.open.append(consultation)
        elif status == Status.UPCOMING:
            page.upcoming.append(consultation)
        elif is_awaiting_decision(consultation, now):
            page.awaiting.append(consultation)
    page.featured.sort(key=lambda c: c.featured_position)  # stable: ties keep the front page's order
    return page


def _year_bounds(year: int) -> tuple[dt.datetime, dt.datetime]:
    return oslo_to_utc(dt.datetime(year, 1, 1)), oslo_to_utc(dt.datetime(year + 1, 1, 1))


def _archived(now: dt.datetime) -> sa.ColumnElement:
    return sa.and_(Consultation.published_at.is_not(None), sa.or_(
        Consultation.archived_at.is_not(None), imported(),
        Consultation.closes_at < now, Consultation.summarized_at.is_not(None)))


def archive_query(filters: Filters, now: dt.datetime | None = None) -> sa.Select:
    """The archive's consultations matching ``filters``, the latest deadline first.

    The text filter matches each word in the title or summary, ignoring case (on SQLite
    only for the letters a–z, as its ``lower()``)."""
    now = now or utcnow()
    query = _filtered(sa.select(Consultation).where(_archived(now)), filters)
    if filters.year is not None:
        start, end = _year_bounds(filters.year)
        query = query.where(Consultation.closes_at >= start, Consultation.closes_at < end)
    for word in filters.text.split()[:10]:
        pattern = "%" + word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        query = query.where(sa.or_(Consultation.title.ilike(pattern, escape="\\"),
                                   Consultation.summary.ilike(pattern, escape="\\")))
    return query.order_by(Consultation.closes_at.desc(), Consultation.id.desc())


def archive_years(now: dt.datetime | None = None) -> list[int]:
    """The deadline years (Oslo) the archive spans, the latest first; ``[]`` when empty."""
    now = now or utcnow()
    first, last = db.session.execute(
        sa.select(sa.func.min(Consultation.closes_at), sa.func.max(Consultation.closes_at)).where(_archived(now))).one()
    if first is None:
        return []
    return list(range(to_oslo(last).year, to_oslo(first).year - 1, -1))
