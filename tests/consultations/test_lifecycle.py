"""A consultation's life: extend the deadline, close early, the decision, archive; who may."""

from __future__ import annotations

import datetime as dt
import re

from hoering.consultations.models import Consultation, LifecycleEvent
from hoering.extensions import db
from hoering.timeutil import OSLO, end_of_oslo_day, oslo_today


def step(officer, consultation, **data):
    url = f"/saksbehandling/hoeringer/{consultation.slug}/livslop"
    return officer.submit(url, data=data)


def test_extending_the_deadline_is_logged_and_explained(browser_for, make_consultation, client, app):
    consultation = make_consultation()
    officer = browser_for("case_officer")
    old = consultation.closes_at.astimezone(OSLO).date()
    new = old + dt.timedelta(days=14)
    refused = step(officer, consultation, action="extend", deadline=new.isoformat(), reason="  ")
    assert refused.status_code == 422
    earlier = step(officer, consultation, action="extend", deadline=(old - dt.timedelta(days=1)).isoformat(),
                   reason="Ved en feil")
    assert earlier.status_code == 422 and "Ved en feil" in earlier.get_data(as_text=True)
    assert step(officer, consultation, action="extend", deadline=new.isoformat(),
                reason="Saken fikk mye oppmerksomhet i media.").status_code == 303
    with app.app_context():
        row = db.session.get(Consultation, consultation.id)
        assert row.closes_at.astimezone(OSLO) == dt.datetime.combine(new, dt.time(23, 59, 59), tzinfo=OSLO)
        event = db.session.query(LifecycleEvent).one()
        assert (event.kind, event.old_value, event.new_value) == ("deadline_extended", old.isoformat(), new.isoformat())
    page = client.get(f"/hoeringer/{consultation.slug}").get_data(as_text=True)
    assert "Fristen ble forlenget" in page and "Saken fikk mye oppmerksomhet i media." in page


def test_closing_early_stops_comments(browser_for, make_consultation, client):
    consultation = make_consultation()
    officer, citizen = browser_for("case_officer"), browser_for()
    assert step(officer, consultation, action="close", reason="Saken er trukket.").status_code == 303
    page = client.get(f"/hoeringer/{consultation.slug}").get_data(as_text=True)
    assert "før fristen" in page and "Saken er trukket." in page
    posted = citizen.submit(f"/hoeringer/{consultation.slug}", f"/hoeringer/{consultation.slug}/kommentarer",
                            data={"text": "For sent"})
    assert posted.status_code in (403, 409, 422)
    assert step(officer, consultation, action="close", reason="Igjen").status_code == 422


def test_the_decision_shows_on_the_page(browser_for, make_consultation, client, app):
    consultation = make_consultation(status="closed")
    officer = browser_for("case_officer")
    today = dt.datetime.now(OSLO).date()
    bad_link = step(officer, consultation, action="decision", decision_text="Vedtatt", decided_on=today.isoformat(),
                    decision_url="javascript:alert(1)")
    assert bad_link.status_code == 422
    future = step(officer, consultation, action="decision", decision_text="Vedtatt",
                  decided_on=(today + dt.timedelta(days=3)).isoformat(), decision_url="")
    assert future.status_code == 422
    assert step(officer, consultation, action="decision", decided_on=today.isoformat(),
                decision_text="Kommunestyret vedtok **ny skolestruktur**:\n\n- Nordby skole\n- Sørby skole\n\n"
                              "<script>alert(1)</script>",
                decision_url="https://innsyn.fjordvik.example/sak/2026/123").status_code == 303
    page = client.get(f"/hoeringer/{consultation.slug}").get_data(as_text=True)
    decision = page[page.index('<section class="decision"'):]
    decision = decision[:decision.index("</section>")]
    assert "Dette ble vedtatt" in page and "<strong>ny skolestruktur</strong>" in decision
    assert "<li>Nordby skole</li>" in decision and "**" not in decision
    assert "alert(1)" not in decision and "<script>alert" not in page
    assert 'href="https://innsyn.fjordvik.example/sak/2026/123"' in page
    open_one = make_consultation()
    assert step(officer, open_one, action="decision", decision_text="For tidlig",
                decided_on=today.isoformat()).status_code == 422


def test_archived_consultations_leave_the_front_page_but_stay_readable(browser_for, make_consultation, client):
    closed = make_consultation(status="closed", title="Gammel høring om bibliotek")
    open_one = make_consultation(title="Åpen høring om havna")
    officer = browser_for("case_officer")
    assert "Gammel høring om bibliotek" in client.get("/").get_data(as_text=True)  # closed, awaiting the decision
    assert step(officer, open_one, action="archive").status_code == 422
    assert step(officer, closed, action="archive").status_code == 303
    front = client.get("/").get_data(as_text=True)
    assert "Gammel høring om bibliotek" not in front and "Åpen høring om havna" in front
    page = client.get(f"/hoeringer/{closed.slug}")
    assert page.status_code == 200 and "arkivert" in page.get_data(as_text=True)
    archive = client.get("/arkiv").get_data(as_text=True)
    assert f'<a href="/hoeringer/{closed.slug}">Gammel høring om bibliotek</a>' in archive
    assert "Åpen høring om havna" not in archive and 'href="/arkiv"' in front
    assert step(officer, closed, action="unarchive").status_code == 303
    assert "Gammel høring om bibliotek" in client.get("/").get_data(as_text=True)
    assert "Gammel høring om bibliotek" in client.get("/arkiv").get_data(as_text=True)  # closed: in the archive too


