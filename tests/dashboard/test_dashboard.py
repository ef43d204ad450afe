"""The staff dashboard: its numbers per consultation, where they lead, who sees it, and
what it costs in queries."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from hoering.extensions import db
from hoering.responses.models import FormalResponse
from tests.conftest import Browser

NOW = dt.datetime.now(dt.UTC)


def rows(html: str) -> dict[str, dict[str, str]]:
    """``{consultation title: {column label: the cell's text}}`` of the dashboard table."""
    found = {}
    for row in re.findall(r"<tr>\s*<th scope=\"row\">(.*?)</tr>", html, re.S):
        title = re.sub(r"<[^>]+>", "", row.split("</th>")[0]).strip()
        found[title] = {label: " ".join(re.sub(r"<span class=\"visually-hidden\">.*?</span>|<[^>]+>", "", cell).split())
                        for label, cell in re.findall(r'<td class="num[^"]*" data-label="([^"]+)">(.*?)</td>', row, re.S)}
    return found


def add_responses(app, consultation, states):
    with app.app_context():
        for n, state in enumerate(states, 1):
            number = consultation.id * 100 + n  # unique per year across consultations
            db.session.add(FormalResponse(consultation_id=consultation.id, year=2026, number=number,
                                          reference=f"HS-{consultation.id}-{number}", token=f"t-{consultation.id}-{number}" * 4,
                                          sender_name="Kari", text="Svar", state=state))
        db.session.commit()


@pytest.fixture
def scene(app, make_consultation, make_comment, make_user, browser_for):
    open_one = make_consultation(title="Ny skolestruktur")
    closed = make_consultation(status="closed", title="Havneplan")
    make_consultation(status="closed", title="Oppsummert sak", summarized_at=NOW)
    make_consultation(status="draft", title="Et utkast")
    make_consultation(status="upcoming", title="Kommer snart")
    author = make_user()
    for text in ("venter 1", "venter 2"):
        make_comment(open_one, author, text, state="pending")
    reported = make_comment(open_one, author, "rapportert", created_at=NOW - dt.timedelta(hours=2))
    make_comment(open_one, author, "publisert", created_at=NOW - dt.timedelta(hours=1))
    make_comment(closed, author, "i havna")
    for reason in ("spam", "offensive"):
        browser_for().submit(f"/kommentarer/{reported.id}/rapporter", data={"reason": reason})
    add_responses(app, open_one, ("received", "received", "published"))
    return open_one, closed


def test_the_numbers_per_consultation_and_where_they_lead(scene, browser_for):
    open_one, closed = scene
    admin = browser_for("admin")
    html = admin.get("/personale").get_data(as_text=True)
    table = rows(html)
    assert list(table) == ["Havneplan", "Ny skolestruktur"]  # the nearest deadline first; no draft, upcoming, summarized
    assert table["Ny skolestruktur"] == {"Venter på godkjenning": "2", "Åpne rapporter": "2", "Nye kommentarer": "2",
                                         "Høringssvar til gjennomgang": "2", "Høringsfrist": "10 dager igjen"}
    assert table["Havneplan"]["Høringsfrist"] == "avsluttet for 2 dager siden" and table["Havneplan"]["Nye kommentarer"] == "1"
    assert f'href="/moderering?consultation={open_one.id}&amp;state=pending"' in html
    assert f'href="/moderering?consultation={open_one.id}&amp;state=reported"' in html
    assert f'href="/saksbehandling/hoeringer/{open_one.slug}/hoeringssvar?status=received"' in html
    assert f'href="/personale/hoeringer/{open_one.id}/nye"' in html
    assert f'href="/saksbehandling/hoeringer/{open_one.slug}/livslop"' in html


def test_new_comments_count_from_the_staff_members_last_look(scene, browser_for, make_comment, make_user):
    open_one, _closed = scene
    moderator, other = browser_for("moderator"), browser_for("moderator")
    looked = moderator.get(f"/personale/hoeringer/{open_one.id}/nye")
    assert looked.status_code == 303
    assert looked.headers["Location"] == f"/hoeringer/{open_one.slug}?sort=newest#comments-heading"
    assert rows(moderator.get("/personale").get_data(as_text=True))["Ny skolestruktur"]["Nye kommentarer"] == "0"
    make_comment(open_one, make_user(), "helt ny", created_at=NOW + dt.timedelta(minutes=1))
    assert rows(moderator.get("/personale").get_data(as_text=True))["Ny skolestruktur"]["Nye kommentarer"] == "1"
    # Each staff member has her own last look.
    assert rows(other.get("/personale").get_data(as_text=True))["Ny skolestruktur"]["Nye kommentarer"] == "3"
    assert moderator.get("/personale/hoeringer/999999/nye").status_code == 404


def test_each_role_sees_the_links_to_what_it_may_deal_with(scene, browser_for, app):
    open_one, _closed = scene
    moderator_page = browser_for("moderator").get("/personale").get_data(as_text=True)
    assert f"/moderering?consultation={open_one.id}" in moderator_page and "hoeringssvar?status" not in moderator_page
    officer_page = browser_for("case_officer").get("/personale").get_data(as_text=True)
    assert "hoeringssvar?status=received" in officer_page and "/moderering?consultation" not in officer_page
    assert rows(officer_page)["Ny skolestruktur"]["Venter på godkjenning"] == "2"  # seen, if not dealt with
    assert browser_for().get("/personale").status_code == 403
    assert browser_for().get(f"/personale/hoeringer/{open_one.id}/nye").status_code == 403
    anonymous = Browser(app.test_client()).get("/personale")
    assert anonymous.status_code == 302 and "/logg-inn" in anonymous.headers["Location"]


def test_staff_land_on_the_dashboard_after_login_and_citizens_do_not(app, make_user):
    for role, landing in (("moderator", "/personale"), ("case_officer", "/personale"), ("admin", "/personale"),
                          ("citizen", "/")):
        browser = Browser(app.test_client())
        response = browser.login(make_user(role=role))
        assert response.headers["Location"] == landing, role
        assert ('href="/personale"' in browser.get("/").get_data(as_text=True)) == (role != "citizen")
    browser = Browser(app.test_client())
    user = make_user(role="moderator")
    asked = browser.submit("/logg-inn?next=/moderering", data={"email": user.email, "password": user.password})
    assert asked.headers["Location"] == "/moderering"  # where she was going still wins


def test_the_dashboard_costs_the_same_queries_for_two_consultations_or_twelve(
        app, browser_for, make_consultation, make_comment, make_user, count_queries):
    admin = browser_for("admin")
    author = make_user()
    numbers = iter(range(100))

    def add(n):
        for _ in range(n):
            consultation = make_consultation(title=f"Sak {next(numbers)}")
            make_comment(consultation, author, "venter", state="pending")
            make_comment(consultation, author, "ny")
            add_responses(app, consultation, ("received",))

    add(2)
    admin.get("/personale")  # warm: the session's user and settings
    with count_queries() as few:
        assert len(rows(admin.get("/personale").get_data(as_text=True))) == 2
    add(10)
    with count_queries() as many:
        table = rows(admin.get("/personale").get_data(as_text=True))
    assert len(table) == 12 and all(row["Venter på godkjenning"] == "1" for row in table.values())
    assert many.count == few.count <= 12, (few.count, many.count)
