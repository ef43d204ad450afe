"""Political bodies and meetings through HTTP: case officers' forms, the public pages,
validation that keeps what was typed, following a body, and the consultation's decision
taken from its agenda item."""

from __future__ import annotations

import datetime as dt
import io

import sqlalchemy as sa

from hoering.extensions import db
from hoering.timeutil import oslo_today, to_oslo, utcnow


def test_a_case_officer_creates_a_body_members_a_meeting_and_an_agenda(browser_for, client):
    officer = browser_for("case_officer")
    response = officer.submit("/saksbehandling/politikk/ny", data={
        "name": "Kommunestyret", "kind": "kommunestyre", "description": "Det øverste organet.",
        "portal_url": "https://fjordvik.example/moter", "position": "0"})
    assert response.status_code == 303 and response.headers["Location"].endswith("/saksbehandling/politikk/kommunestyret")
    response = officer.submit("/saksbehandling/politikk/kommunestyret", "/saksbehandling/politikk/kommunestyret/medlemmer",
                              data={"name": "Ola Ordfører", "role": "leder", "party": "Fjordlista"})
    assert response.status_code == 303
    start = (to_oslo(utcnow()) + dt.timedelta(days=10)).strftime("%Y-%m-%dT18:00")
    response = officer.submit("/saksbehandling/politikk/kommunestyret/moter/ny",
                              data={"starts_at": start, "place": "Kommunestyresalen", "status": "planned"})
    assert response.status_code == 303
    meeting_url = response.headers["Location"]
    meeting_id = int(meeting_url.rsplit("/", 1)[1])
    # Not public until the agenda is published.
    assert client.get(f"/moter/{meeting_id}").status_code == 404
    response = officer.submit(f"/saksbehandling/moter/{meeting_id}/saker/ny", data={
        "number": "PS 12/26", "title": "Ny skolestruktur", "case_number": "2026/1234",
        "description": "Saken gjelder skolene.", "consultation": ""})
    assert response.status_code == 303
    response = officer.submit(meeting_url, f"/saksbehandling/moter/{meeting_id}/publiser")
    assert response.status_code == 303
    page = client.get(f"/moter/{meeting_id}").get_data(as_text=True)
    assert "PS 12/26 Ny skolestruktur" in page and "2026/1234" in page and "Kommunestyresalen" in page
    body_page = client.get("/politikk/kommunestyret").get_data(as_text=True)
    assert "Ola Ordfører" in body_page and "Leder" in body_page and "Fjordlista" in body_page
    assert 'href="https://fjordvik.example/moter"' in body_page and f"/moter/{meeting_id}" in body_page
    listing = client.get("/politikk").get_data(as_text=True)
    assert "Kommunestyret" in listing and 'href="/politikk"' in listing  # the main navigation links here


def test_bad_input_comes_back_with_what_was_typed_and_a_clear_message(browser_for):
    officer = browser_for("case_officer")
    response = officer.submit("/saksbehandling/politikk/ny", data={
        "name": "", "kind": "utvalg", "description": "Beskrivelse som ikke skal gå tapt",
        "portal_url": "http://usikker.example"})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Enter the name of the body." in page or "Skriv inn navnet" in page
    assert "Beskrivelse som ikke skal gå tapt" in page and "http://usikker.example" in page
    response = officer.submit("/saksbehandling/politikk/ny", data={"name": "Utvalg", "kind": "ukjent"})
    assert response.status_code == 422
    officer.submit("/saksbehandling/politikk/ny", data={"name": "Utvalg for teknikk", "kind": "utvalg"})
    response = officer.submit("/saksbehandling/politikk/utvalg-for-teknikk/moter/ny",
                              data={"starts_at": "ikke en dato", "place": "Rådhuset", "status": "planned"})
    assert response.status_code == 422 and "Rådhuset" in response.get_data(as_text=True)
    future = (to_oslo(utcnow()) + dt.timedelta(days=3)).strftime("%Y-%m-%dT10:00")
    response = officer.submit("/saksbehandling/politikk/utvalg-for-teknikk/moter/ny",
                              data={"starts_at": future, "place": "Rådhuset", "status": "held"})
    assert response.status_code == 422 and "Rådhuset" in response.get_data(as_text=True)
    for garbage in ("\x00", "9" * 400, "-1"):
        assert officer.get(f"/politikk/{garbage}").status_code == 404
    assert officer.get("/moter/99999999999").status_code == 404


