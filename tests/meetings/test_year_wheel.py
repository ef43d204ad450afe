"""The year plan drawn as a year wheel: twelve months, the consultation periods as arcs on
rings of their own where they overlap, the meetings as dots, a line for today."""

from __future__ import annotations

import datetime as dt
import re

from hoering.outreach.yearwheel import _rings, arc_path
from hoering.timeutil import end_of_oslo_day, oslo_to_utc, oslo_today


def wheel_of(html: str) -> str:
    match = re.search(r'<figure class="year-wheel">(.*?)</figure>', html, re.S)
    assert match, "no year wheel on the page"
    return match.group(1)


def test_the_wheel_draws_periods_meetings_months_and_today(client, make_consultation, make_meeting):
    today = oslo_today()
    year = today.year
    first = make_consultation(title="Skolebruksplan", opens_at=oslo_to_utc(dt.datetime(year, 2, 1)),
                              closes_at=end_of_oslo_day(dt.date(year, 4, 30)))
    make_consultation(title="Kulturplan", opens_at=oslo_to_utc(dt.datetime(year, 3, 15)),
                      closes_at=end_of_oslo_day(dt.date(year, 5, 15)))
    make_consultation(title="Fjorårets plan", opens_at=oslo_to_utc(dt.datetime(year - 1, 3, 1)),
                      closes_at=end_of_oslo_day(dt.date(year - 1, 5, 1)))
    make_consultation(status="draft", title="Hemmelig utkast")
    make_meeting(body_name="Kommunestyret", days=0)

    html = client.get(f"/arshjul?year={year}").get_data(as_text=True)
    wheel = wheel_of(html)

    assert len(re.findall(r'<line class="wheel-month-line"', wheel)) == 12
    assert re.findall(r'<text class="wheel-month"[^>]*>([^<]+)</text>', wheel)[:3] == ["Jan", "Feb", "Mar"]
    arcs = re.findall(r'<a href="/hoeringer/([^"]+)" class="wheel-period wheel-(\w+)">\s*<path d="([^"]+)">'
                      r'<title>([^<]+)</title>', wheel)
    assert [title.split(":")[0] for _, _, _, title in arcs] == ["Skolebruksplan", "Kulturplan"]
    assert arcs[0][0] == first.slug and "1. februar" in arcs[0][3] and "30. april " + str(year) in arcs[0][3]
    radii = [float(path.split(" A ")[1].split()[0]) for _, _, path, _ in arcs]
    assert radii[0] != radii[1]  # the periods overlap: a ring each
    assert "Fjorårets plan" not in wheel and "Hemmelig utkast" not in wheel
    assert "Møte i Kommunestyret" in wheel and 'class="wheel-meeting"' in wheel
    assert 'class="wheel-today"' in wheel and "I dag" in wheel
    assert 'style=' not in html and "<script" not in wheel
    assert 'aria-labelledby="wheel-title wheel-desc"' in wheel and "2 høringsperioder og" in wheel
    # the list stays as the words for the same
    assert "Høringsfrist: Skolebruksplan" in html and len(re.findall(r'<li class="month">', html)) == 12


def test_the_years_are_navigable_and_other_years_have_no_today(client, make_consultation):
    today = oslo_today()
    html = client.get(f"/arshjul?year={today.year + 1}").get_data(as_text=True)
    assert f'href="/arshjul?year={today.year}"' in html and f'href="/arshjul?year={today.year + 2}"' in html
    assert f'href="/arshjul">I år ({today.year})' in html  # back to this year
    assert 'class="wheel-today"' not in wheel_of(html)
    assert 'href="/arshjul">I år' not in client.get("/arshjul").get_data(as_text=True)
    # The address names the year shown: one far off, or not a year, goes to the nearest.
    for year, shown in (("tjue", today.year), ("-1", today.year - 20), ("0", today.year - 20),
                        ("99999999999999999999999", today.year + 20), ("%00", today.year)):
        response = client.get(f"/arshjul?year={year}")
        assert response.status_code == 302 and response.headers["Location"] == f"/arshjul?year={shown}"
        assert client.get(response.headers["Location"]).status_code == 200


def test_overlapping_periods_get_separate_rings_and_others_share():
    day = dt.date
    spans = [(day(2026, 1, 1), day(2026, 3, 1)), (day(2026, 2, 1), day(2026, 4, 1)),
             (day(2026, 3, 15), day(2026, 5, 1)), (day(2026, 4, 2), day(2026, 6, 1))]
    assert _rings(spans) == [0, 1, 0, 1]


def test_an_arc_over_half_the_year_takes_the_long_way():
    assert " 0 1 1 " in arc_path(0, 270, 100) and " 0 0 1 " in arc_path(0, 90, 100)
