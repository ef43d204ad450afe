"""Feeds, the calendar and the year plan."""

from __future__ import annotations

import datetime as dt

from flask import Response, abort, redirect, render_template, request, url_for

from hoering.consultations import services as consultation_services
from hoering.meetings import services as meeting_services
from hoering.outreach import bp, services, yearwheel
from hoering.timeutil import oslo_today

#: Readers may keep feeds for this many seconds.
FEED_MAX_AGE = 300


def _cached(body: bytes, mimetype: str) -> Response:
    return Response(body, mimetype=mimetype, headers={"Cache-Control": f"public, max-age={FEED_MAX_AGE}"})


@bp.get("/feed.atom")
def site_feed():
    """Atom feed of the published consultations."""
    return _cached(services.site_feed(), "application/atom+xml")


@bp.get("/hoeringer/<slug>/feed.atom")
def consultation_feed(slug: str):
    """Atom feed of one published consultation: new comments and its summary."""
    consultation = consultation_services.get_by_slug(slug)
    if consultation is None or consultation.published_at is None:
        abort(404)
    return _cached(services.consultation_feed(consultation), "application/atom+xml")


@bp.get("/moter.atom")
def meetings_feed():
    """Atom feed of the meetings of every political body (those with a published agenda)."""
    return _cached(services.meetings_feed(), "application/atom+xml")


@bp.get("/politikk/<slug>/feed.atom")
def body_feed(slug: str):
    """Atom feed of one political body's meetings."""
    body = meeting_services.get_body_by_slug(slug)
    if body is None:
        abort(404)
    return _cached(services.meetings_feed(body), "application/atom+xml")


@bp.get("/kalender.ics")
def calendar():
    """iCalendar feed of openings, deadlines and political meetings."""
    return _cached(services.calendar(), "text/calendar")


@bp.get("/arshjul")
def year_plan():
    """The year's consultations drawn as a year wheel and listed month by month
    ("årshjul"); ``?year=2026``. A year more than 20 years from this one, or not a
    number, is redirected to the nearest year shown (this year for one that is not a
    number), so that the address always names the year on the page."""
    today = oslo_today()
    try:
        year = int(request.args.get("year", today.year))
    except ValueError:
        year = today.year
    shown = min(max(year, today.year - 20), today.year + 20)
    if shown != year or ("year" in request.args and str(year) != request.args["year"]):
        # The address says which year is shown: a year out of range goes to the nearest one.
        return redirect(url_for("outreach.year_plan", year=shown))
    months = {month: [] for month in range(1, 13)}
    for event in services.events(year):
        months[event.day.month].append(event)
    wheel = yearwheel.year_wheel(year, services.published_consultations(), meeting_services.meetings_of(None), today)
    return render_template("outreach/year_plan.html", year=year, months=months, wheel=wheel, today=today,
                           month_starts=[dt.date(year, m, 1) for m in range(1, 13)])
