"""The year plan drawn as a year wheel ("årshjul"): twelve month sectors, each
consultation's period as an arc on a ring of its own where periods overlap, the political
meetings as dots on the outer ring, and a line for today.

Only the geometry is computed here (in the units of the drawing's ``viewBox``, 0 at the
top, clockwise); ``templates/outreach/_year_wheel.html`` draws it as SVG without any style
attribute (the colours are classes in ``static/css/site.css``, so the strict CSP holds).
The list under the drawing says the same in words; the drawing itself is one link per
consultation and meeting, each with a text title, for screen readers and keyboards.
"""

from __future__ import annotations

import calendar
import datetime as dt
import math
from dataclasses import dataclass

from hoering.consultations.models import Consultation
from hoering.meetings.models import Meeting, MeetingStatus
from hoering.timeutil import to_oslo

#: The drawing's size (a square ``viewBox``) and its rings' radii, in drawing units.
SIZE = 400
CENTRE = SIZE / 2
OUTER_RADIUS = 190  # the month names sit between this and MONTH_RADIUS
MONTH_RADIUS = 168
MEETING_RADIUS = 160
FIRST_RING_RADIUS = 146
INNER_RADIUS = 58
#: Distance between consultation rings (less when many periods overlap).
RING_STEP = 13


def _angle(day: dt.date, year: int) -> float:
    """Degrees clockwise from the top for the start of ``day`` in ``year``."""
    days = 366 if calendar.isleap(year) else 365
    return (day - dt.date(year, 1, 1)).days / days * 360


def _point(angle: float, radius: float) -> tuple[float, float]:
    radians = math.radians(angle - 90)
    return round(CENTRE + radius * math.cos(radians), 2), round(CENTRE + radius * math.sin(radians), 2)


def arc_path(start: float, end: float, radius: float) -> str:
    """An SVG path along a circle of ``radius`` from ``start`` to ``end`` degrees (clockwise)."""
    end = max(end, start + 0.8)  # a period of one day still shows
    if end - start >= 360:
        end = start + 359.99
    x1, y1 = _point(start, radius)
    x2, y2 = _point(end, radius)
    large = 1 if end - start > 180 else 0
    return f"M {x1} {y1} A {radius} {radius} 0 {large} 1 {x2} {y2}"


@dataclass
class Month:
    """A month's sector: its dividing line, where its name goes and its first day."""

    first_day: dt.date
    line: tuple[float, float, float, float]
    label_at: tuple[float, float]


@dataclass
class Period:
    """A consultation's period within the year, drawn as an arc."""

    consultation: Consultation
    opens: dt.date
    deadline: dt.date
    path: str
    ring: int
    status: str


@dataclass
class Dot:
    """A meeting on the outer ring."""

    meeting: Meeting
    day: dt.date
    at: tuple[float, float]
    cancelled: bool


@dataclass
class Wheel:
    """Everything the template draws for one year."""

    year: int
    months: list[Month]
    periods: list[Period]
    meetings: list[Dot]
    today_line: tuple[float, float, float, float] | None
    size: int = SIZE
    centre: float = CENTRE
    inner_radius: float = INNER_RADIUS
    outer_radius: float = OUTER_RADIUS


def _rings(spans: list[tuple[dt.date, dt.date]]) -> list[int]:
    """The ring of each span (sorted by start): the first ring whose last span ended
    before this one starts (interval partitioning), so overlapping periods never share one."""
    ends: list[dt.date] = []
    rings = []
    for start, end in spans:
        ring = next((n for n, last in enumerate(ends) if last < start), None)
        if ring is None:
            ends.append(end)
            ring = len(ends) - 1
        else:
            ends[ring] = end
        rings.append(ring)
    return rings


def year_wheel(year: int, consultations: list[Consultation], meetings: list[Meeting], today: dt.date,
               now: dt.datetime | None = None) -> Wheel:
    """Lay out ``year``'s wheel.

    Args:
        year: the calendar year (Oslo).
        consultations: published consultations; those whose period (opening day to
            deadline day, Oslo) touches the year are drawn, cut at the year's ends.
        meetings: public meetings; those in the year are drawn.
        today: Oslo's today; a line marks it when it is in ``year``.
        now: the moment a consultation's status is taken at (default: now).
    """
    first, last = dt.date(year, 1, 1), dt.date(year, 12, 31)
    months = []
    for month in range(1, 13):
        start = dt.date(year, month, 1)
        middle = start + dt.timedelta(days=calendar.monthrange(year, month)[1] / 2)
        angle = _angle(start, year)
        months.append(Month(start, (*_point(angle, INNER_RADIUS), *_point(angle, OUTER_RADIUS)),
                            _point(_angle(middle, year), (OUTER_RADIUS + MONTH_RADIUS) / 2)))
    shown = []
    for consultation in consultations:
        opens, deadline = to_oslo(consultation.opens_at).date(), consultation.deadline
        if deadline < first or opens > last:
            continue
        shown.append((max(opens, first), min(deadline, last), consultation))
    shown.sort(key=lambda item: (item[0], item[1], item[2].id))
    rings = _rings([(start, end) for start, end, _ in shown])
    step = min(RING_STEP, (FIRST_RING_RADIUS - INNER_RADIUS - 6) / max(max(rings, default=0), 1))
    periods = [Period(c, start, end, arc_path(_angle(start, year), _angle(end + dt.timedelta(days=1), year),
                                              FIRST_RING_RADIUS - ring * step), ring, c.status(now).value)
               for (start, end, c), ring in zip(shown, rings, strict=True)]
    dots = []
    for meeting in meetings:
        day = to_oslo(meeting.starts_at).date()
        if day.year == year:
            middle = _angle(day, year) + 180 / (366 if calendar.isleap(year) else 365)
            dots.append(Dot(meeting, day, _point(middle, MEETING_RADIUS),
                            meeting.status == MeetingStatus.CANCELLED.value))
    today_line = None
    if today.year == year:
        angle = _angle(today, year) + 180 / (366 if calendar.isleap(year) else 365)
        today_line = (*_point(angle, INNER_RADIUS - 8), *_point(angle, OUTER_RADIUS))
    return Wheel(year, months, periods, dots, today_line)