def test_the_archive_lists_the_latest_deadline_first_a_page_at_a_time(make_consultation, client, app):
    from hoering.consultations.services import ARCHIVE_PER_PAGE

    today = oslo_today()
    titles = [f"Arkivert høring nummer {n:02d}" for n in range(ARCHIVE_PER_PAGE + 2)]
    for n, title in enumerate(titles):
        make_consultation(status="closed", title=title, closes_at=end_of_oslo_day(today - dt.timedelta(days=2 + n)),
                          archived_at=dt.datetime.now(dt.UTC) if n % 2 else None)
    make_consultation(status="draft", title="Et arkivert utkast", archived_at=dt.datetime.now(dt.UTC))
    first = client.get("/arkiv").get_data(as_text=True)
    second = client.get("/arkiv?page=2").get_data(as_text=True)
    shown = re.findall(r">(Arkivert høring nummer \d+)</a>", first) + re.findall(r">(Arkivert høring nummer \d+)</a>",
                                                                                 second)
    assert shown == titles  # latest deadline first, each once, archived by hand or not
    assert "Et arkivert utkast" not in first + second  # drafts are never public
    assert client.get("/arkiv?page=999").status_code == 200 and client.get("/arkiv?page=x").status_code == 200


def test_only_case_officers_move_a_consultation_on(browser_for, make_consultation):
    consultation = make_consultation()
    for role in ("citizen", "moderator"):
        browser = browser_for(role)
        assert browser.get(f"/saksbehandling/hoeringer/{consultation.slug}/livslop").status_code == 403


def test_editing_keeps_an_early_close_and_decided_consultations_keep_their_deadline(browser_for, make_consultation,
                                                                                   client, app):
    from tests.consultations.test_pages import consultation_form

    consultation = make_consultation()
    officer = browser_for("case_officer")
    step(officer, consultation, action="close", reason="Trukket.")
    with app.app_context():
        closed_at = db.session.get(Consultation, consultation.id).closes_at
        deadline = closed_at.astimezone(OSLO).date().isoformat()
    edited = officer.submit(f"/saksbehandling/hoeringer/{consultation.slug}/rediger",
                            data=consultation_form(title="Ny tittel", slug=consultation.slug, deadline=deadline))
    assert edited.status_code == 303
    with app.app_context():
        assert db.session.get(Consultation, consultation.id).closes_at == closed_at
    assert "Åpen for innspill" not in client.get(f"/hoeringer/{consultation.slug}").get_data(as_text=True)

    today = dt.datetime.now(OSLO).date()
    step(officer, consultation, action="decision", decision_text="Vedtatt.", decided_on=today.isoformat())
    later = (today + dt.timedelta(days=30)).isoformat()
    assert step(officer, consultation, action="extend", deadline=later, reason="Likevel").status_code == 422
    assert step(officer, consultation, action="decision", decision_text="Vedtatt.", decided_on=today.isoformat(),
                decision_url="http://usikker.example/sak").status_code == 422


def test_the_api_tells_the_decision_the_deadline_changes_and_the_documents(browser_for, make_consultation, client):
    consultation = make_consultation()
    officer = browser_for("case_officer")
    step(officer, consultation, action="close", reason="Saken er avklart.")
    today = dt.datetime.now(OSLO).date()
    step(officer, consultation, action="decision", decision_text="Vedtatt enstemmig.", decided_on=today.isoformat(),
         decision_url="https://innsyn.example/sak/1")
    data = client.get(f"/api/v1/consultations/{consultation.slug}").get_json()
    assert data["decision"]["text"] == "Vedtatt enstemmig." and data["decision"]["url"] == "https://innsyn.example/sak/1"
    assert [c["kind"] for c in data["deadline_changes"]] == ["closed_early"]
    assert data["deadline_changes"][0]["reason"] == "Saken er avklart."
    assert data["documents"] == [] and data["archived"] is False


def _offered(page: str) -> set[str]:
    return set(re.findall(r'name="action" value="(\w+)"', page))


def test_the_lifecycle_page_offers_only_the_steps_possible_now(browser_for, make_consultation, app):
    officer = browser_for("case_officer")
    url = "/saksbehandling/hoeringer/{}/livslop"
    open_page = officer.get(url.format(make_consultation().slug)).get_data(as_text=True)
    assert _offered(open_page) == {"extend", "close", "feature"}
    assert "Et vedtak kan registreres når høringen er avsluttet." in open_page
    closed = make_consultation(status="closed")
    closed_page = officer.get(url.format(closed.slug)).get_data(as_text=True)
    assert _offered(closed_page) == {"extend", "decision", "archive", "feature"}
    assert "Bare en åpen høring kan avsluttes før fristen." in closed_page
    today = dt.datetime.now(OSLO).date()
    step(officer, closed, action="decision", decision_text="Vedtatt.", decided_on=today.isoformat())
    assert step(officer, closed, action="archive").status_code == 303
    decided_page = officer.get(url.format(closed.slug)).get_data(as_text=True)
    assert _offered(decided_page) == {"decision", "unarchive"}
    draft_page = officer.get(url.format(make_consultation(status="draft").slug)).get_data(as_text=True)
    assert _offered(draft_page) == set()
    # What the page leaves out is refused on the server all the same.
    assert step(officer, closed, action="close", reason="Likevel").status_code == 422