def test_citizens_cannot_reach_the_staff_pages(browser_for, make_meeting):
    slug, meeting_id, items = make_meeting()
    citizen = browser_for("citizen")
    for url in ("/saksbehandling/politikk", "/saksbehandling/politikk/ny", f"/saksbehandling/moter/{meeting_id}",
                f"/saksbehandling/saker/{items[0]}", f"/saksbehandling/moter/{meeting_id}/protokoll"):
        assert citizen.get(url).status_code == 403
    moderator = browser_for("moderator")
    assert moderator.get("/saksbehandling/politikk").status_code == 403


def test_minutes_are_public_only_once_approved_and_are_sanitized(app, browser_for, client, make_meeting):
    slug, meeting_id, _items = make_meeting(days=-2)
    officer = browser_for("case_officer")
    url = f"/saksbehandling/moter/{meeting_id}/protokoll"
    minutes = "## Protokoll\n\nMøtet ble satt. <script>alert(1)</script>"
    response = officer.submit(url, data={"minutes": minutes, "approved_on": ""})
    assert response.status_code == 303
    assert "Protokoll" not in client.get(f"/moter/{meeting_id}").get_data(as_text=True)
    tomorrow = oslo_today() + dt.timedelta(days=1)
    response = officer.submit(url, data={"minutes": minutes, "approved_on": tomorrow.isoformat()})
    assert response.status_code == 422 and "Møtet ble satt." in response.get_data(as_text=True)
    response = officer.submit(url, data={"minutes": minutes, "approved_on": oslo_today().isoformat()})
    assert response.status_code == 303
    page = client.get(f"/moter/{meeting_id}").get_data(as_text=True)
    assert "<h2>Protokoll</h2>" in page or "Protokoll</h" in page
    assert "<script>alert(1)</script>" not in page
    from hoering.meetings.models import Meeting
    with app.app_context():
        assert db.session.get(Meeting, meeting_id).status == "held"


def test_meeting_documents_are_attached_and_served(app, browser_for, client, make_meeting, tmp_path, monkeypatch):
    from tests.consultations.test_documents import pdf_bytes

    monkeypatch.setitem(app.config, "DOCUMENT_DIR", str(tmp_path / "documents"))
    slug, meeting_id, items = make_meeting()
    officer = browser_for("case_officer")
    page = officer.get(f"/saksbehandling/moter/{meeting_id}").get_data(as_text=True)
    from tests.conftest import csrf_token_from
    response = officer.client.post(f"/saksbehandling/moter/{meeting_id}/dokumenter", data={
        "csrf_token": csrf_token_from(page), "title": "Saksframlegg", "item": str(items[0]),
        "file": (io.BytesIO(pdf_bytes("saksframlegg")), "framlegg.pdf")}, content_type="multipart/form-data")
    assert response.status_code == 303
    public = client.get(f"/moter/{meeting_id}").get_data(as_text=True)
    assert "Saksframlegg" in public
    from hoering.meetings.models import MeetingDocument
    with app.app_context():
        document = db.session.scalar(sa.select(MeetingDocument))
        assert document.agenda_item_id == items[0]
        url = f"/moter/dokumenter/{document.id}/{document.filename}"
    response = client.get(url)
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    whole = response.get_data()
    response.close()
    part = client.get(url, headers={"Range": "bytes=10-19"})  # a long agenda document is read in parts
    assert part.status_code == 206 and part.get_data() == whole[10:20]
    part.close()
    unchanged = client.get(url, headers={"If-None-Match": response.headers["ETag"]})
    assert unchanged.status_code == 304
    unchanged.close()
    response = officer.client.post(f"/saksbehandling/moter/{meeting_id}/dokumenter", data={
        "csrf_token": csrf_token_from(page), "title": "Ikke et dokument",
        "file": (io.BytesIO(b"just text"), "tekst.pdf")}, content_type="multipart/form-data")
    assert response.status_code == 303
    again = officer.get(f"/saksbehandling/moter/{meeting_id}").get_data(as_text=True)
    assert "Ikke et dokument" in again  # the title comes back in the form with the error


def test_a_meeting_document_over_the_limit_brings_the_page_back_with_the_title(app, browser_for, make_meeting, tmp_path,
                                                                             monkeypatch):
    from tests.consultations.test_documents import pdf_bytes, post_upload

    monkeypatch.setitem(app.config, "DOCUMENT_DIR", str(tmp_path / "documents"))
    monkeypatch.setitem(app.config, "DOCUMENT_MAX_BYTES", 4000)
    _slug, meeting_id, _items = make_meeting()
    officer = browser_for("case_officer")
    page = f"/saksbehandling/moter/{meeting_id}"
    response = post_upload(officer, page, f"{page}/dokumenter", pdf_bytes("stor") + b"%" * 20000, "stor.pdf",
                           {"title": "Saksframlegg med vedlegg", "item": ""})
    assert response.status_code == 413
    html = response.get_data(as_text=True)
    assert 'value="Saksframlegg med vedlegg"' in html and 'id="meeting-file-error"' in html
    assert "større enn" in html
    # Far beyond what is read at all: the page still comes back, without the title.
    response = post_upload(officer, page, f"{page}/dokumenter", b"%" * 40000, "enorm.pdf", {"title": "Borte"})
    assert response.status_code == 413 and 'id="meeting-file-error"' in response.get_data(as_text=True)
    from hoering.meetings.models import MeetingDocument
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(MeetingDocument)) == 0


def test_a_followed_body_mails_on_agenda_and_minutes_with_an_unsubscribe_link(app, browser_for, make_meeting):
    from hoering.notifications.models import OutboxMail

    slug, _meeting_id, _items = make_meeting(body_name="Formannskapet", published=False)
    citizen = browser_for("citizen")
    response = citizen.submit(f"/politikk/{slug}", f"/politikk/{slug}/folg", data={"follow": "1"})
    assert response.status_code == 303
    assert "Stop following" in citizen.get(f"/politikk/{slug}").get_data(as_text=True) or \
        "Slutt å følge" in citizen.get(f"/politikk/{slug}").get_data(as_text=True)
    _slug, meeting_id, _items = make_meeting(body_name="Formannskapet", days=-1)
    officer = browser_for("case_officer")
    officer.submit(f"/saksbehandling/moter/{meeting_id}/protokoll", f"/saksbehandling/moter/{meeting_id}/protokoll",
                   data={"minutes": "Alt vedtatt.", "approved_on": oslo_today().isoformat()})
    with app.app_context():
        mails = list(db.session.scalars(sa.select(OutboxMail).where(OutboxMail.to_address == citizen.user.email)
                                        .order_by(OutboxMail.id)))
        assert [m.kind for m in mails] == ["meeting_agenda", "meeting_minutes"]
        assert "Formannskapet" in mails[0].subject and f"/moter/{meeting_id}" in mails[0].body
        unsubscribe = mails[1].unsubscribe_url
    path = unsubscribe.split("localhost", 1)[-1]
    assert citizen.get(path).status_code == 200
    assert citizen.client.post(path).status_code == 200
    assert "Follow this body" in citizen.get(f"/politikk/{slug}").get_data(as_text=True) or \
        "Følg dette organet" in citizen.get(f"/politikk/{slug}").get_data(as_text=True)
    assert citizen.get("/politikk/avmelding/forfalsket").status_code == 404


def test_the_agenda_items_decision_shows_on_the_consultation_and_followers_are_told(
        app, browser_for, client, make_consultation, make_meeting):
    from hoering.consultations.models import Consultation
    from hoering.notifications.models import OutboxMail

    consultation = make_consultation(status="closed", title="Ny skolestruktur")
    follower = browser_for("citizen")
    follower.submit(f"/hoeringer/{consultation.slug}", f"/hoeringer/{consultation.slug}/folg", data={"follow": "1"})
    slug, meeting_id, items = make_meeting(body_name="Kommunestyret", days=-1, consultation_id=consultation.id)
    page = client.get(f"/hoeringer/{consultation.slug}").get_data(as_text=True)
    assert f'/moter/{meeting_id}#sak-{items[0]}' in page and "Kommunestyret" in page
    meeting_page = client.get(f"/moter/{meeting_id}").get_data(as_text=True)
    assert f"/hoeringer/{consultation.slug}" in meeting_page
    officer = browser_for("case_officer")
    response = officer.submit(f"/saksbehandling/saker/{items[0]}", data={
        "number": "PS 1/26", "title": "Budsjett 2027", "consultation": str(consultation.id),
        "decision_text": "Kommunestyret vedtar ny skolestruktur."})
    assert response.status_code == 303
    page = client.get(f"/hoeringer/{consultation.slug}").get_data(as_text=True)
    assert "Kommunestyret vedtar ny skolestruktur." in page
    assert "Kommunestyret vedtar ny skolestruktur." in client.get(f"/moter/{meeting_id}").get_data(as_text=True)
    with app.app_context():
        row = db.session.get(Consultation, consultation.id)
        assert row.political_body == "Kommunestyret" and row.decided_at is not None
        assert row.decision_url.endswith(f"/moter/{meeting_id}#sak-{items[0]}")
        kinds = list(db.session.scalars(sa.select(OutboxMail.kind).where(
            OutboxMail.to_address == follower.user.email)))
        assert "decision" in kinds
    # A second consultation cannot be linked to the same item's consultation twice.
    response = officer.submit(f"/saksbehandling/moter/{meeting_id}/saker/ny", data={
        "title": "Annen sak", "consultation": str(consultation.id)})
    assert response.status_code == 422 and "Annen sak" in response.get_data(as_text=True)


def test_a_removed_agenda_item_is_no_longer_linked_from_the_consultation(browser_for, client, make_consultation,
                                                                         make_meeting):
    consultation = make_consultation(status="closed")
    _slug, meeting_id, items = make_meeting(consultation_id=consultation.id)
    assert f"#sak-{items[0]}" in client.get(f"/hoeringer/{consultation.slug}").get_data(as_text=True)
    officer = browser_for("case_officer")
    response = officer.submit(f"/saksbehandling/moter/{meeting_id}", f"/saksbehandling/saker/{items[0]}/slett")
    assert response.status_code == 303
    page = client.get(f"/hoeringer/{consultation.slug}").get_data(as_text=True)
    assert f"#sak-{items[0]}" not in page and "Formannskapet" in page  # what it took over stays
    assert "Budsjett 2027" not in client.get(f"/moter/{meeting_id}").get_data(as_text=True)


def test_a_cancelled_meeting_clears_the_meeting_time_of_its_consultation(app, browser_for, make_consultation,
                                                                         make_meeting):
    from hoering.consultations.models import Consultation

    consultation = make_consultation(status="closed")
    _slug, meeting_id, _items = make_meeting(consultation_id=consultation.id)
    with app.app_context():
        assert db.session.get(Consultation, consultation.id).meeting_at is not None
    officer = browser_for("case_officer")
    start = (to_oslo(utcnow()) + dt.timedelta(days=7)).strftime("%Y-%m-%dT18:00")
    response = officer.submit(f"/saksbehandling/moter/{meeting_id}",
                              data={"starts_at": start, "place": "Rådhuset", "status": "cancelled"})
    assert response.status_code == 303
    with app.app_context():
        assert db.session.get(Consultation, consultation.id).meeting_at is None


def test_a_member_without_a_name_is_refused_and_the_party_comes_back(browser_for, make_meeting):
    slug, _meeting_id, _items = make_meeting()
    officer = browser_for("case_officer")
    response = officer.submit(f"/saksbehandling/politikk/{slug}", f"/saksbehandling/politikk/{slug}/medlemmer",
                              data={"name": "  ", "role": "leder", "party": "Kystpartiet"})
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and 'value="Kystpartiet"' in page
    response = officer.submit(f"/saksbehandling/politikk/{slug}", f"/saksbehandling/politikk/{slug}/medlemmer",
                              data={"name": "Kari", "role": "keiser"})
    assert response.status_code == 422


def test_the_lifecycle_page_names_the_agenda_item_the_decision_comes_from(browser_for, make_consultation,
                                                                          make_meeting):
    consultation = make_consultation(status="closed")
    _slug, _meeting_id, items = make_meeting(consultation_id=consultation.id)
    page = browser_for("case_officer").get(f"/saksbehandling/hoeringer/{consultation.slug}/livslop")
    assert f'href="/saksbehandling/saker/{items[0]}"' in page.get_data(as_text=True)


def test_a_members_role_and_party_can_be_changed(app, browser_for, client, make_meeting):
    from hoering.meetings.models import BodyMember

    slug, _meeting_id, _items = make_meeting()
    officer = browser_for("case_officer")
    officer.submit(f"/saksbehandling/politikk/{slug}", f"/saksbehandling/politikk/{slug}/medlemmer",
                   data={"name": "Kari Vik", "role": "medlem", "party": ""})
    with app.app_context():
        member_id = db.session.scalar(sa.select(BodyMember.id))
    response = officer.submit(f"/saksbehandling/medlemmer/{member_id}",
                              data={"name": "Kari Vik", "role": "nestleder", "party": "Kystlista"})
    assert response.status_code == 303
    page = client.get(f"/politikk/{slug}").get_data(as_text=True)
    assert "Nestleder" in page and "Kystlista" in page
    response = officer.submit(f"/saksbehandling/medlemmer/{member_id}", data={"name": "", "role": "medlem",
                                                                              "party": "Beholdt"})
    assert response.status_code == 422 and 'value="Beholdt"' in response.get_data(as_text=True)


def test_following_a_body_before_logging_in_asks_after_the_login_and_then_follows(
        app, client, make_user, make_meeting):
    import re
    from urllib.parse import unquote

    from hoering.meetings.models import Body
    from tests.conftest import Browser

    slug, _meeting_id, _items = make_meeting(body_name="Formannskapet")
    user = make_user()
    visitor = Browser(client)
    page = visitor.get(f"/politikk/{slug}").get_data(as_text=True)
    login_link = unquote(re.search(r'href="(/logg-inn\?next=[^"]+)">Logg inn for å følge', page).group(1))
    assert login_link == f"/logg-inn?next=/politikk/{slug}/folg"

    response = visitor.submit(login_link, data={"email": user.email, "password": user.password})
    assert response.status_code == 303 and response.headers["Location"] == f"/politikk/{slug}/folg"
    confirm = visitor.get(f"/politikk/{slug}/folg")
    assert confirm.status_code == 200
    with app.app_context():
        body_id = db.session.scalar(sa.select(Body.id).where(Body.slug == slug))
        from hoering.meetings import following
        assert not following.is_following(user, body_id)  # nothing is done before the button
    assert visitor.submit(f"/politikk/{slug}/folg", data={"follow": "1"}).status_code == 303
    again = visitor.get(f"/politikk/{slug}/folg").get_data(as_text=True)
    assert "Du følger allerede Formannskapet." in again


def test_a_follow_posted_after_the_session_ended_comes_back_to_the_question_not_a_405(
        client, make_user, make_meeting):
    from tests.conftest import Browser

    slug, _meeting_id, _items = make_meeting(body_name="Formannskapet")
    user = make_user()
    visitor = Browser(client)
    refused = visitor.submit(f"/politikk/{slug}", f"/politikk/{slug}/folg", data={"follow": "1"})
    assert refused.status_code == 302 and "/logg-inn" in refused.headers["Location"]
    after_login = visitor.submit(refused.headers["Location"], data={"email": user.email, "password": user.password},
                                 follow_redirects=True)
    assert after_login.status_code == 200
    assert "Følg Formannskapet" in after_login.get_data(as_text=True)
